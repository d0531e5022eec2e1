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
///
/// Rows are independent, so each pass runs over chunks of rows in parallel, and every value is
/// computed the same way whatever the thread count.
struct RowNormalization {
    let rows: Int
    let channelsPerRow: Int
    let channelLength: Int
    let groups: Int
    let epsilon: Float
    /// Whether SiLU follows, fused: the forward writes silu(y) in the same pass that makes y,
    /// and the backward turns dL/d silu(y) into dL/dy as it goes (recomputing y from x and the
    /// row's statistics), so that y is never stored. The values are those of the two ops one
    /// after the other, to the bit.
    var appliesSiLU = false

    /// M, the values per row.
    var rowLength: Int { channelsPerRow * channelLength }
    /// The number of affine parameters (C for GroupNorm, D for LayerNorm).
    var parameterCount: Int { groups * channelsPerRow }

    /// A row's mean and rstd, kept from the forward for the backward.
    struct RowStatistics {
        var mean: Float
        var rstd: Float
    }

    // MARK: Forward

    /// y = w xhat + b for every row of `x` [rows * M], and each row's statistics.
    func forward(_ x: Tensor, weight: Tensor, bias: Tensor) -> (output: Tensor, statistics: [RowStatistics]) {
        guard x.count > 0 else { return (x, []) }
        let statistics = rowStatistics(x)
        let (m, length, w, b) = (rowLength, channelLength, weight.scalars, bias.scalars)
        let output = x.withUnsafeBufferPointer { input in
            Tensor.build(shape: x.shape) { output in
                forEachRow { r in
                    let (x, y) = (input.baseAddress! + r * m, output.baseAddress! + r * m)
                    let (mean, rstd) = (statistics[r].mean, statistics[r].rstd)
                    // Step 3: y = (x - mean) rstd w_c + b_c, channel by channel.
                    let first = (r % groups) * channelsPerRow
                    for k in 0..<channelsPerRow {
                        let scale = rstd * w[first + k], shift = b[first + k]
                        if appliesSiLU {
                            for i in (k * length)..<((k + 1) * length) { y[i] = SiLU()((x[i] - mean) * scale + shift) }
                        } else {
                            for i in (k * length)..<((k + 1) * length) { y[i] = (x[i] - mean) * scale + shift }
                        }
                    }
                }
            }
        }
        return (output, statistics)
    }

    /// Steps 1 and 2 for every row: the mean, then the variance about it (two passes, so no
    /// cancellation), and rstd = 1 / sqrt(var + eps).
    func rowStatistics(_ x: Tensor) -> [RowStatistics] {
        let m = rowLength
        return x.withUnsafeBufferPointer { input in
            [RowStatistics](unsafeUninitializedCapacity: rows) { statistics, initialized in
                forEachRow { r in
                    let x = input.baseAddress! + r * m
                    let mean = Float(RowSums.sum(m, x, x) { x, _ in x } / Double(m))
                    let variance = RowSums.sum(m, x, x) { x, _ in (x - mean) * (x - mean) } / Double(m)
                    let rstd = Float(1 / (variance + Double(epsilon)).squareRoot())
                    (statistics.baseAddress! + r).initialize(to: RowStatistics(mean: mean, rstd: rstd))
                }
                initialized = rows
            }
        }
    }

    // MARK: Backward

    /// The gradients of x, w and b from g = dL/dy (dL/d silu(y) with `appliesSiLU`), given the
    /// input, the affine parameters and the forward's statistics.
    func backward(
        _ outputGradient: Tensor, input x: Tensor, weight: Tensor, bias: Tensor, statistics: [RowStatistics]
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        guard x.count > 0 else {
            let zeros = try! Tensor.zeros([parameterCount])
            return (outputGradient, zeros, zeros)
        }
        let g = appliesSiLU ? siluGradient(outputGradient, input: x, weight: weight, bias: bias, statistics: statistics) : outputGradient
        // Pass 1: per row and channel, sum g and g xhat.
        let sums = channelSums(g, input: x, statistics: statistics)
        // Pass 2: dx, from the row means of dxhat and dxhat xhat (sums over channels of w_c
        // times the channel sums: w_c is constant over a channel).
        let (m, length, channels, w, channelSum) = (rowLength, channelLength, channelsPerRow, weight.scalars, sums.scalars)
        let inputGradient = g.withUnsafeBufferPointer { gradient in
            x.withUnsafeBufferPointer { input in
                Tensor.build(shape: x.shape) { output in
                    forEachRow { r in
                        let (g, x, dx) = (gradient.baseAddress! + r * m, input.baseAddress! + r * m, output.baseAddress! + r * m)
                        let (mean, rstd) = (statistics[r].mean, statistics[r].rstd)
                        let first = (r % groups) * channels
                        var dxhatSum: Float = 0, dxhatXhatSum: Float = 0
                        for k in 0..<channels {
                            dxhatSum += w[first + k] * channelSum[2 * (r * channels + k)]
                            dxhatXhatSum += w[first + k] * channelSum[2 * (r * channels + k) + 1]
                        }
                        let (meanDxhat, meanDxhatXhat) = (dxhatSum / Float(m), dxhatXhatSum / Float(m))
                        // dx = rstd (g w_c - mean(dxhat) - xhat mean(dxhat xhat)).
                        for k in 0..<channels {
                            let wc = w[first + k]
                            for i in (k * length)..<((k + 1) * length) {
                                let xhat = (x[i] - mean) * rstd
                                dx[i] = rstd * (g[i] * wc - meanDxhat - xhat * meanDxhatXhat)
                            }
                        }
                    }
                }
            }
        }
        // db and dw: the channel sums added over samples, in a fixed order.
        let total = try! sums.reshaped([rows / groups, parameterCount, 2]).sum(axes: [0])
        return (inputGradient, try! total[.all, .at(1)], try! total[.all, .at(0)])
    }

    /// dL/dy from dL/d silu(y), y = w xhat + b recomputed from x and the row's statistics as
    /// the forward computed it.
    func siluGradient(_ g: Tensor, input x: Tensor, weight: Tensor, bias: Tensor, statistics: [RowStatistics]) -> Tensor {
        let (m, length, w, b) = (rowLength, channelLength, weight.scalars, bias.scalars)
        return g.withUnsafeBufferPointer { gradient in
            x.withUnsafeBufferPointer { input in
                Tensor.build(shape: x.shape) { output in
                    forEachRow { r in
                        let (g, x, dy) = (gradient.baseAddress! + r * m, input.baseAddress! + r * m, output.baseAddress! + r * m)
                        let (mean, rstd) = (statistics[r].mean, statistics[r].rstd)
                        let first = (r % groups) * channelsPerRow
                        for k in 0..<channelsPerRow {
                            let scale = rstd * w[first + k], shift = b[first + k]
                            for i in (k * length)..<((k + 1) * length) {
                                dy[i] = SiLUGradient()(g[i], (x[i] - mean) * scale + shift)
                            }
                        }
                    }
                }
            }
        }
    }

    /// [rows * channelsPerRow, 2]: for each row and channel, the sum of g and of g xhat over the
    /// channel's values (row r's channels start at row r * channelsPerRow).
    func channelSums(_ g: Tensor, input x: Tensor, statistics: [RowStatistics]) -> Tensor {
        let (m, length, channels) = (rowLength, channelLength, channelsPerRow)
        return g.withUnsafeBufferPointer { gradient in
            x.withUnsafeBufferPointer { input in
                Tensor.build(shape: [rows * channels, 2]) { sums in
                    forEachRow { r in
                        let (mean, rstd) = (statistics[r].mean, statistics[r].rstd)
                        for k in 0..<channels {
                            let g = gradient.baseAddress! + r * m + k * length, x = input.baseAddress! + r * m + k * length
                            let sumG = RowSums.sum(length, g, g) { g, _ in g }
                            let sumGXhat = RowSums.sum(length, g, x) { g, x in g * (x - mean) } * Double(rstd)
                            sums[2 * (r * channels + k)] = Float(sumG)
                            sums[2 * (r * channels + k) + 1] = Float(sumGXhat)
                        }
                    }
                }
            }
        }
    }

    /// Runs `body` for every row, on chunks of about `Parallel.elementGrain` values.
    private func forEachRow(_ body: (Int) -> Void) {
        let grain = Swift.max(1, Parallel.elementGrain / Swift.max(1, rowLength))
        Parallel.forEachChunk(count: rows, grain: grain) { _, range in
            for r in range { body(r) }
        }
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
        let (output, statistics) = kernel.forward(input, weight: w, bias: b)
        let inputs = [x] + [weight, bias].compactMap { $0 }
        return result(of: op, output, inputs: inputs) { g in
            let gradients = kernel.backward(g, input: input, weight: w, bias: b, statistics: statistics)
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
