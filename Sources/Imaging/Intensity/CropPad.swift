import Engine

/// Crops or pads every plane of `[H, W]`, `[C, H, W]` or `[N, C, H, W]` to height × width, keeping it centred.
///
/// Along each axis, a larger image loses floor((size - target) / 2) pixels at the start and the
/// rest at the end; a smaller one gains floor((target - size) / 2) pixels of `value` at the start
/// and the rest at the end. Cropping then padding back to the original size keeps the centre.
public func cropOrPad(_ image: Tensor, height: Int, width: Int, value: Float = 0) throws -> Tensor {
    let layout = try ImageLayout(image.shape, op: "cropOrPad")
    guard height > 0, width > 0 else {
        throw TensorError("cropOrPad", "the target size must be positive, got \(height) x \(width)")
    }
    try Tensor.checkAllocation([layout.planes, height, width], op: "cropOrPad")
    // Input row of output row i is i + top (top < 0 when padding); likewise for columns.
    let top = (layout.height - height) >= 0 ? (layout.height - height) / 2 : -((height - layout.height) / 2)
    let left = (layout.width - width) >= 0 ? (layout.width - width) / 2 : -((width - layout.width) / 2)
    var output = [Float](repeating: value, count: layout.planes * height * width)
    for p in 0..<layout.planes {
        for i in 0..<height {
            let y = i + top
            guard y >= 0, y < layout.height else { continue }
            for j in 0..<width {
                let x = j + left
                guard x >= 0, x < layout.width else { continue }
                output[(p * height + i) * width + j] = image.scalars[p * layout.planeSize + y * layout.width + x]
            }
        }
    }
    var shape = image.shape
    shape[shape.count - 2] = height
    shape[shape.count - 1] = width
    return try Tensor(shape: shape, scalars: output)
}

/// Crops or pads the last `sizes.count` axes of `image` to `sizes`. The leading axes hold
/// samples (the first axis, when `starts` has one entry per index of it) or are kept whole.
/// `starts[s][a]` is the input index, along the a-th of those axes, of sample s's first output
/// index (negative: that many values of `value` come first); one entry applies to every sample.
public func cropOrPad(_ image: Tensor, sizes: [Int], starts: [[Int]], value: Float = 0) throws -> Tensor {
    let k = sizes.count
    guard k >= 1, k <= image.rank, sizes.allSatisfy({ $0 > 0 }) else {
        throw TensorError("cropOrPad", "cannot crop a tensor of shape \(describeShape(image.shape)) to \(sizes)")
    }
    let samples = image.rank > k ? image.shape[0] : 1
    guard starts.count == 1 || starts.count == samples, starts.allSatisfy({ $0.count == k }) else {
        throw TensorError("cropOrPad", "needs one start of \(k) indices, or one per sample (\(samples)), got \(starts.count)")
    }
    let extents = Array(image.shape.suffix(k))
    let outputShape = Array(image.shape.dropLast(k)) + sizes
    try Tensor.checkAllocation(outputShape, op: "cropOrPad")
    let blockIn = extents.reduce(1, *), blockOut = sizes.reduce(1, *)
    let blocks = image.shape.dropLast(k).reduce(1, *)
    let blocksPerSample = Swift.max(1, blocks / Swift.max(1, samples))
    var output = [Float](repeating: value, count: blocks * blockOut)
    image.withUnsafeBufferPointer { input in
        var index = [Int](repeating: 0, count: k)
        for block in 0..<blocks {
            let start = starts.count == 1 ? starts[0] : starts[block / blocksPerSample]
            // Walk the output block in row-major order, reading the input where it lies inside.
            for o in 0..<blockOut {
                var rest = o, offset = 0, inside = true
                for a in stride(from: k - 1, through: 0, by: -1) {
                    index[a] = rest % sizes[a]
                    rest /= sizes[a]
                }
                var step = 1
                for a in stride(from: k - 1, through: 0, by: -1) {
                    let position = index[a] + start[a]
                    if position < 0 || position >= extents[a] { inside = false; break }
                    offset += position * step
                    step *= extents[a]
                }
                if inside { output[block * blockOut + o] = input[block * blockIn + offset] }
            }
        }
    }
    return try Tensor(shape: outputShape, scalars: output)
}

/// The start of a centred window of `size` along an axis of `extent`, as `cropOrPad` centres:
/// cropping loses floor((extent - size) / 2) at the start, padding adds floor((size - extent) / 2).
public func centredStart(extent: Int, size: Int) -> Int {
    extent >= size ? (extent - size) / 2 : -((size - extent) / 2)
}

/// The start of a window of `size` along an axis of `extent` centred on `centre` (a position
/// in pixels): the centred window moved by floor(centre - (extent - 1) / 2).
public func startAround(_ centre: Double, extent: Int, size: Int) -> Int {
    centredStart(extent: extent, size: size) + Int((centre - Double(extent - 1) / 2).rounded(.down))
}

/// For each sample of `mask` (the first axis when it has more axes than `axes`, else the
/// whole), the centre of the bounding box of its values above 0 along its last `axes` axes;
/// nil for a sample with none.
public func boundingBoxCentres(_ mask: Tensor, axes k: Int) throws -> [[Double]?] {
    guard k >= 1, k <= mask.rank else {
        throw TensorError("boundingBoxCentres", "a mask of shape \(describeShape(mask.shape)) has no \(k) trailing axes")
    }
    let samples = mask.rank > k ? mask.shape[0] : 1
    let extents = Array(mask.shape.suffix(k))
    let perSample = mask.count / Swift.max(1, samples)
    let block = extents.reduce(1, *)
    return mask.withUnsafeBufferPointer { values in
        (0..<samples).map { s -> [Double]? in
            var low = [Int](repeating: Int.max, count: k), high = [Int](repeating: Int.min, count: k)
            for i in 0..<perSample where values[s * perSample + i] > 0 {
                var rest = i % block
                for a in stride(from: k - 1, through: 0, by: -1) {
                    let position = rest % extents[a]
                    rest /= extents[a]
                    low[a] = Swift.min(low[a], position)
                    high[a] = Swift.max(high[a], position)
                }
            }
            guard low[0] != Int.max else { return nil }
            return (0..<k).map { Double(low[$0] + high[$0]) / 2 }
        }
    }
}
