import Engine

/// How an imaging operation sees a tensor: a stack of `planes` grey images of `height` × `width`.
///
/// Imaging operations accept a single image `[H, W]`, a single image of C channels `[C, H, W]`
/// (a DICOM's frames, a PNG's colours) or a batch `[N, C, H, W]` (NCHW, as Engine's layers). A
/// plane is one channel of one image, stored contiguously, so plane `p` holds the values
/// `p * height * width ..< (p + 1) * height * width`.
struct ImageLayout: Sendable {
    let planes: Int
    let height: Int
    let width: Int
    /// The number of images: 1 for `[H, W]` and `[C, H, W]`, N for `[N, C, H, W]`.
    let images: Int

    var planeSize: Int { height * width }
    /// Values per image: every channel of it.
    var imageSize: Int { (planes / Swift.max(images, 1)) * planeSize }

    /// The layout of `shape`; `singleChannel` also demands C = 1.
    init(_ shape: [Int], op: String, singleChannel: Bool = false) throws {
        switch shape.count {
        case 2:
            (planes, images, height, width) = (1, 1, shape[0], shape[1])
        case 3:
            if singleChannel && shape[0] != 1 {
                throw TensorError(op, "expects one channel, [1, H, W], but got \(describeShape(shape)); "
                    + "a stack of \(shape[0]) grey images is a batch [\(shape[0]), 1, \(shape[1]), \(shape[2])]")
            }
            (planes, images, height, width) = (shape[0], 1, shape[1], shape[2])
        case 4:
            if singleChannel && shape[1] != 1 {
                throw TensorError(op, "expects one channel, [N, 1, H, W], but got \(describeShape(shape))")
            }
            (planes, images, height, width) = (shape[0] * shape[1], shape[0], shape[2], shape[3])
        default:
            throw TensorError(op, "expects an image [H, W] or [C, H, W], or a batch [N, C, H, W], but got \(describeShape(shape))")
        }
        // Filters index a pixel's neighbours modulo the side: an image without pixels has none.
        guard height > 0, width > 0 else {
            throw TensorError(op, "expects images of at least one pixel, but got \(describeShape(shape))")
        }
    }
}
