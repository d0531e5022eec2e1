import Engine
import Imaging

/// Super-resolution as conditional generation (Med-cDiff, Hung et al. 2023): the model sees a
/// low-resolution image brought back to full size and generates the full-resolution image.
///
/// The low-resolution image is the mean of each factor × factor block (area averaging, what a
/// scanner with larger voxels measures); the condition is it upsampled back by `upsampling`
/// (nearest: blocky, the information as it is; bilinear: smooth). No randomness is involved.
public struct SuperResolutionTask: Sendable {
    /// The shrink factor along each axis (4 in Med-cDiff).
    public let factor: Int
    /// How the low-resolution image is brought back to full size for the condition.
    public let upsampling: ResizeMethod

    /// Refuses a factor below 2.
    public init(factor: Int = 4, upsampling: ResizeMethod = .nearest) throws {
        guard factor >= 2 else { throw TensorError("SuperResolutionTask", "the factor must be at least 2, got \(factor)") }
        self.factor = factor
        self.upsampling = upsampling
    }

    /// The block means: [N, 1, H/factor, W/factor]. H and W must be multiples of the factor.
    public func lowResolution(_ images: Tensor) throws -> Tensor {
        let (_, height, width) = try singleChannelPlanes(images, op: "SuperResolutionTask")
        guard height % factor == 0, width % factor == 0 else {
            throw TensorError("SuperResolutionTask", "the image size \(height) x \(width) is not a multiple of the factor \(factor)")
        }
        return try resize(images, height: height / factor, width: width / factor, method: .area)
    }

    /// The condition: the low-resolution image upsampled back to [N, 1, H, W] by `upsampling`.
    public func condition(_ images: Tensor) throws -> Tensor {
        try resize(lowResolution(images), height: images.shape[2], width: images.shape[3], method: upsampling)
    }

    /// The classical baseline a generated image must beat: bilinear upsampling of the
    /// low-resolution image [N, 1, h, w] to height × width.
    public static func baseline(_ lowResolution: Tensor, height: Int, width: Int) throws -> Tensor {
        try resize(lowResolution, height: height, width: width, method: .bilinear)
    }
}
