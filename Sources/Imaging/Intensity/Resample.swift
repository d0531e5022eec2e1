import Engine

/// How `resample` takes a value between samples.
public enum ResampleMethod: Sendable {
    /// Linear along each axis (so bilinear or trilinear), pixel-area aligned: output sample i
    /// reads the input at (i + 0.5) s - 0.5 with s = input count / output count, the edge
    /// value beyond the edge. scipy.ndimage.zoom(order=1, grid_mode=True, mode='nearest') and
    /// PyTorch's interpolate(align_corners=False) compute the same.
    case linear
    /// The input sample whose extent holds the output sample's centre, floor((i + 0.5) s):
    /// labels stay labels (scipy's zoom with order=0 and grid_mode=True, PyTorch's
    /// "nearest-exact").
    case nearest
}

/// `image` with its last `counts.count` axes resampled to `counts` samples each, spanning the
/// same extent (so the voxel size along an axis scales by old count / new count). Axes before
/// them (batch, channel) are kept. Each axis is resampled in turn; `cancellation` is checked
/// between them and every 64 rows.
public func resample(
    _ image: Tensor, to counts: [Int], method: ResampleMethod, cancellation: CancellationFlag? = nil
) throws -> Tensor {
    guard !counts.isEmpty, counts.count <= image.rank else {
        throw TensorError("resample", "cannot resample \(counts.count) axes of a tensor of shape \(describeShape(image.shape))")
    }
    guard counts.allSatisfy({ $0 > 0 }), image.shape.allSatisfy({ $0 > 0 }) else {
        throw TensorError("resample", "cannot resample \(describeShape(image.shape)) to \(counts)")
    }
    var shape = image.shape
    for (offset, count) in counts.enumerated() { shape[image.rank - counts.count + offset] = count }
    try Tensor.checkAllocation(shape, op: "resample")
    // Shrinking axes first keeps every intermediate no larger than needed; each is checked
    // against the memory budget before it is made.
    let growth = counts.indices.map { Double(counts[$0]) / Double(image.shape[image.rank - counts.count + $0]) }
    let order = counts.indices.sorted { growth[$0] < growth[$1] }
    var result = image
    for offset in order {
        let axis = image.rank - counts.count + offset, count = counts[offset]
        guard result.shape[axis] != count else { continue }
        try cancellation?.checkCancellation()
        var next = result.shape
        next[axis] = count
        try Tensor.checkAllocation(next, op: "resample")
        result = try resample(result, axis: axis, to: count, method: method, cancellation: cancellation)
    }
    return result
}

/// One axis resampled, the others kept.
private func resample(_ input: Tensor, axis: Int, to count: Int, method: ResampleMethod, cancellation: CancellationFlag?) throws -> Tensor {
    let extent = input.shape[axis]
    let outer = input.shape[..<axis].reduce(1, *), inner = input.shape[(axis + 1)...].reduce(1, *)
    let scale = Double(extent) / Double(count)
    // Output sample i: the two input samples and the weight of the second.
    func tap(_ i: Int) -> (Int, Int, Float) {
        switch method {
        case .nearest:
            // In scipy's order of operations, so that halfway cases (which rounding can move
            // either side) fall the same way.
            let centre = (Double(i) + 0.5) * scale - 0.5
            let source = Swift.min(extent - 1, Swift.max(0, Int((centre + 0.5).rounded(.down))))
            return (source, source, 0)
        case .linear:
            let position = Swift.min(Swift.max((Double(i) + 0.5) * scale - 0.5, 0), Double(extent - 1))
            let low = Int(position.rounded(.down)), high = Swift.min(low + 1, extent - 1)
            return (low, high, Float(position - Double(low)))
        }
    }
    var shape = input.shape
    shape[axis] = count
    var output = [Float](repeating: 0, count: outer * count * inner)
    try input.withUnsafeBufferPointer { source in
        for block in 0..<outer {
            if block % 64 == 0 { try cancellation?.checkCancellation() }
            let from = block * extent * inner, to = block * count * inner
            for i in 0..<count {
                let (low, high, weight) = tap(i)
                let a = from + low * inner, b = from + high * inner, o = to + i * inner
                if weight == 0 {
                    for k in 0..<inner { output[o + k] = source[a + k] }
                } else {
                    for k in 0..<inner { output[o + k] = source[a + k] + weight * (source[b + k] - source[a + k]) }
                }
            }
        }
    }
    return try Tensor(shape: shape, scalars: output)
}

/// The number of samples that cover `count` samples of size `spacing` with samples of size
/// `target`: count × spacing / target, rounded, at least 1 (as SimpleITK and MONAI choose it).
/// A count beyond 2^30 along one axis (a target far below the spacing) is an error.
public func resampledCount(_ count: Int, spacing: Double, target: Double) throws -> Int {
    let exact = (Double(count) * spacing / target).rounded()
    guard exact.isFinite, exact <= 0x1p30 else {
        throw TensorError("resample", "\(count) voxels of \(spacing) at a spacing of \(target) would be \(exact < 1e15 ? String(Int64(exact)) : "\(exact)") voxels along one axis")
    }
    return Swift.max(1, Int(exact))
}
