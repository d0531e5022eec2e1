/// Average and max pooling over NCHW images, as PyTorch's avg_pool2d (count_include_pad either
/// way) and max_pool2d, without ceil mode or dilation.
///
/// Both slide a kh x kw window over each image plane (see `SlidingWindow`) and reduce it to one
/// value: its mean, the padding counting as zeros, or its largest value, the padding never
/// chosen. Every plane (one channel of one image) is independent, so the loops run in parallel
/// over whole planes and each result is computed in the same order whatever the thread count.
enum Pooling2D {
    /// Planes per parallel chunk: enough to make about `Parallel.elementGrain` input values.
    static func grain(_ window: SlidingWindow) -> Int {
        Swift.max(1, Parallel.elementGrain / (window.height * window.width))
    }

    /// The input rows and columns under output position (oh, ow), clipped to the plane.
    @inline(__always)
    static func inside(_ window: SlidingWindow, _ oh: Int, _ ow: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        let top = oh * window.stride.height - window.padding.height
        let left = ow * window.stride.width - window.padding.width
        return (Swift.max(0, top) ..< Swift.min(window.height, top + window.kernel.height),
                Swift.max(0, left) ..< Swift.min(window.width, left + window.kernel.width))
    }

    /// The share of each value in the mean of window (oh, ow): 1 / (kh kw) when the padding
    /// counts (as zeros), else 1 / the number of positions inside the plane.
    @inline(__always)
    static func share(_ window: SlidingWindow, rows: Range<Int>, columns: Range<Int>, countingPadding: Bool) -> Float {
        countingPadding ? 1 / Float(window.kernel.height * window.kernel.width) : 1 / Float(rows.count * columns.count)
    }

    /// avg_pool2d forward: y[p, oh, ow] = the sum of x over the window times its share, the padded
    /// positions adding zero.
    static func averageForward(
        output: UnsafeMutablePointer<Float>,    // [planes, OH, OW]
        input: UnsafePointer<Float>,            // [planes, H, W]
        planes: Int, window: SlidingWindow, countingPadding: Bool
    ) {
        let (outputHeight, outputWidth) = (window.outputHeight, window.outputWidth)
        Parallel.forEachChunk(count: planes, grain: grain(window)) { _, range in
            for p in range {
                let x = input + p * window.height * window.width
                let y = output + p * outputHeight * outputWidth
                for oh in 0..<outputHeight {
                    for ow in 0..<outputWidth {
                        let (rows, columns) = inside(window, oh, ow)
                        var sum: Float = 0
                        for ih in rows {
                            for iw in columns { sum += x[ih * window.width + iw] }
                        }
                        y[oh * outputWidth + ow] = sum * share(window, rows: rows, columns: columns, countingPadding: countingPadding)
                    }
                }
            }
        }
    }

    /// avg_pool2d backward: each output's gradient is shared by the positions of its window,
    /// dx[ih, iw] += g[oh, ow] * share (the share of padded positions is dropped).
    static func averageBackward(
        inputGradient: UnsafeMutablePointer<Float>,     // [planes, H, W], overwritten
        outputGradient: UnsafePointer<Float>,           // [planes, OH, OW]
        planes: Int, window: SlidingWindow, countingPadding: Bool
    ) {
        let (outputHeight, outputWidth) = (window.outputHeight, window.outputWidth)
        Parallel.forEachChunk(count: planes, grain: grain(window)) { _, range in
            for p in range {
                let dx = inputGradient + p * window.height * window.width
                let g = outputGradient + p * outputHeight * outputWidth
                dx.update(repeating: 0, count: window.height * window.width)
                for oh in 0..<outputHeight {
                    for ow in 0..<outputWidth {
                        let (rows, columns) = inside(window, oh, ow)
                        let portion = g[oh * outputWidth + ow] * share(window, rows: rows, columns: columns, countingPadding: countingPadding)
                        for ih in rows {
                            for iw in columns { dx[ih * window.width + iw] += portion }
                        }
                    }
                }
            }
        }
    }

    /// max_pool2d forward: y[p, oh, ow] = the largest x in the window (padding is -inf, never
    /// chosen), and `positions` remembers where in the plane it was: the first such position in
    /// row-major order on ties, and a NaN wins over any number (as PyTorch).
    static func maxForward(
        output: UnsafeMutablePointer<Float>,    // [planes, OH, OW]
        positions: UnsafeMutablePointer<Int32>, // [planes, OH, OW]: ih * W + iw
        input: UnsafePointer<Float>,            // [planes, H, W]
        planes: Int, window: SlidingWindow
    ) {
        let (outputHeight, outputWidth) = (window.outputHeight, window.outputWidth)
        Parallel.forEachChunk(count: planes, grain: grain(window)) { _, range in
            for p in range {
                let x = input + p * window.height * window.width
                let y = output + p * outputHeight * outputWidth
                let position = positions + p * outputHeight * outputWidth
                for oh in 0..<outputHeight {
                    for ow in 0..<outputWidth {
                        let (rows, columns) = inside(window, oh, ow)
                        var best = -Float.infinity, bestPosition = rows.lowerBound * window.width + columns.lowerBound
                        for ih in rows {
                            for iw in columns {
                                let value = x[ih * window.width + iw]
                                if value > best || value.isNaN {
                                    best = value
                                    bestPosition = ih * window.width + iw
                                }
                            }
                        }
                        y[oh * outputWidth + ow] = best
                        position[oh * outputWidth + ow] = Int32(bestPosition)
                    }
                }
            }
        }
    }

    /// max_pool2d backward: each output's gradient goes to the one input it took its value
    /// from; an input that was the maximum of several overlapping windows receives their sum.
    static func maxBackward(
        inputGradient: UnsafeMutablePointer<Float>,     // [planes, H, W], overwritten
        outputGradient: UnsafePointer<Float>,           // [planes, OH, OW]
        positions: UnsafePointer<Int32>,                // [planes, OH, OW], from maxForward
        planes: Int, window: SlidingWindow
    ) {
        let outputPlane = window.outputHeight * window.outputWidth
        Parallel.forEachChunk(count: planes, grain: grain(window)) { _, range in
            for p in range {
                let dx = inputGradient + p * window.height * window.width
                dx.update(repeating: 0, count: window.height * window.width)
                for o in p * outputPlane ..< (p + 1) * outputPlane {
                    dx[Int(positions[o])] += outputGradient[o]
                }
            }
        }
    }

    /// The geometry of pooling `shape` [N, C, H, W], with PyTorch's limits: the stride defaults
    /// to the kernel size, and padding may be at most half the kernel.
    static func window(op: String, shape: [Int], kernel: Size2D, stride: Size2D?, padding: Size2D) throws -> SlidingWindow {
        guard shape.count == 4 else {
            throw TensorError(op, "needs an input [N, C, H, W], got \(describeShape(shape))")
        }
        guard shape[0] > 0, shape[1] > 0 else {
            throw TensorError(op, "input \(describeShape(shape)) has no images or no channels")
        }
        guard 2 * padding.height <= kernel.height, 2 * padding.width <= kernel.width else {
            throw TensorError(op, "padding \(padding) must be at most half the kernel size \(kernel)")
        }
        return try SlidingWindow(op: op, shape: shape, height: shape[2], width: shape[3],
                                 kernel: kernel, stride: stride ?? kernel, padding: padding)
    }
}

extension Variable {
    /// Average pooling of [N, C, H, W] over kh x kw windows, as PyTorch's avg_pool2d: each output
    /// is the window's sum over kh kw, zero padding included (count_include_pad=True, the default),
    /// or over the positions inside the image (`countingPadding: false`, as Inception's blocks in
    /// pytorch-fid pool). The stride defaults to the kernel size.
    public func avgPool2d(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, countingPadding: Bool = true) throws -> Variable {
        let window = try Pooling2D.window(op: "avgPool2d", shape: shape, kernel: kernel, stride: stride, padding: padding)
        let planes = shape[0] * shape[1], outputShape = [shape[0], shape[1], window.outputHeight, window.outputWidth]
        let x = value
        let y = try Tensor.build(shape: outputShape, op: "avgPool2d") { y in
            x.withUnsafeBufferPointer { x in
                Pooling2D.averageForward(output: y.baseAddress!, input: x.baseAddress!, planes: planes, window: window,
                                         countingPadding: countingPadding)
            }
        }
        return Variable.result(of: "avgPool2d", y, inputs: [self]) { g in
            [Tensor.build(shape: x.shape) { dx in
                g.withUnsafeBufferPointer { g in
                    Pooling2D.averageBackward(inputGradient: dx.baseAddress!, outputGradient: g.baseAddress!,
                                              planes: planes, window: window, countingPadding: countingPadding)
                }
            }]
        }
    }

    /// Max pooling of [N, C, H, W] over kh x kw windows, as PyTorch's max_pool2d: each output is
    /// the window's largest value and its gradient goes to the first position holding it.
    /// The stride defaults to the kernel size.
    public func maxPool2d(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0) throws -> Variable {
        let window = try Pooling2D.window(op: "maxPool2d", shape: shape, kernel: kernel, stride: stride, padding: padding)
        let planes = shape[0] * shape[1], outputShape = [shape[0], shape[1], window.outputHeight, window.outputWidth]
        let x = value
        // The positions are as many as the output's values, and allocated first.
        try Shape.checkAllocation(outputShape, op: "maxPool2d")
        var positions = [Int32](repeating: 0, count: Shape.count(outputShape))
        let y = try Tensor.build(shape: outputShape, op: "maxPool2d") { y in
            x.withUnsafeBufferPointer { x in
                positions.withUnsafeMutableBufferPointer { positions in
                    Pooling2D.maxForward(output: y.baseAddress!, positions: positions.baseAddress!, input: x.baseAddress!,
                                         planes: planes, window: window)
                }
            }
        }
        return Variable.result(of: "maxPool2d", y, inputs: [self]) { [positions] g in
            [Tensor.build(shape: x.shape) { dx in
                g.withUnsafeBufferPointer { g in
                    positions.withUnsafeBufferPointer { positions in
                        Pooling2D.maxBackward(inputGradient: dx.baseAddress!, outputGradient: g.baseAddress!,
                                              positions: positions.baseAddress!, planes: planes, window: window)
                    }
                }
            }]
        }
    }
}
