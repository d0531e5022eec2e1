import Engine

/// What `train` hands a model: the data set, and the inputs only some kinds use.
public struct TrainingData {
    /// The data set, [N, C, H, W]: images for an autoencoder or a segmenter, latents for a UNet.
    public let data: Tensor
    /// Label maps [N, 1, H, W], for kinds that learn labels.
    public let labels: Tensor?
    /// Conditions, one tensor [N, C_i, H, W] per condition group, for conditional kinds.
    public let conditions: [Tensor]?
    /// The reconstruction loss, for autoencoders; nil: the kind's own default.
    public let reconstruction: ReconstructionLoss?

    /// Refuses a data set that is not a non-empty batch [N, C, H, W].
    public init(data: Tensor, labels: Tensor? = nil, conditions: [Tensor]? = nil, reconstruction: ReconstructionLoss? = nil) throws(ModelInputError) {
        guard data.rank == 4, data.shape[0] > 0 else {
            throw ModelInputError(.data, "training data is a batch [N, C, H, W]", found: ModelInputError.shape(data.shape))
        }
        self.data = data
        self.labels = labels
        self.conditions = conditions
        self.reconstruction = reconstruction
    }

    /// N, the samples in the data set.
    public var count: Int { data.shape[0] }

    /// The inputs given beyond the data, as `TrainableModel.trainingInputs` names them.
    public var givenInputs: Set<ModelInputError.Argument> {
        var given: Set<ModelInputError.Argument> = []
        if labels != nil { given.insert(.labels) }
        if conditions != nil { given.insert(.conditions) }
        if reconstruction != nil { given.insert(.reconstruction) }
        return given
    }
}

/// A kind of model `train` can train: it checks a data set against itself, says how to compute
/// the loss of a mini-batch, and finishes what training leaves to do. `train` itself knows no
/// kind: it builds the `Trainer` (the optimizer, the schedule, clipping, the EMA, the random key)
/// the same way for all, so a new kind trains as soon as it conforms.
public protocol TrainableModel: DiffusionModel {
    /// The inputs beyond the data that this kind trains on; `train` refuses the others, rather
    /// than ignore them.
    static var trainingInputs: Set<ModelInputError.Argument> { get }

    /// The decay of the exponential moving average of the weights that training returns when
    /// none is asked for; nil: the weights of the last step. Like a change to the loss, a change
    /// here changes trained numbers that notebook caches hold: bump the engine's cache key.
    static var defaultAverageDecay: Float? { get }

    /// The loss of a mini-batch of `data`, after checking that the data set fits the model (a
    /// `ModelInputError` names the input that does not). The loss draws its randomness only from
    /// the stream it is handed, so that training is reproducible and resumable (`Trainer`).
    func trainingObjective(on data: TrainingData) throws -> Trainer.LossFunction

    /// Runs once after training, with the final (averaged) weights in place and the module in
    /// evaluation mode: an autoencoder measures its latent scale here.
    func finishTraining(on data: TrainingData) throws

    /// The network trained against this one (a GAN's discriminator), with fresh weights from
    /// `random` and its own optimizer, for `learningRate` the model's; nil for a kind trained
    /// alone. `train` asks for it before `trainingObjective`, whose loss may use it.
    func trainingAdversary(on data: TrainingData, learningRate: Float, random: inout RandomStream) throws -> TrainingAdversary?
}

extension TrainableModel {
    public static var trainingInputs: Set<ModelInputError.Argument> { [] }
    public static var defaultAverageDecay: Float? { nil }
    public func finishTraining(on data: TrainingData) throws {}
    public func trainingAdversary(on data: TrainingData, learningRate: Float, random: inout RandomStream) throws -> TrainingAdversary? { nil }
}
