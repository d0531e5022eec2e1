import Engine

/// How `resize` computes an output pixel from the input, each as PyTorch's F.interpolate
/// (align_corners=False, no antialiasing), with scale s = input size / output size per axis.
public enum ResizeMethod: Sendable {
    /// The input pixel floor(i * s), clamped to the last: labels stay labels.
    case nearest
    /// Half-pixel centres: the source coordinate (i + 0.5) s - 0.5, clamped below at 0,
    /// interpolated linearly between its two neighbours along each axis. On upsampling this is
    /// also skimage.transform.resize(order=1, mode='edge', anti_aliasing=False).
    case bilinear
    /// The mean of the input pixels from floor(i s) to ceil((i + 1) s) (exclusive), as
    /// adaptive_avg_pool2d: for a whole-number shrink factor, the mean of each block.
    case area
}

/// Resizes every plane of `[H, W]`, `[C, H, W]` or `[N, C, H, W]` to height × width. `cancellation` is
/// checked before each output row; once it is set the function throws `CancellationError`.
public func resize(
    _ image: Tensor, height: Int, width: Int, method: ResizeMethod, cancellation: CancellationFlag? = nil
) throws -> Tensor {
    let layout = try ImageLayout(image.shape, op: "resize")
    guard height > 0, width > 0, layout.height > 0, layout.width > 0 else {
        throw TensorError("resize", "cannot resize \(describeShape(image.shape)) to \(height) x \(width)")
    }
    // At least one output plane must fit, even for an empty batch: the samples are as many as
    // its rows and columns.
    try Tensor.checkAllocation([Swift.max(layout.planes, 1), height, width], op: "resize")
    let rows = samples(from: layout.height, to: height, method: method)
    let columns = samples(from: layout.width, to: width, method: method)
    var output = [Float](repeating: 0, count: layout.planes * height * width)
    for p in 0..<layout.planes {
        let plane = p * layout.planeSize
        for (i, row) in rows.enumerated() {
            try cancellation?.checkCancellation()
            for (j, column) in columns.enumerated() {
                var sum = 0.0
                for (y, wy) in row {
                    for (x, wx) in column {
                        sum += wy * wx * Double(image.scalars[plane + y * layout.width + x])
                    }
                }
                output[(p * height + i) * width + j] = Float(sum)
            }
        }
    }
    var shape = image.shape
    shape[shape.count - 2] = height
    shape[shape.count - 1] = width
    return try Tensor(shape: shape, scalars: output)
}

/// For each output index along an axis, the input indices it reads and their weights.
private func samples(from input: Int, to output: Int, method: ResizeMethod) -> [[(Int, Double)]] {
    let scale = Double(input) / Double(output)
    return (0..<output).map { i in
        switch method {
        case .nearest:
            return [(Swift.min(Int((Double(i) * scale).rounded(.down)), input - 1), 1)]
        case .bilinear:
            let source = Swift.max((Double(i) + 0.5) * scale - 0.5, 0)
            let below = Swift.min(Int(source.rounded(.down)), input - 1)
            let above = Swift.min(below + 1, input - 1)
            let t = source - Double(below)
            return below == above ? [(below, 1)] : [(below, 1 - t), (above, t)]
        case .area:
            let start = (i * input) / output
            let end = ((i + 1) * input + output - 1) / output
            return (start..<end).map { ($0, 1 / Double(end - start)) }
        }
    }
}
