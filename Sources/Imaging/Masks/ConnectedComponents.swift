import Engine

/// Which neighbours touch: the four sharing an edge, or also the four sharing a corner.
public enum Connectivity: Sendable {
    case four
    case eight
}

/// Connected components of a mask: `labels` has the mask's shape, 0 on the background and
/// 1, 2, ... on the components of each image, numbered in raster order of their first pixel
/// (as scipy.ndimage.label); `sizes[n][k - 1]` is the pixel count of component k of image n.
public struct ConnectedComponents: Sendable {
    public let labels: Tensor
    public let sizes: [[Int]]
}

/// Labels the connected components of the non-zero pixels of a mask `[H, W]`, `[1, H, W]` or `[N, 1, H, W]`.
public func connectedComponents(_ mask: Tensor, connectivity: Connectivity = .eight) throws -> ConnectedComponents {
    let layout = try ImageLayout(mask.shape, op: "connectedComponents", singleChannel: true)
    var labels = [Float](repeating: 0, count: mask.count)
    var sizes: [[Int]] = []
    for p in 0..<layout.planes {
        let range = p * layout.planeSize ..< (p + 1) * layout.planeSize
        let foreground = mask.scalars[range].map { $0 != 0 }
        let plane = labelComponents(foreground, height: layout.height, width: layout.width, connectivity: connectivity)
        for (i, label) in plane.labels.enumerated() { labels[range.lowerBound + i] = Float(label) }
        sizes.append(plane.sizes)
    }
    return ConnectedComponents(labels: try Tensor(shape: mask.shape, scalars: labels), sizes: sizes)
}

/// Flood fill from each unlabelled foreground pixel met in raster order: `labels[i]` is 0 or the
/// component number (from 1), `sizes[k - 1]` the size of component k.
func labelComponents(
    _ foreground: [Bool], height: Int, width: Int, connectivity: Connectivity
) -> (labels: [Int32], sizes: [Int]) {
    let offsets: [(Int, Int)] = connectivity == .four
        ? [(-1, 0), (0, -1), (0, 1), (1, 0)]
        : [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
    var labels = [Int32](repeating: 0, count: foreground.count)
    var sizes: [Int] = []
    var stack: [Int] = []
    for seed in foreground.indices where foreground[seed] && labels[seed] == 0 {
        let label = Int32(sizes.count + 1)
        var size = 0
        labels[seed] = label
        stack.append(seed)
        while let pixel = stack.popLast() {
            size += 1
            let (y, x) = pixel.quotientAndRemainder(dividingBy: width)
            for (dy, dx) in offsets {
                let (ny, nx) = (y + dy, x + dx)
                guard ny >= 0, ny < height, nx >= 0, nx < width else { continue }
                let neighbour = ny * width + nx
                if foreground[neighbour] && labels[neighbour] == 0 {
                    labels[neighbour] = label
                    stack.append(neighbour)
                }
            }
        }
        sizes.append(size)
    }
    return (labels, sizes)
}
