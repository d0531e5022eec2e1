import Engine
import Imaging

/// Denoising as conditional generation (Med-cDiff, Hung et al. 2023): the model sees a noisy
/// image and generates the clean one. Images are in [-1, 1]; sample i's noise comes from the key
/// `random.child("noise").item(i)` (`SampleRandomness`): named, so that `corrupt`, `holes` and
/// `diffuse` given one seed draw unrelated numbers.
public struct DenoisingTask: Sendable {
    /// The corruption.
    public enum Noise: Sendable, Equatable {
        /// Additive white Gaussian noise x + σ z, z ~ N(0, 1), not clipped.
        case gaussian(sigma: Float)
        /// Impulse noise: each pixel, with probability `amount`, becomes -1 (pepper) or 1 (salt)
        /// with equal chances.
        case saltAndPepper(amount: Float)
    }

    /// The corruption applied.
    public let noise: Noise
    /// The key every sample's noise derives from.
    public let random: RandomKey

    /// Refuses a negative or non-finite sigma and an amount outside [0, 1].
    public init(noise: Noise, random: RandomKey) throws {
        switch noise {
        case .gaussian(let sigma) where !(sigma >= 0 && sigma.isFinite):
            throw TensorError("DenoisingTask", "sigma must be a finite number at least 0, got \(sigma)")
        case .saltAndPepper(let amount) where !(0...1).contains(amount):
            throw TensorError("DenoisingTask", "the amount must be in [0, 1], got \(amount)")
        default:
            self.noise = noise
            self.random = random
        }
    }

    /// The noisy images: the condition. `firstSample` is the data set index of the first image,
    /// so that a sample's noise does not depend on how the data set is batched. `cancellation`
    /// is checked before each image; once it is set the function throws `CancellationError`.
    public func degrade(_ images: Tensor, firstSample: Int = 0, cancellation: CancellationFlag? = nil) throws -> Tensor {
        let (count, height, width) = try singleChannelPlanes(images, op: "DenoisingTask")
        let plane = height * width
        var output = images
        for k in 0..<count {
            try cancellation?.checkCancellation()
            var random = SampleRandomness(random.child("noise").item(firstSample + k))
            switch noise {
            case .gaussian(let sigma):
                var stream = random.tensorStream
                let z = try Tensor.randn([plane], std: sigma, using: &stream)
                output.withUnsafeMutableBufferPointer { x in
                    z.withUnsafeBufferPointer { z in
                        for i in 0..<plane { x[k * plane + i] += z[i] }
                    }
                }
            case .saltAndPepper(let amount):
                output.withUnsafeMutableBufferPointer { x in
                    for i in 0..<plane {
                        let hit = random.uniform() < amount, salt = random.uniform() < 0.5
                        if hit { x[k * plane + i] = salt ? 1 : -1 }
                    }
                }
            }
        }
        return output
    }

    /// The classical baseline: a Gaussian filter of `sigma` pixels (truncated at 4σ; near the
    /// border it averages only the pixels inside, as the smoothing stage of Imaging's Canny,
    /// which this reuses). Throws `CancellationError` once `cancellation` is set.
    public static func baseline(_ noisy: Tensor, sigma: Double = 1, cancellation: CancellationFlag? = nil) throws -> Tensor {
        try cannyStages(noisy, sigma: sigma, thresholds: .quantiles(low: 0, high: 1), cancellation: cancellation).smoothed
    }
}
