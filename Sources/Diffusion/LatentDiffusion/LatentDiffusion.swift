import Engine

/// A latent diffusion model (Rombach et al., "High-Resolution Image Synthesis with Latent
/// Diffusion Models", 2022): a trained autoencoder, frozen, whose scaled latents a conditional
/// UNet learns to denoise. Conditions stay at full resolution; the UNet's condition encoder
/// brings them to latent size (Capitão et al. 2024 concatenate mask and edges the same way).
///
/// Training (Ho et al. 2020, algorithm 1, the "simple" loss): for a latent z_0 of an image,
/// t ~ U{0, ..., T-1} and ε ~ N(0, I),
///
///     z_t = sqrt(ᾱ_t) z_0 + sqrt(1 - ᾱ_t) ε,      loss = || target - model(z_t, c, t) ||²
///
/// with target ε, z_0 or v as `prediction` says. Generation runs a sampler from z_T ~ N(0, I)
/// and decodes the result.
public final class LatentDiffusion {
    /// The first stage; its `latentScaleFactor` must be estimated before training.
    public let autoencoder: Autoencoder
    /// The denoiser of latents, with its condition encoder.
    public let model: ConditionalUNet
    public let schedule: NoiseSchedule
    public let prediction: Prediction

    public init(autoencoder: Autoencoder, model: ConditionalUNet, schedule: NoiseSchedule, prediction: Prediction = .epsilon) throws {
        guard model.latentChannels == autoencoder.configuration.latentChannels else {
            throw ModuleError("LatentDiffusion: the UNet denoises \(model.latentChannels) latent channels but the autoencoder makes \(autoencoder.configuration.latentChannels)")
        }
        self.autoencoder = autoencoder
        self.model = model
        self.schedule = schedule
        self.prediction = prediction
    }

    /// The diffusion latents (scaled by the autoencoder's factor) of images [N, C, H, W], in
    /// batches, without gradients: computed once before training, since the first stage is frozen.
    public func latents(of images: Tensor, batchSize: Int = 64) throws -> Tensor {
        let count = images.shape.first ?? 0
        let parts = try stride(from: 0, to: count, by: batchSize).map { start in
            try autoencoder.diffusionLatents(of: images.samples(at: Array(start ..< Swift.min(start + batchSize, count))))
        }
        return try Tensor.concat(parts, axis: 0)
    }

    /// The training loss of one mini-batch: latents z_0 [B, C, h, w] and their conditions
    /// [B, C_c, H, W]. Timesteps, noise and the condition drops all come from `random`.
    public func trainingLoss(latents: Tensor, conditions: Tensor, random: inout RandomStream) throws -> Variable {
        try model.simpleLoss(latents: latents, conditions: conditions, schedule: schedule, prediction: prediction, random: &random)
    }

    /// Images [N, C, H, W] generated for conditions [N, C_c, H, W] by DDIM (Song et al. 2021)
    /// with `steps` steps and `eta`, under classifier-free guidance of `guidanceScale` (1: the
    /// conditional model alone), item b from noise drawn from `random.item(b)`. `keepingSteps` selects the
    /// steps whose latent x_t and predicted x_0 go into the returned trajectory.
    public func generate(
        conditions: Tensor, steps: Int = 50, eta: Double = 0, guidanceScale: Float = 1,
        random: RandomKey, keepingSteps: Set<Int> = [],
        progress: (_ completedSteps: Int, _ totalSteps: Int) -> Void = { _, _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> (images: Tensor, trajectory: [TrajectoryFrame]) {
        let sampler = try DDIMSampler(schedule: schedule, inferenceSteps: steps, prediction: prediction, eta: eta)
        let result = try model.sampleLatents(
            conditions: conditions, sampler: sampler, guidanceScale: guidanceScale, random: random,
            keepingSteps: keepingSteps, progress: progress, isCancelled: isCancelled)
        return (try autoencoder.images(fromDiffusionLatents: result.sample), result.trajectory)
    }
}

extension ConditionalUNet {
    /// Ho et al.'s simple loss for a mini-batch of latents z_0 [B, C, h, w] and their conditions
    /// [B, C_c, H, W], under `schedule`, with the target `prediction` names: t ~ U{0, ..., T-1},
    /// eps ~ N(0, I), z_t = sqrt(alpha-bar_t) z_0 + sqrt(1 - alpha-bar_t) eps, and the mean squared
    /// error of the model's output at (z_t, c, t). Timesteps, noise and the condition drops all
    /// come from `random`, in that order.
    public func simpleLoss(
        latents: Tensor, conditions: Tensor, schedule: NoiseSchedule, prediction: Prediction, random: inout RandomStream
    ) throws -> Variable {
        let batch = latents.shape[0]
        let steps = schedule.trainingSteps
        let timesteps = try Tensor.rand([batch], using: &random).scalars.map { Swift.min(Int($0 * Float(steps)), steps - 1) }
        let noise = try Tensor.randn(latents.shape, using: &random)
        let noisy = try schedule.addNoise(to: latents, noise: noise, timesteps: timesteps)
        let target = try prediction.target(original: latents, noise: noise, timesteps: timesteps, schedule: schedule)
        let output = try self(latent: Variable(noisy), condition: conditions, timesteps: timesteps, random: &random)
        return try Loss.meanSquaredError(output, Variable(target))
    }

    /// Latents [N, C, H / f, W / f] sampled by `sampler` for conditions [N, C_c, H, W] (f the
    /// condition encoder's downsampling), item b from noise drawn from `random.item(b)`, under classifier-free
    /// guidance of `guidanceScale` with the groups `unconditional` dropped in its unconditional
    /// pass (nil: all). The model runs in evaluation mode and is put back as it was.
    public func sampleLatents(
        conditions: Tensor, sampler: any Sampler, guidanceScale: Float, unconditional: Set<String>? = nil,
        random: RandomKey, keepingSteps: Set<Int> = [],
        progress: (_ completedSteps: Int, _ totalSteps: Int) -> Void = { _, _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> SamplingResult {
        let wasTraining = isTraining
        setTraining(false)
        defer { setTraining(wasTraining) }
        let factor = downsamplingFactor
        let shape = [conditions.shape[0], latentChannels, conditions.shape[2] / factor, conditions.shape[3] / factor]
        let network = try denoiser(condition: conditions, guidanceScale: guidanceScale, unconditional: unconditional)
        return try sampler.sample(shape: shape, random: random, denoiser: network, keepingSteps: keepingSteps,
                                  progress: progress, isCancelled: isCancelled)
    }
}
