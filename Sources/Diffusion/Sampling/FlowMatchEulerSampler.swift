import Engine

/// Euler steps along a flow-matching model's velocity: the sampler of rectified flow (Liu, Gong
/// and Liu 2022, arXiv:2209.03003) in the convention of Esser et al. 2024 (arXiv:2403.03206,
/// Stable Diffusion 3) and diffusers' FlowMatchEulerDiscreteScheduler, whose defaults it follows.
///
/// A flow-matching model is trained on the straight path from data to noise,
///
///     z_σ = (1 - σ) x_0 + σ ε,   σ in [0, 1] (σ = 1 is pure noise),
///
/// to predict its velocity v = dz/dσ = ε - x_0. Sampling integrates dz = v dσ from σ = 1 down to
/// 0 with Euler steps: z_{i+1} = z_i + (σ_{i+1} - σ_i) v(z_i, σ_i). No noise is added; the
/// prediction of x_0 at a step is z - σ v.
///
/// The σ grid, as diffusers builds it (T training steps, `shift` s):
/// - shift(σ) = s σ / (1 + (s - 1) σ) (Esser et al. eq. 23; s > 1 spends more steps at high noise);
/// - the training grid is shift(j / T) for j = 1 ... T, so σ_max = 1 and σ_min = shift(1 / T);
/// - n inference steps take σ_i = shift(linspace(σ_max, σ_min, n)_i): the shift is applied a second
///   time, which moves the low end to shift(shift(1 / T)) (diffusers does this; so do we, for
///   parity), and σ_n = 0 ends the run;
/// - the model is shown the time T σ_i, a real number.
public struct FlowMatchEulerSampler: Sampler {
    /// The training grid's length T.
    public let trainingSteps: Int
    /// The time shift s.
    public let shift: Double
    /// σ_0 ... σ_n: the n steps' noise levels, then 0.
    public let sigmas: [Double]
    /// T σ_i, the time the model sees at step i.
    public let modelTimes: [Double]
    public private(set) var stepIndex = 0

    /// Refuses fewer than one step and a shift that is not a positive finite number.
    public init(inferenceSteps: Int, shift: Double = 1, trainingSteps: Int = FlowMatching.timeScale) throws {
        guard inferenceSteps >= 1, trainingSteps >= 1 else {
            throw SamplingError.invalidOption(sampler: "euler", message: "needs at least one step and a training grid of at least one step")
        }
        guard shift > 0, shift.isFinite else {
            throw SamplingError.invalidOption(sampler: "euler", message: "the shift must be a positive number, got \(shift)")
        }
        self.trainingSteps = trainingSteps
        self.shift = shift
        let shifted = { (sigma: Double) in shift * sigma / (1 + (shift - 1) * sigma) }
        let high = shifted(1), low = shifted(1 / Double(trainingSteps))
        let levels = (0..<inferenceSteps).map { i -> Double in
            inferenceSteps == 1 ? high : high + (low - high) * Double(i) / Double(inferenceSteps - 1)
        }
        sigmas = levels.map(shifted) + [0]
        modelTimes = levels.map { shifted($0) * Double(trainingSteps) }
    }

    /// The model times rounded, for display; the model itself is shown `modelTimes`.
    public var timesteps: [Int] { modelTimes.map { Int($0.rounded()) } }

    public func needsNoise(atStep index: Int) -> Bool { false }

    public mutating func step(modelOutput velocity: Tensor, sample: Tensor, noise: Tensor?) throws -> SamplerStep {
        guard stepIndex < modelTimes.count else { throw SamplingError.finished(steps: modelTimes.count) }
        guard velocity.shape == sample.shape else {
            throw SamplingError.denoiserShape(expected: sample.shape, found: velocity.shape)
        }
        let (sigma, next) = (sigmas[stepIndex], sigmas[stepIndex + 1])
        let previous = try sample + Float(next - sigma) * velocity
        let original = try sample - Float(sigma) * velocity
        stepIndex += 1
        return SamplerStep(previousSample: previous, predictedOriginalSample: original)
    }

    public mutating func reset() { stepIndex = 0 }

    static let description = SamplerDescription(
        name: "euler", summary: "flow matching: Euler steps along the predicted velocity (Liu et al. 2022, Esser et al. 2024)",
        process: .flow,
        options: [SamplerOption("shift", .number(0.01...100), default: .number(1), "the time shift s: shift(σ) = s σ / (1 + (s - 1) σ)")]
    ) { request in
        try FlowMatchEulerSampler(inferenceSteps: request.steps, shift: request.number("shift"))
    }
}
