#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// e^x_i / sum_j e^x_j along `axis`, computed as e^(x_i - max) / sum_j e^(x_j - max) so that
    /// large values do not overflow.
    public func softmax(axis: Int = -1) throws -> Tensor {
        try normalizedExponentials(axis: axis, op: "softmax", logarithm: false)
    }

    /// log(softmax(x)) along `axis`, as x_i - max - log(sum_j e^(x_j - max)): exact where
    /// softmax underflows to 0.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        try normalizedExponentials(axis: axis, op: "logSoftmax", logarithm: true)
    }

    /// Softmax and log-softmax over the lines along `axis`: a line is `length` values `stride`
    /// apart, and there are `outer * stride` lines.
    private func normalizedExponentials(axis: Int, op: String, logarithm: Bool) throws -> Tensor {
        let resolved = try Shape.normalizeAxis(axis, rank: rank, op: op, shape: shape)
        let length = shape[resolved]
        let stride = shape[(resolved + 1)...].reduce(1, *)
        let lines = length == 0 ? 0 : count / length
        return withUnsafeBufferPointer { input in
            Tensor.build(shape: shape) { output in
                let grain = Swift.max(1, Parallel.elementGrain / Swift.max(1, length))
                Parallel.forEachChunk(count: lines, grain: grain) { _, range in
                    for line in range {
                        let start = (line / stride) * length * stride + line % stride
                        var largest = -Float.infinity
                        for j in 0..<length { largest = Swift.max(largest, input[start + j * stride]) }
                        if largest == -.infinity { largest = 0 }  // a line of -inf: avoid -inf - -inf
                        var total: Float = 0
                        for j in 0..<length {
                            let e = exponential(input[start + j * stride] - largest)
                            output[start + j * stride] = e
                            total += e
                        }
                        if logarithm {
                            let shift = largest + logf(total)
                            for j in 0..<length { output[start + j * stride] = input[start + j * stride] - shift }
                        } else {
                            for j in 0..<length { output[start + j * stride] /= total }
                        }
                    }
                }
            }
        }
    }
}
