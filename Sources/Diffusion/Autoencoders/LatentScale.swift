import Engine

extension Autoencoder {
    /// Estimates and stores `latentScaleFactor` = 1 / std of the latents of `images`
    /// [N, C, H, W], encoded `batchSize` at a time without gradients, and returns it.
    ///
    /// Latent diffusion rescales the first stage's latents to unit variance before adding noise,
    /// so that the noise schedule means the same whatever the autoencoder learned (Rombach et al.
    /// 2022, Sec. 4.3.2 and appendix G: "we rescale the latents by the component-wise standard
    /// deviation"; diffusers' `scaling_factor`, 0.18215 for Stable Diffusion). The std is over
    /// every latent value of every image, with Bessel's correction as LDM's `z.flatten().std()`.
    /// The latents are `encode(_:)`'s: the posterior's mean for a KL autoencoder.
    @discardableResult
    public func estimateScaleFactor(images: Tensor, batchSize: Int = 32) throws -> Float {
        var (count, sum, sumOfSquares) = (0, 0.0, 0.0)
        try forEachBatch(of: images, size: batchSize) { batch in
            let latents = try GradientMode.withoutGradients { try encode(Variable(batch)).value }
            latents.withUnsafeBufferPointer { z in
                for value in z {
                    sum += Double(value)
                    sumOfSquares += Double(value) * Double(value)
                }
            }
            count += latents.count
        }
        guard count > 1 else { throw ModuleError("Autoencoder.estimateScaleFactor: needs at least two latent values") }
        let mean = sum / Double(count)
        let variance = (sumOfSquares - Double(count) * mean * mean) / Double(count - 1)
        guard variance > 0 else { throw ModuleError("Autoencoder.estimateScaleFactor: the latents are constant, their std is 0") }
        let factor = Float(1 / variance.squareRoot())
        guard factor.isFinite, factor > 0 else {
            throw ModuleError("Autoencoder.estimateScaleFactor: the latents' std \(variance.squareRoot()) gives no usable factor in Float (1/std = \(factor))")
        }
        latentScaleFactor = factor
        return latentScaleFactor
    }

    /// The diffusion model's view of `images`: latentScaleFactor * encode(images), without
    /// gradients.
    public func diffusionLatents(of images: Tensor) throws -> Tensor {
        try GradientMode.withoutGradients { try encode(Variable(images)).value * latentScaleFactor }
    }

    /// Images from latents in the diffusion model's scale: decode(latents / latentScaleFactor),
    /// without gradients.
    public func images(fromDiffusionLatents latents: Tensor) throws -> Tensor {
        try GradientMode.withoutGradients { try decode(Variable(latents * (1 / latentScaleFactor))).value }
    }
}
