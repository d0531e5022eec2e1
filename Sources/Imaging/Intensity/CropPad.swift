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
