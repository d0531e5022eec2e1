import Engine

/// Ancestral sampling of Ho et al. 2020 ("Denoising Diffusion Probabilistic Models",
/// Algorithm 2), as diffusers' DDPMScheduler: from x_t at timestep t to the previous timestep
/// `prev` of the sequence,
///
///     x_0^  = the model's prediction of x_0, optionally clipped to [-r, r]
///     x_prev = mu-tilde(x_t, x_0^) + sigma_t z,   z ~ N(0, I),  no noise at t = 0
///
/// with mu-tilde the posterior mean of eq. 7 (`Posterior`) between alpha-bar_t and
/// alpha-bar_prev (1 after the last step), and sigma_t^2 one of the two choices of section 3.2.
/// With fewer inference steps than T, beta_t becomes 1 - alpha-bar_t / alpha-bar_prev.
public struct DDPMSampler: SingleStepSampler {
    /// The variance sigma_t^2 of each ancestral step (Ho et al. 2020, section 3.2).
    public enum Variance: Sendable, Equatable {
        /// sigma_t^2 = beta-tilde_t, the posterior variance (eq. 7), floored at 1e-20; diffusers
        /// "fixed_small". Optimal for deterministic x_0.
        case fixedSmall
        /// sigma_t^2 = beta_t; diffusers "fixed_large", Med-cDiff's choice. Optimal for x_0 ~ N(0, I).
        case fixedLarge
    }

    /// The schedule the model was trained with.
    public let schedule: NoiseSchedule
    /// What the model predicts: epsilon, x_0 or v.
    public let prediction: Prediction
    /// The inference timesteps, highest first.
    public let timesteps: [Int]
    /// The step a run takes next (see `Sampler`).
    public var stepIndex = 0
    /// The choice of sigma_t^2.
    public let variance: Variance
    /// r when the predicted x_0 is clipped to [-r, r]; nil for no clipping (diffusers clips to
    /// [-1, 1] by default, which suits pixels, not latents).
    public let clipRange: Double?

    /// A DDPM sampler over `inferenceSteps` timesteps (all T by default) chosen by `spacing`
    /// (diffusers' default, leading). Throws for a step count outside 1...T or a clip range that
    /// is not positive.
    public init(
        schedule: NoiseSchedule, inferenceSteps: Int? = nil, spacing: TimestepSpacing = .leading(),
        prediction: Prediction = .epsilon, variance: Variance = .fixedSmall, clipRange: Double? = nil
    ) throws {
        try checkClipRange(clipRange)
        self.schedule = schedule
        self.prediction = prediction
        self.variance = variance
        self.clipRange = clipRange
        self.timesteps = try spacing.timesteps(
            inferenceSteps: inferenceSteps ?? schedule.trainingSteps, trainingSteps: schedule.trainingSteps)
    }

    /// Noise is added at every timestep except t = 0 (Algorithm 2, line 3; as diffusers, which
    /// also adds it at the last step of a sequence that ends above 0).
    public func needsNoise(at timestep: Int) -> Bool { timestep > 0 }

    /// The timestep after `timestep` in the sequence, or -1 after the last.
    public func previousTimestep(before timestep: Int) throws -> Int {
        guard let index = timesteps.firstIndex(of: timestep) else {
            throw SamplingError.timestepNotInSequence(timestep: timestep, sequence: timesteps)
        }
        return index + 1 < timesteps.count ? timesteps[index + 1] : -1
    }

    /// The step x_t -> x_prev of Algorithm 2 (see the type's documentation); `noise` is z, needed
    /// when t > 0.
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?) throws -> SamplerStep {
        let previous = try previousTimestep(before: timestep)
        let posterior = Posterior(
            alphaBar: try schedule.alphaBar(at: timestep),
            previousAlphaBar: previous >= 0 ? schedule.alphaBars[previous] : 1)
        let original = try clippedOriginalSample(
            modelOutput: modelOutput, sample: sample, alphaBar: posterior.alphaBar, clipRange: clipRange)
        var terms = [
            WeightedTerm(original, posterior.originalCoefficient), WeightedTerm(sample, posterior.sampleCoefficient),
        ]
        if needsNoise(at: timestep) {
            let sigmaSquared = variance == .fixedSmall ? max(posterior.variance, 1e-20) : posterior.beta
            terms.append(WeightedTerm(try requiredNoise(noise, at: timestep), sigmaSquared.squareRoot()))
        }
        return SamplerStep(previousSample: try combinePerItem("DDPMSampler.step", terms),
                           predictedOriginalSample: original)
    }
}

/// How the sampler registry offers it (see `SamplerRegistry`).
extension DDPMSampler {
    static let description = SamplerDescription(name: "ddpm", summary: "DDPM (Ho et al. 2020): ancestral, fresh noise every step") { request in
        try DDPMSampler(schedule: request.schedule, inferenceSteps: request.steps, spacing: request.spacing ?? .leading(),
                        prediction: request.prediction)
    }
}
