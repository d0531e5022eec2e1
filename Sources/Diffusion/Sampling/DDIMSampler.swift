import Engine

/// Denoising diffusion implicit models (Song et al. 2021, "Denoising Diffusion Implicit
/// Models"), as diffusers' DDIMScheduler: from x_t to x_prev, prev = t - floor(T / n),
///
///     x_0^    = the model's prediction of x_0, optionally clipped to [-r, r]
///     eps^    = the model's prediction of epsilon (from the unclipped output)
///     sigma_t = eta * sqrt((1 - a_prev) / (1 - a_t)) * sqrt(1 - a_t / a_prev)          (eq. 16)
///     x_prev  = sqrt(a_prev) x_0^ + sqrt(1 - a_prev - sigma_t^2) eps^ + sigma_t z      (eq. 12)
///
/// with a = alpha-bar. eta = 0 is the deterministic DDIM; eta = 1 has DDPM's posterior variance.
/// Before the first training step (prev < 0) a_prev is 1, or alpha-bar_0 without
/// `setAlphaToOne` (diffusers' final_alpha_cumprod).
///
/// The previous timestep is always t - floor(T / n), whatever the spacing, as in diffusers.
public struct DDIMSampler: SingleStepSampler {
    /// The schedule the model was trained with.
    public let schedule: NoiseSchedule
    /// What the model predicts: epsilon, x_0 or v.
    public let prediction: Prediction
    /// The inference timesteps, highest first.
    public let timesteps: [Int]
    /// The step a run takes next (see `Sampler`).
    public var stepIndex = 0
    /// eta in [0, 1]: the stochasticity of eq. 16.
    public let eta: Double
    /// r when the predicted x_0 is clipped to [-r, r]; nil for no clipping.
    public let clipRange: Double?
    /// alpha-bar used after the last step: 1 (`setAlphaToOne`) or alpha-bar_0.
    public let finalAlphaBar: Double
    /// floor(T / n), the distance from each timestep to the previous one.
    public let stepRatio: Int

    /// A DDIM sampler over `inferenceSteps` timesteps chosen by `spacing`. Throws for a step
    /// count outside 1...T, eta outside [0, 1] or a clip range that is not positive.
    public init(
        schedule: NoiseSchedule, inferenceSteps: Int, spacing: TimestepSpacing = .leading(),
        prediction: Prediction = .epsilon, eta: Double = 0, clipRange: Double? = nil, setAlphaToOne: Bool = true
    ) throws {
        guard eta >= 0, eta <= 1 else {
            throw SamplingError.invalidParameter(name: "eta", value: eta, requirement: "between 0 and 1")
        }
        try checkClipRange(clipRange)
        self.schedule = schedule
        self.prediction = prediction
        self.eta = eta
        self.clipRange = clipRange
        self.timesteps = try spacing.timesteps(inferenceSteps: inferenceSteps, trainingSteps: schedule.trainingSteps)
        self.finalAlphaBar = setAlphaToOne ? 1 : schedule.alphaBars[0]
        self.stepRatio = schedule.trainingSteps / inferenceSteps
    }

    /// Fresh noise enters every step when eta > 0 (eq. 12's sigma_t z), none when eta = 0.
    public func needsNoise(at timestep: Int) -> Bool { eta > 0 }

    /// The step of eq. 12 (see the type's documentation); `noise` is z, needed when eta > 0.
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?) throws -> SamplerStep {
        let alphaBar = try schedule.alphaBar(at: timestep)
        let previous = timestep - stepRatio
        let previousAlphaBar = previous >= 0 ? schedule.alphaBars[previous] : finalAlphaBar
        let original = try clippedOriginalSample(
            modelOutput: modelOutput, sample: sample, alphaBar: alphaBar, clipRange: clipRange)
        let epsilon = try prediction.noise(modelOutput: modelOutput, sample: sample, alphaBars: [alphaBar])
        let sigma = eta * Posterior(alphaBar: alphaBar, previousAlphaBar: previousAlphaBar).variance.squareRoot()
        var terms = [
            WeightedTerm(original, previousAlphaBar.squareRoot()),
            WeightedTerm(epsilon, max(0, 1 - previousAlphaBar - sigma * sigma).squareRoot()),
        ]
        if needsNoise(at: timestep) {
            terms.append(WeightedTerm(try requiredNoise(noise, at: timestep), sigma))
        }
        return SamplerStep(previousSample: try combinePerItem("DDIMSampler.step", terms),
                           predictedOriginalSample: original)
    }
}

/// How the sampler registry offers it (see `SamplerRegistry`).
extension DDIMSampler {
    static let description = SamplerDescription(
        name: "ddim", summary: "DDIM (Song et al. 2021): deterministic at eta 0",
        options: [SamplerOption("eta", .number(0...1), default: .number(0), "the noise of each step, 0 to 1")]
    ) { request in
        try DDIMSampler(schedule: request.schedule, inferenceSteps: request.steps, spacing: request.spacing ?? .leading(),
                        prediction: request.prediction, eta: request.number("eta"))
    }
}
