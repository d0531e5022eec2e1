import Engine

/// What the denoising network predicts from x_t: each is an affine function of x_0 and epsilon
/// given x_t = sqrt(alpha-bar) x_0 + sqrt(1 - alpha-bar) epsilon, so any one of them together with
/// x_t gives the other two. Write a = sqrt(alpha-bar), b = sqrt(1 - alpha-bar), so a^2 + b^2 = 1.
public enum Prediction: String, Sendable, CaseIterable {
    /// The noise epsilon (Ho et al. 2020, eq. 11-12); diffusers "epsilon".
    case epsilon
    /// The clean sample x_0; diffusers "sample".
    case sample
    /// The velocity v = a epsilon - b x_0 (Salimans & Ho 2022, section 4); diffusers "v_prediction".
    case velocity

    /// The predicted x_0 from the model's output and x_t (diffusers' step, "predicted x_0"):
    ///
    ///     epsilon:  x_0 = (x_t - b * output) / a                (Ho et al. 2020, eq. 15)
    ///     sample:   x_0 = output
    ///     velocity: x_0 = a * x_t - b * output                  (Salimans & Ho 2022, appendix D)
    ///
    /// `alphaBars` holds alpha-bar_t per batch item (or one for all). An epsilon prediction at
    /// alpha-bar = 0 (a zero-SNR schedule's last step) has no x_0 and gives non-finite values.
    public func originalSample(modelOutput: Tensor, sample: Tensor, alphaBars: [Double]) throws -> Tensor {
        let a = alphaBars.map { $0.squareRoot() }, b = alphaBars.map { (1 - $0).squareRoot() }
        switch self {
        case .epsilon:
            return try combinePerItem("Prediction.originalSample", [
                WeightedTerm(sample, a.map { 1 / $0 }), WeightedTerm(modelOutput, zip(a, b).map { -$1 / $0 }),
            ])
        case .sample:
            try checkPerItem("Prediction.originalSample", [WeightedTerm(modelOutput, 1), WeightedTerm(sample, alphaBars)])
            return modelOutput
        case .velocity:
            return try combinePerItem("Prediction.originalSample", [
                WeightedTerm(sample, a), WeightedTerm(modelOutput, b.map { -$0 }),
            ])
        }
    }

    /// The predicted noise epsilon from the model's output and x_t (DDIM's "pred_epsilon"):
    ///
    ///     epsilon:  epsilon = output
    ///     sample:   epsilon = (x_t - a * output) / b
    ///     velocity: epsilon = a * output + b * x_t
    ///
    /// A sample prediction at alpha-bar = 1 has no epsilon and gives non-finite values.
    public func noise(modelOutput: Tensor, sample: Tensor, alphaBars: [Double]) throws -> Tensor {
        let a = alphaBars.map { $0.squareRoot() }, b = alphaBars.map { (1 - $0).squareRoot() }
        switch self {
        case .epsilon:
            try checkPerItem("Prediction.noise", [WeightedTerm(modelOutput, 1), WeightedTerm(sample, alphaBars)])
            return modelOutput
        case .sample:
            return try combinePerItem("Prediction.noise", [
                WeightedTerm(sample, b.map { 1 / $0 }), WeightedTerm(modelOutput, zip(a, b).map { -$0 / $1 }),
            ])
        case .velocity:
            return try combinePerItem("Prediction.noise", [
                WeightedTerm(modelOutput, a), WeightedTerm(sample, b),
            ])
        }
    }

    /// The training target the model should output for x_t made from `original` and `noise` at
    /// `timesteps` by `NoiseSchedule.addNoise`: epsilon, x_0, or v (`NoiseSchedule.velocity`).
    public func target(original: Tensor, noise: Tensor, timesteps: [Int], schedule: NoiseSchedule) throws -> Tensor {
        switch self {
        case .epsilon, .sample:
            try checkPerItem("Prediction.target", [WeightedTerm(original, 1), WeightedTerm(noise, try schedule.alphaBars(at: timesteps))])
            return self == .epsilon ? noise : original
        case .velocity: return try schedule.velocity(original: original, noise: noise, timesteps: timesteps)
        }
    }
}
