import Engine

extension ConditionalUNet {
    /// The guided prediction of classifier-free guidance (Ho and Salimans, "Classifier-Free
    /// Diffusion Guidance", 2022, eq. 6, written with s = 1 + w):
    ///
    ///     eps = eps(z_t, c_null) + s (eps(z_t, c) - eps(z_t, c_null))
    ///
    /// c_null is the condition with the groups `unconditional` replaced by zeros (nil: every
    /// group, the fully unconditional prediction); dropping only "edges" guides on the edges
    /// with the mask kept in both passes. s = 1 is the conditional prediction alone, s = 0 the
    /// unconditional one, s > 1 pushes the sample further towards the condition. Each of those
    /// two cases runs one pass; any other s runs both, one after the other. (Not as one forward
    /// of twice the batch: OpenBLAS's Zen and Haswell kernels compute a row by its position in
    /// a block of eight, so the unconditional items, moved behind N conditional ones, would
    /// depend on N, and guided sampling of 8 items would not start with that of their first 4.)
    ///
    /// Runs without recording gradients. latent: [N, C, h, w]; condition: [N, C_c, h f, w f];
    /// timesteps: N values -> [N, C_out, h, w].
    public func guidedPrediction(
        latent: Tensor, condition: Tensor, timesteps: [Double], scale: Float, unconditional: Set<String>? = nil
    ) throws -> Tensor {
        let dropped = try layout.dropping(unconditional ?? layout.names, from: condition)
        return try guidedPrediction(latent: latent, condition: condition, dropped: dropped, timesteps: timesteps, scale: scale)
    }

    /// The guided prediction with the unconditional pass's condition already made.
    func guidedPrediction(latent: Tensor, condition: Tensor, dropped: Tensor, timesteps: [Double], scale: Float) throws -> Tensor {
        try unet.requireNoActiveDropout()
        try checkSizes(latent: latent.shape, condition: condition.shape)
        var unused = RandomStream(seed: 0)
        return try GradientMode.withoutGradients {
            func predict(_ latent: Tensor, _ condition: Tensor, _ timesteps: [Double]) throws -> Tensor {
                try network(latent: Variable(latent), condition: condition,
                            timesteps: Tensor(timesteps.map(Float.init)), random: &unused).value
            }
            if scale == 1 { return try predict(latent, condition, timesteps) }
            if scale == 0 { return try predict(latent, dropped, timesteps) }
            let conditional = try predict(latent, condition, timesteps)
            let unconditionalPrediction = try predict(latent, dropped, timesteps)
            return try unconditionalPrediction + scale * (conditional - unconditionalPrediction)
        }
    }

    /// A denoiser for a sampler: x_t [N, C, h, w] and N timesteps -> the guided prediction,
    /// with the condition, the guidance scale and the groups dropped for the unconditional pass
    /// fixed now (see `guidedPrediction`). Put the model in evaluation mode first if it has
    /// dropout.
    public func denoiser(
        condition: Tensor, guidanceScale: Float, unconditional: Set<String>? = nil
    ) throws -> (_ x: Tensor, _ times: [Double]) throws -> Tensor {
        let dropped = try layout.dropping(unconditional ?? layout.names, from: condition)
        return { x, timesteps in
            try self.guidedPrediction(latent: x, condition: condition, dropped: dropped, timesteps: timesteps, scale: guidanceScale)
        }
    }
}
