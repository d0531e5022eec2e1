import Engine

/// The neighbourhood that erosion and dilation look at around each pixel.
public enum StructuringElement: Sendable, Equatable {
    /// Every pixel within `radius` rows and `radius` columns: a (2r + 1) × (2r + 1) square.
    case square(radius: Int)
    /// The pixel's own row and column up to `radius` away: a plus sign of 4r + 1 pixels.
    case cross(radius: Int)

    /// The (row, column) offsets it covers.
    var offsets: [(Int, Int)] {
        switch self {
        case let .square(r):
            return (-r...r).flatMap { dy in (-r...r).map { dx in (dy, dx) } }
        case let .cross(r):
            return (-r...r).map { (0, $0) } + (-r...r).filter { $0 != 0 }.map { ($0, 0) }
        }
    }

    var radius: Int {
        switch self {
        case let .square(r), let .cross(r): return r
        }
    }
}

/// Erosion: each pixel becomes the smallest value under the structuring element. On a 0/1 mask,
/// a pixel stays 1 only if the whole element around it is 1. Pixels beyond the image are ignored
/// (neither 0 nor 1), so the image border does not erode the mask.
/// Accepts `[H, W]`, `[C, H, W]` or `[N, C, H, W]`; each plane is filtered alone.
public func erode(_ image: Tensor, _ element: StructuringElement) throws -> Tensor {
    try morphology(image, element, op: "erode", pick: Swift.min)
}

/// Dilation: each pixel becomes the largest value under the structuring element. On a 0/1 mask,
/// a pixel becomes 1 if any pixel of the element around it is 1. Pixels beyond the image are ignored.
public func dilate(_ image: Tensor, _ element: StructuringElement) throws -> Tensor {
    try morphology(image, element, op: "dilate", pick: Swift.max)
}

private func morphology(
    _ image: Tensor, _ element: StructuringElement, op: String, pick: (Float, Float) -> Float
) throws -> Tensor {
    let layout = try ImageLayout(image.shape, op: op)
    guard element.radius >= 0 else { throw TensorError(op, "the radius must not be negative, got \(element.radius)") }
    let offsets = element.offsets
    let (height, width, size) = (layout.height, layout.width, layout.planeSize)
    var output = image.scalars
    for p in 0..<layout.planes {
        for y in 0..<height {
            for x in 0..<width {
                var value = image.scalars[p * size + y * width + x]
                for (dy, dx) in offsets {
                    let (ny, nx) = (y + dy, x + dx)
                    guard ny >= 0, ny < height, nx >= 0, nx < width else { continue }
                    value = pick(value, image.scalars[p * size + ny * width + nx])
                }
                output[p * size + y * width + x] = value
            }
        }
    }
    return try Tensor(shape: image.shape, scalars: output)
}
