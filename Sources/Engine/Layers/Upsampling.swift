/// Nearest and bilinear resizing of NCHW images, as PyTorch's F.interpolate with
/// mode="nearest" (integer scale factors) and mode="bilinear", align_corners=False.
///
/// Every plane (one channel of one image) is resized on its own, so the loops run in parallel
/// over whole planes; each value is computed in the same order whatever the thread count.
enum Upsampling2D {
    /// Planes per parallel chunk: enough to make about `Parallel.elementGrain` output values.
    static func grain(outputPlane: Int) -> Int {
        Swift.max(1, Parallel.elementGrain / Swift.max(1, outputPlane))
    }

    /// Nearest forward: every input value is repeated over a sh x sw block,
    /// y[p, oh, ow] = x[p, oh / sh, ow / sw] (integer division).
    static func nearestForward(
        output: UnsafeMutablePointer<Float>,    // [planes, H*sh, W*sw]
        input: UnsafePointer<Float>,            // [planes, H, W]
        planes: Int, height: Int, width: Int, scale: Size2D
    ) {
        let (outputHeight, outputWidth) = (height * scale.height, width * scale.width)
        Parallel.forEachChunk(count: planes, grain: grain(outputPlane: outputHeight * outputWidth)) { _, range in
            for p in range {
                let x = input + p * height * width, y = output + p * outputHeight * outputWidth
                // Each input row once into its first output row, the others copies of it.
                for ih in 0..<height {
                    let source = x + ih * width, row = y + ih * scale.height * outputWidth
                    for iw in 0..<width {
                        (row + iw * scale.width).update(repeating: source[iw], count: scale.width)
                    }
                    for copy in 1..<scale.height {
                        (row + copy * outputWidth).update(from: row, count: outputWidth)
                    }
                }
            }
        }
    }

    /// Nearest backward: each input value was copied to a sh x sw block, so its gradient is the
    /// sum of the block's, dx[p, ih, iw] = sum over i < sh, j < sw of g[p, ih*sh + i, iw*sw + j].
    static func nearestBackward(
        inputGradient: UnsafeMutablePointer<Float>,     // [planes, H, W]
        outputGradient: UnsafePointer<Float>,           // [planes, H*sh, W*sw]
        planes: Int, height: Int, width: Int, scale: Size2D
    ) {
        let (outputHeight, outputWidth) = (height * scale.height, width * scale.width)
        Parallel.forEachChunk(count: planes, grain: grain(outputPlane: outputHeight * outputWidth)) { _, range in
            for p in range {
                let dx = inputGradient + p * height * width, g = outputGradient + p * outputHeight * outputWidth
                for ih in 0..<height {
                    for iw in 0..<width {
                        var sum: Float = 0
                        for i in 0..<scale.height {
                            let row = g + (ih * scale.height + i) * outputWidth + iw * scale.width
                            for j in 0..<scale.width { sum += row[j] }
                        }
                        dx[ih * width + iw] = sum
                    }
                }
            }
        }
    }

    /// Where one output index of a bilinear resize reads along one axis: between input indices
    /// `lower` and `upper` (equal at the last input), with weights summing to 1.
    struct LinearTap {
        let lower: Int, upper: Int
        let lowerWeight: Float, upperWeight: Float
    }

    /// The taps of an axis resized from `input` to `output` values with align_corners=False:
    /// output index o sits at input coordinate src = (o + 1/2) * input/output - 1/2, clamped at
    /// 0, and reads (1 - t) x[floor(src)] + t x[floor(src) + 1] with t = src - floor(src).
    /// Computed in Float, as PyTorch does for float tensors.
    static func linearTaps(input: Int, output: Int) -> [LinearTap] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { o in
            let source = Swift.max(scale * (Float(o) + 0.5) - 0.5, 0)
            let lower = Swift.min(Int(source), input - 1)
            let t = Swift.min(Swift.max(source - Float(lower), 0), 1)
            return LinearTap(lower: lower, upper: lower < input - 1 ? lower + 1 : lower, lowerWeight: 1 - t, upperWeight: t)
        }
    }

    /// Bilinear forward: interpolate along the width in the two input rows a row of the output
    /// falls between, then between those two rows:
    ///
    ///     y[p, oh, ow] = a0 (b0 x[p, h0, w0] + b1 x[p, h0, w1]) + a1 (b0 x[p, h1, w0] + b1 x[p, h1, w1])
    ///
    /// with (h0, h1, a0, a1) = rows[oh] and (w0, w1, b0, b1) = columns[ow].
    static func bilinearForward(
        output: UnsafeMutablePointer<Float>,    // [planes, OH, OW]
        input: UnsafePointer<Float>,            // [planes, H, W]
        planes: Int, height: Int, width: Int, rows: [LinearTap], columns: [LinearTap]
    ) {
        let (outputHeight, outputWidth) = (rows.count, columns.count)
        Parallel.forEachChunk(count: planes, grain: grain(outputPlane: outputHeight * outputWidth)) { _, range in
            for p in range {
                let x = input + p * height * width, y = output + p * outputHeight * outputWidth
                for (oh, r) in rows.enumerated() {
                    let top = x + r.lower * width, bottom = x + r.upper * width
                    for (ow, c) in columns.enumerated() {
                        y[oh * outputWidth + ow] =
                            r.lowerWeight * (c.lowerWeight * top[c.lower] + c.upperWeight * top[c.upper])
                            + r.upperWeight * (c.lowerWeight * bottom[c.lower] + c.upperWeight * bottom[c.upper])
                    }
                }
            }
        }
    }

    /// Bilinear backward: each output's gradient goes back to its four inputs with the weights
    /// it read them with, dx[p, h_i, w_j] += a_i b_j g[p, oh, ow], in row-major output order.
    static func bilinearBackward(
        inputGradient: UnsafeMutablePointer<Float>,     // [planes, H, W], overwritten
        outputGradient: UnsafePointer<Float>,           // [planes, OH, OW]
        planes: Int, height: Int, width: Int, rows: [LinearTap], columns: [LinearTap]
    ) {
        let (outputHeight, outputWidth) = (rows.count, columns.count)
        Parallel.forEachChunk(count: planes, grain: grain(outputPlane: outputHeight * outputWidth)) { _, range in
            for p in range {
                let dx = inputGradient + p * height * width, g = outputGradient + p * outputHeight * outputWidth
                dx.update(repeating: 0, count: height * width)
                for (oh, r) in rows.enumerated() {
                    let top = dx + r.lower * width, bottom = dx + r.upper * width
                    for (ow, c) in columns.enumerated() {
                        let upper = r.lowerWeight * g[oh * outputWidth + ow]
                        let lower = r.upperWeight * g[oh * outputWidth + ow]
                        top[c.lower] += c.lowerWeight * upper
                        top[c.upper] += c.upperWeight * upper
                        bottom[c.lower] += c.lowerWeight * lower
                        bottom[c.upper] += c.upperWeight * lower
                    }
                }
            }
        }
    }

    /// Checks that `shape` is a non-empty [N, C, H, W] and returns (planes, H, W).
    static func planes(op: String, _ shape: [Int]) throws -> (planes: Int, height: Int, width: Int) {
        guard shape.count == 4 else {
            throw TensorError(op, "needs an input [N, C, H, W], got \(describeShape(shape))")
        }
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw TensorError(op, "input \(describeShape(shape)) is empty")
        }
        return (shape[0] * shape[1], shape[2], shape[3])
    }

    /// Checks that the scale factors are positive and the upsampled tensor's size is countable.
    static func checkOutput(op: String, _ shape: [Int], scale: Size2D) throws {
        guard scale.height > 0, scale.width > 0 else {
            throw TensorError(op, "scale factors must be positive, got \(scale)")
        }
        var count = shape[0] * shape[1] * shape[2] * shape[3]
        for factor in [scale.height, scale.width] {
            let (product, overflow) = count.multipliedReportingOverflow(by: factor)
            guard !overflow, product <= Int(Int32.max) * 64 else {
                throw TensorError(op, "scaling \(describeShape(shape)) by \(scale) gives too many values")
            }
            count = product
        }
    }
}

extension Variable {
    /// Nearest-neighbour upsampling of [N, C, H, W] by integer factors to [N, C, H*sh, W*sw]:
    /// each value becomes a sh x sw block, as PyTorch's F.interpolate(scale_factor=s, mode="nearest").
    public func upsampleNearest(scale: Size2D) throws -> Variable {
        let (planes, height, width) = try Upsampling2D.planes(op: "upsampleNearest", shape)
        try Upsampling2D.checkOutput(op: "upsampleNearest", shape, scale: scale)
        let x = value
        let y = try Tensor.build(shape: [shape[0], shape[1], height * scale.height, width * scale.width], op: "upsampleNearest") { y in
            x.withUnsafeBufferPointer { x in
                Upsampling2D.nearestForward(output: y.baseAddress!, input: x.baseAddress!,
                                            planes: planes, height: height, width: width, scale: scale)
            }
        }
        return Variable.result(of: "upsampleNearest", y, inputs: [self]) { g in
            [Tensor.build(shape: x.shape) { dx in
                g.withUnsafeBufferPointer { g in
                    Upsampling2D.nearestBackward(inputGradient: dx.baseAddress!, outputGradient: g.baseAddress!,
                                                 planes: planes, height: height, width: width, scale: scale)
                }
            }]
        }
    }

    /// Bilinear upsampling of [N, C, H, W] by integer factors to [N, C, H*sh, W*sw], as PyTorch's
    /// F.interpolate(scale_factor=s, mode="bilinear", align_corners=False).
    public func upsampleBilinear(scale: Size2D) throws -> Variable {
        _ = try Upsampling2D.planes(op: "upsampleBilinear", shape)
        try Upsampling2D.checkOutput(op: "upsampleBilinear", shape, scale: scale)
        return try resizeBilinear(height: shape[2] * scale.height, width: shape[3] * scale.width)
    }

    /// Bilinear resizing of [N, C, H, W] to [N, C, height, width] (larger or smaller), as
    /// PyTorch's F.interpolate(size=(height, width), mode="bilinear", align_corners=False),
    /// which does not low-pass filter when shrinking.
    public func resizeBilinear(height outputHeight: Int, width outputWidth: Int) throws -> Variable {
        let (planes, height, width) = try Upsampling2D.planes(op: "resizeBilinear", shape)
        guard outputHeight > 0, outputWidth > 0 else {
            throw TensorError("resizeBilinear", "output size must be positive, got \(outputHeight)x\(outputWidth)")
        }
        // Checked before the taps, which are as many as the output's rows and columns (planes
        // refuses an empty input).
        try Shape.checkAllocation([shape[0], shape[1], outputHeight, outputWidth], op: "resizeBilinear")
        let rows = Upsampling2D.linearTaps(input: height, output: outputHeight)
        let columns = Upsampling2D.linearTaps(input: width, output: outputWidth)
        let x = value
        let y = Tensor.build(shape: [shape[0], shape[1], outputHeight, outputWidth]) { y in
            x.withUnsafeBufferPointer { x in
                Upsampling2D.bilinearForward(output: y.baseAddress!, input: x.baseAddress!, planes: planes,
                                             height: height, width: width, rows: rows, columns: columns)
            }
        }
        return Variable.result(of: "resizeBilinear", y, inputs: [self]) { g in
            [Tensor.build(shape: x.shape) { dx in
                g.withUnsafeBufferPointer { g in
                    Upsampling2D.bilinearBackward(inputGradient: dx.baseAddress!, outputGradient: g.baseAddress!,
                                                  planes: planes, height: height, width: width,
                                                  rows: rows, columns: columns)
                }
            }]
        }
    }
}
