// The kernel GroupNorm and LayerNorm share: normalise each row of a contiguous buffer to mean 0
// and variance 1, then scale and shift it per channel. The two layers differ only in what a row
// and a channel are (see GroupNorm.swift and LayerNorm.swift).
//
// For one row x of M values (biased variance, as PyTorch):
//
//     mean = (1/M) sum_i x_i
//     var  = (1/M) sum_i (x_i - mean)^2
//     rstd = 1 / sqrt(var + eps)
//     xhat_i = (x_i - mean) rstd
//     y_i  = w_c xhat_i + b_c          (c the channel of value i)
//
// and, with g = dL/dy and dxhat_i = g_i w_c, the backward (as in llm.c's layernorm_backward):
//
//     dL/db_c = sum over the values of channel c (every row) of g_i
//     dL/dw_c = sum over the values of channel c (every row) of g_i xhat_i
//     dL/dx_i = rstd (dxhat_i - mean_j(dxhat_j) - xhat_i mean_j(dxhat_j xhat_j))
//
// The last line is the derivative of xhat through mean and rstd, which both depend on every x_j
// of the row: the two row means remove the part of dxhat along the constant direction and along
// xhat itself. The backward makes two passes over a row: per-channel sums of g and g xhat, from
// which the two row means follow (w_c is constant over a channel), then dx.

/// Rows of `channelsPerRow * channelLength` values, each normalised on its own. Channel k of
/// row r is `channelLength` consecutive values with affine parameters at index
/// `(r % groups) * channelsPerRow + k`: with `groups` rows per sample (GroupNorm) the rows of a
/// sample cover all C channels; with one group (LayerNorm) every row uses the same parameters.
struct RowNormalization {
    let rows: Int
    let channelsPerRow: Int
    let channelLength: Int
    let groups: Int
    let epsilon: Float

    var rowLength: Int { channelsPerRow * channelLength }
    /// The number of affine parameters (C for GroupNorm, D for LayerNorm).
    var parameterCount: Int { groups * channelsPerRow }

    /// Rows per parallel chunk: about `Parallel.elementGrain` values.
    private var grain: Int { Swift.max(1, Parallel.elementGrain / Swift.max(1, rowLength)) }

    /// y = w xhat + b for every row of `x`; also each row's mean and rstd, which the backward reuses.
    func forward(_ x: Tensor, weight: Tensor, bias: Tensor) -> (output: Tensor, mean: [Float], rstd: [Float]) {
        guard x.count > 0 else { return (x, [Float](repeating: 0, count: rows), [Float](repeating: 0, count: rows)) }
        let (m, perChannel) = (rowLength, channelLength)
        var means = [Float](repeating: 0, count: rows), rstds = [Float](repeating: 0, count: rows)
        let output = x.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    means.withUnsafeMutableBufferPointer { means in
                        rstds.withUnsafeMutableBufferPointer { rstds in
                            Tensor.build(shape: [x.count]) { y in
                                Parallel.forEachChunk(count: rows, grain: grain) { _, range in
                                    for r in range {
                                        let row = x.baseAddress! + r * m, out = y.baseAddress! + r * m
                                        // Step 1: the mean, then the variance about it (two passes: no cancellation).
                                        let mean = Float(RowSums.sum(m, row, row) { x, _ in x } / Double(m))
                                        let variance = RowSums.sum(m, row, row) { x, _ in (x - mean) * (x - mean) } / Double(m)
                                        // Step 2: rstd = 1 / sqrt(var + eps).
                                        let rstd = Float(1 / (variance + Double(epsilon)).squareRoot())
                                        means[r] = mean
                                        rstds[r] = rstd
                                        // Step 3: y = (x - mean) rstd w_c + b_c, channel by channel.
                                        let first = (r % groups) * channelsPerRow
                                        for k in 0..<channelsPerRow {
                                            let scale = rstd * w[first + k], shift = b[first + k]
                                            let start = k * perChannel
                                            for i in start..<(start + perChannel) { out[i] = (row[i] - mean) * scale + shift }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (try! output.reshaped(x.shape), means, rstds)
    }

    /// The gradients of x, w and b from g = dL/dy, given the input and the forward's row statistics.
    func backward(
        _ g: Tensor, input x: Tensor, weight: Tensor, mean: [Float], rstd: [Float]
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        guard x.count > 0 else {
            let zeros = try! Tensor.zeros([parameterCount])
            return (g, zeros, zeros)
        }
        let (m, perChannel, channels) = (rowLength, channelLength, channelsPerRow)
        // Per row and channel: sum of g (for db) and of g xhat (for dw). Row r's channels sit at
        // r * channels, so the buffer is [rows / groups, C] and the parameter gradients are its
        // column sums, taken afterwards in a fixed order (the same for any thread count).
        var gradientSums = [Float](repeating: 0, count: rows * channels)
        var gradientXhatSums = [Float](repeating: 0, count: rows * channels)
        let inputGradient = g.withUnsafeBufferPointer { g in
            x.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    gradientSums.withUnsafeMutableBufferPointer { sumG in
                        gradientXhatSums.withUnsafeMutableBufferPointer { sumGXhat in
                            Tensor.build(shape: [x.count]) { dx in
                                Parallel.forEachChunk(count: rows, grain: grain) { _, range in
                                    for r in range {
                                        let (mean, rstd) = (mean[r], rstd[r])
                                        let xRow = x.baseAddress! + r * m, gRow = g.baseAddress! + r * m
                                        let dxRow = dx.baseAddress! + r * m
                                        let first = (r % groups) * channels
                                        // Pass 1: per channel, sum g and g xhat; then the row means of
                                        // dxhat = g w_c and of dxhat xhat, as sums over channels.
                                        var dxhatSum = 0.0, dxhatXhatSum = 0.0
                                        for k in 0..<channels {
                                            let xc = xRow + k * perChannel, gc = gRow + k * perChannel
                                            let sg = RowSums.sum(perChannel, gc, gc) { g, _ in g }
                                            let sgx = RowSums.sum(perChannel, gc, xc) { g, x in g * (x - mean) } * Double(rstd)
                                            sumG[r * channels + k] = Float(sg)
                                            sumGXhat[r * channels + k] = Float(sgx)
                                            dxhatSum += Double(w[first + k]) * sg
                                            dxhatXhatSum += Double(w[first + k]) * sgx
                                        }
                                        let meanDxhat = Float(dxhatSum / Double(m))
                                        let meanDxhatXhat = Float(dxhatXhatSum / Double(m))
                                        // Pass 2: dx = rstd (g w_c - mean(dxhat) - xhat mean(dxhat xhat)).
                                        for k in 0..<channels {
                                            let wc = w[first + k]
                                            let start = k * perChannel
                                            for i in start..<(start + perChannel) {
                                                let xhat = (xRow[i] - mean) * rstd
                                                dxRow[i] = rstd * (gRow[i] * wc - meanDxhat - xhat * meanDxhatXhat)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // dw and db: the column sums over samples (rows / groups of them).
        let columns = [rows / groups, parameterCount]
        let dw = try! Tensor(uncheckedShape: columns, scalars: gradientXhatSums).sum(axes: [0])
        let db = try! Tensor(uncheckedShape: columns, scalars: gradientSums).sum(axes: [0])
        return (try! inputGradient.reshaped(x.shape), dw, db)
    }
}

extension Variable {
    /// The Variable op for a row normalisation: `weight` and `bias` are optional (1 and 0 when
    /// absent) and must have `kernel.parameterCount` values.
    static func normalized(
        _ op: String, _ x: Variable, by kernel: RowNormalization, weight: Variable?, bias: Variable?
    ) throws -> Variable {
        for (name, parameter) in [("weight", weight), ("bias", bias)] {
            if let parameter, parameter.shape != [kernel.parameterCount] {
                throw TensorError(op, "\(name) of shape \(describeShape(parameter.shape)) for "
                    + "\(kernel.parameterCount) channels (input \(describeShape(x.shape)))")
            }
        }
        let w = try weight?.value ?? Tensor.ones([kernel.parameterCount])
        let b = try bias?.value ?? Tensor.zeros([kernel.parameterCount])
        let input = x.value
        let (output, mean, rstd) = kernel.forward(input, weight: w, bias: b)
        let inputs = [x] + [weight, bias].compactMap { $0 }
        return result(of: op, output, inputs: inputs) { g in
            let gradients = kernel.backward(g, input: input, weight: w, mean: mean, rstd: rstd)
            return [gradients.input] + (weight == nil ? [] : [gradients.weight]) + (bias == nil ? [] : [gradients.bias])
        }
    }
}

/// Sums over a run of values for the normalisation kernels, in a fixed order: sixteen Float
/// lanes at a time for speed, carried into a Double every 1024 values for accuracy.
enum RowSums {
    /// The sum over i in 0..<count of term(a_i, b_i), with `term` applied to sixteen values of
    /// each run at a time. The tail (count not a multiple of 16) is padded, and only its real
    /// lanes are added. A sum over one run passes it as both `a` and `b`.
    @inline(__always)
    static func sum(
        _ count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ term: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>
    ) -> Double {
        func load(_ base: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
            UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self)
        }
        let vectorEnd = count - count % 16
        var total = 0.0
        var i = 0
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i + 1024)
            var lanes = SIMD16<Float>()
            while i < blockEnd {
                lanes += term(load(a, i), load(b, i))
                i += 16
            }
            total += Double(lanes.sum())
        }
        if i < count {
            var tailA = SIMD16<Float>(), tailB = SIMD16<Float>()
            for lane in 0..<(count - i) {
                tailA[lane] = a[i + lane]
                tailB[lane] = b[i + lane]
            }
            let terms = term(tailA, tailB)
            for lane in 0..<(count - i) { total += Double(terms[lane]) }
        }
        return total
    }
}
