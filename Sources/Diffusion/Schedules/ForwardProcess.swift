import Engine

extension NoiseSchedule {
    /// A sample of q(x_t | x_0) = N(sqrt(alpha-bar_t) x_0, (1 - alpha-bar_t) I) by
    /// reparameterisation (Ho et al. 2020, eq. 4; diffusers add_noise):
    ///
    ///     x_t = sqrt(alpha-bar_t) * x_0 + sqrt(1 - alpha-bar_t) * epsilon
    ///
    /// - Parameters:
    ///   - original: x_0, [B, ...].
    ///   - noise: epsilon ~ N(0, I), the shape of `original`.
    ///   - timesteps: t for each batch item (B values, or 1 for all).
    public func addNoise(to original: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        let alphaBars = try alphaBars(at: timesteps)
        return try combinePerItem("addNoise", [
            WeightedTerm(original, alphaBars.map { $0.squareRoot() }),
            WeightedTerm(noise, alphaBars.map { (1 - $0).squareRoot() }),
        ])
    }

    /// The velocity v = sqrt(alpha-bar_t) * epsilon - sqrt(1 - alpha-bar_t) * x_0 (Salimans & Ho
    /// 2022, "Progressive Distillation", section 4 and appendix D; diffusers get_velocity): the
    /// training target of a v-predicting model. With x_t from `addNoise`, x_0 and epsilon come back
    /// from (x_t, v) by `Prediction.velocity`.
    public func velocity(original: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
        let alphaBars = try alphaBars(at: timesteps)
        return try combinePerItem("velocity", [
            WeightedTerm(noise, alphaBars.map { $0.squareRoot() }),
            WeightedTerm(original, alphaBars.map { -(1 - $0).squareRoot() }),
        ])
    }
}
