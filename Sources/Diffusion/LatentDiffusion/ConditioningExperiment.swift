import Engine
import Imaging

/// Capitão et al.'s conditioning experiment on the built-in phantom: an autoencoder, then one
/// latent diffusion model per set of conditions (the one-hot mask alone, or mask and Canny
/// edges), all trained the same way from one seed, then images generated for held-out subjects'
/// conditions and compared with those subjects' real images (SSIM, NMSE).
///
/// Every step is deterministic from `Settings.seed`: the data (the phantom of that seed), and,
/// below the key `experiment` of the seed, the initial weights (`initialization/<model>`), each
/// training's batch order and noise (`training/<model>`: the diffusion models of the two
/// condition sets share theirs, so they differ only in their conditions), and the sampling noise
/// (`sampling`).
public struct ConditioningExperiment: Sendable {
    /// Sizes, lengths and learning rates. The defaults are the recorded run (benchmarks/README.md).
    public struct Settings: Sendable, Equatable {
        public var seed: UInt64 = 1
        public var imageSize = 64
        /// The phantom's Rician noise. 0.01 rather than the phantom's default 0.03: at 0.03 even
        /// the noise-free image scores SSIM 0.88 against the noisy one, which would cap every
        /// model below the autoencoder's bar for reasons that have nothing to do with it.
        public var noiseSigma: Float = 0.01
        /// Training subjects 0 ..< trainingSubjects, each at end-diastole and end-systole.
        public var trainingSubjects = 1024
        /// Held-out subjects heldOutFirst ..< heldOutFirst + heldOutCount, one drawn phase each.
        public var heldOutFirst = 100_000
        public var heldOutCount = 64

        public var autoencoderSteps = 3000
        public var autoencoderBatch = 16
        public var autoencoderLearningRate: Float = 1e-3
        /// The KL weight per image (see `Autoencoder.Regularizer.kl`).
        public var klWeight: Float = 1e-6
        /// A patch discriminator's hinge loss, with this weight, from `adversarialStartStep` on;
        /// nil trains the autoencoder without one (the recorded run).
        public var adversarialWeight: Float? = nil
        public var adversarialStartStep = 500

        public var diffusionSteps = 3500
        public var diffusionBatch = 32
        public var diffusionLearningRate: Float = 1e-3
        public var emaDecay: Float = 0.999
        /// The probability that each condition group is dropped in a training sample
        /// (classifier-free guidance).
        public var conditionDropProbability: Float = 0.1
        /// The channels the condition encoder hands the UNet: 5, so that with 4 latent channels
        /// the UNet is the benchmark UNet of docs/architecture.md (9 input channels, 1,404,804 parameters).
        public var encodedConditionChannels = 5

        public var samplingSteps = 50
        public var guidanceScale: Float = 1

        public init() {}
    }

    public let settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public func trainingData() throws -> PhantomConditioningDataset {
        try PhantomConditioningDataset(seed: settings.seed, size: settings.imageSize, count: settings.trainingSubjects,
                                       phases: .endDiastoleAndSystole, noiseSigma: settings.noiseSigma)
    }

    public func heldOutData() throws -> PhantomConditioningDataset {
        try PhantomConditioningDataset(seed: settings.seed, size: settings.imageSize, first: settings.heldOutFirst,
                                       count: settings.heldOutCount, noiseSigma: settings.noiseSigma)
    }

    /// The key below which every draw of the experiment's models lies.
    private var key: RandomKey { RandomKey(seed: settings.seed, path: ["experiment"]) }

    private func initialization(_ name: String) -> RandomStream {
        key.child("initialization").child(name).stream
    }

    /// Trains the KL autoencoder on `data`'s images (L1 reconstruction, warm-up then cosine decay),
    /// then sets its latent scale factor from the training images.
    public func trainAutoencoder(
        on data: PhantomConditioningDataset, checkpointPath: String? = nil,
        cancellation: CancellationFlag? = nil, progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> (autoencoder: Autoencoder, result: TrainingResult) {
        var random = initialization("autoencoder")
        let autoencoder = try Autoencoder(Autoencoder.Configuration(regularizer: .kl(weight: settings.klWeight)), random: &random)
        let optimizer = try Adam(parameters: autoencoder.parameters, learningRate: settings.autoencoderLearningRate)
        let configuration = try TrainingConfiguration(
            steps: settings.autoencoderSteps, batchSize: settings.autoencoderBatch,
            random: key.child("training").child("autoencoder"),
            schedule: WarmupCosineDecay(peak: settings.autoencoderLearningRate, minimum: settings.autoencoderLearningRate / 20,
                                        warmupSteps: Swift.min(50, settings.autoencoderSteps / 10), totalSteps: settings.autoencoderSteps),
            maxGradientNorm: 1, checkpointPath: checkpointPath, checkpointInterval: 500, logInterval: 25)
        let images = data.images
        let adversarial = settings.adversarialWeight.map { AdversarialLoss(weight: $0, startStep: settings.adversarialStartStep) }
        let discriminator = try adversarial.map { _ in try PatchDiscriminator(random: &random) }
        let adversary = try discriminator.map { discriminator in
            // Adam with β1 = 0.5, β2 = 0.9 for the discriminator, as LDM's autoencoders.
            try TrainingAdversary(
                model: discriminator,
                optimizer: Adam(parameters: discriminator.parameters, learningRate: settings.autoencoderLearningRate, beta1: 0.5, beta2: 0.9)
            ) { batch, _ in
                let real = try images.samples(at: batch.indices)
                let fake = try GradientMode.withoutGradients { try autoencoder.decode(autoencoder.encode(Variable(real))).value }
                return try adversarial!.discriminatorLoss(discriminator, images: real, reconstructed: fake, step: batch.step)
            }
        }
        let trainer = try Trainer(model: autoencoder, optimizer: optimizer, datasetCount: data.count,
                                  configuration: configuration, adversary: adversary) { batch, random in
            let loss = try autoencoder.loss(images: images.samples(at: batch.indices), reconstruction: .l1, random: &random)
            guard let adversarial, let discriminator,
                  let generator = try adversarial.generatorTerm(discriminator, reconstructed: loss.reconstructed, step: batch.step) else {
                return loss.total
            }
            return try loss.total + generator
        }
        let result = try trainer.train(cancellation: cancellation, progress: progress)
        autoencoder.setTraining(false)
        try autoencoder.estimateScaleFactor(images: images)
        return (autoencoder, result)
    }

    /// A conditional UNet for `conditions`: the condition encoder (full resolution to latent
    /// size) and the benchmark UNet, with freshly initialised weights.
    public func makeModel(conditions: [PhantomCondition], autoencoder: Autoencoder) throws -> LatentDiffusion {
        var random = initialization("unet")
        let layout = try ConditionLayout(conditions.map {
            ConditionGroup(name: $0.rawValue, channels: $0.channels, dropProbability: settings.conditionDropProbability)
        })
        let latent = autoencoder.configuration.latentChannels
        let encoder = try ConditionEncoder(inputChannels: layout.channels, outputChannels: settings.encodedConditionChannels,
                                           downsamplingFactor: Autoencoder.compactDownsamplingFactor, random: &random)
        let unet = try UNet(UNet.Configuration(inputChannels: latent + settings.encodedConditionChannels, outputChannels: latent),
                            random: &random)
        let model = try ConditionalUNet(layout: layout, encoder: encoder, unet: unet)
        return try LatentDiffusion(autoencoder: autoencoder, model: model, schedule: NoiseSchedule.ddpm())
    }

    /// Trains a latent diffusion model for `conditions` on `data` (Adam with warm-up, gradient
    /// clipping at 1, EMA of the weights); on return the model holds the EMA weights.
    public func trainDiffusion(
        conditions: [PhantomCondition], autoencoder: Autoencoder, on data: PhantomConditioningDataset,
        checkpointPath: String? = nil, cancellation: CancellationFlag? = nil,
        progress: ((TrainingProgress) -> Void)? = nil
    ) throws -> (diffusion: LatentDiffusion, result: TrainingResult) {
        let diffusion = try makeModel(conditions: conditions, autoencoder: autoencoder)
        let latents = try diffusion.latents(of: data.images)
        let conditionTensor = try data.conditions(conditions).tensor
        let optimizer = try Adam(parameters: diffusion.model.parameters, learningRate: settings.diffusionLearningRate)
        let configuration = try TrainingConfiguration(
            steps: settings.diffusionSteps, batchSize: settings.diffusionBatch,
            random: key.child("training").child("unet"),
            schedule: WarmupCosineDecay(peak: settings.diffusionLearningRate, minimum: settings.diffusionLearningRate / 10,
                                        warmupSteps: Swift.min(200, settings.diffusionSteps / 10), totalSteps: settings.diffusionSteps),
            maxGradientNorm: 1, emaDecay: settings.emaDecay, emaSchedule: .warmup(inverseGamma: 1, power: 0.75),
            checkpointPath: checkpointPath, checkpointInterval: 500, logInterval: 25)
        let trainer = try Trainer(model: diffusion.model, optimizer: optimizer, datasetCount: data.count,
                                  configuration: configuration) { batch, random in
            try diffusion.trainingLoss(latents: latents.samples(at: batch.indices),
                                       conditions: conditionTensor.samples(at: batch.indices), random: &random)
        }
        let result = try trainer.train(cancellation: cancellation, progress: progress)
        try trainer.average?.copy(to: diffusion.model)
        diffusion.model.setTraining(false)
        return (diffusion, result)
    }

    /// Image quality against the real images: SSIM (data range 1 on [0, 1] images, Gaussian
    /// window as skimage with gaussian_weights) and NMSE, both averaged over the images.
    public struct Scores: Sendable, Equatable, Codable {
        public var ssim: Double
        public var nmse: Double
    }

    /// SSIM and NMSE of `generated` against `reference`, both [N, 1, S, S] in [-1, 1]; values
    /// outside [-1, 1] are clamped first, as when an image is displayed.
    public static func scores(_ generated: Tensor, against reference: Tensor) throws -> Scores {
        let x = (try generated.clamp(min: -1, max: 1) + 1) * 0.5, y = (reference + 1) * 0.5
        let ssim = try Metrics.structuralSimilarity(x, y, dataRange: 1)
        let count = x.shape[0]
        var nmse = 0.0
        for i in 0..<count {
            nmse += try Metrics.normalizedMeanSquaredError(x.samples(at: [i]), reference: y.samples(at: [i]))
        }
        return Scores(ssim: ssim, nmse: nmse / Double(count))
    }

    /// The autoencoder's reconstructions of the held-out images and their scores.
    public func evaluate(autoencoder: Autoencoder, on data: PhantomConditioningDataset) throws -> (reconstructions: Tensor, scores: Scores) {
        autoencoder.setTraining(false)
        let reconstructions = try GradientMode.withoutGradients {
            try autoencoder.decode(autoencoder.encode(Variable(data.images))).value
        }
        return (reconstructions, try Self.scores(reconstructions, against: data.images))
    }

    /// Images generated for the held-out subjects' conditions, and their scores against the
    /// subjects' real images.
    public func evaluate(
        _ diffusion: LatentDiffusion, conditions: [PhantomCondition], on data: PhantomConditioningDataset,
        progress: (_ completedSteps: Int, _ totalSteps: Int) -> Void = { _, _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> (generated: Tensor, scores: Scores) {
        let generated = try diffusion.generate(
            conditions: data.conditions(conditions).tensor, steps: settings.samplingSteps,
            guidanceScale: settings.guidanceScale, random: key.child("sampling"), progress: progress, isCancelled: isCancelled).images
        return (generated, try Self.scores(generated, against: data.images))
    }
}
