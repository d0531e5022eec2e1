import Engine

/// A second network trained against the model, one step of its own after each of the model's
/// steps: a GAN's discriminator, such as the autoencoder's patch discriminator (Esser et al.,
/// "Taming Transformers", 2021; Rombach et al. 2022, appendix G).
///
/// The model's loss may use the adversary (the generator term); gradients that this sends into
/// the adversary's parameters are discarded, since the adversary's own step starts from zeroed
/// gradients. The adversary's weights and optimizer state go into the trainer's checkpoints, so
/// an adversarial run resumes bit for bit like any other.
public struct TrainingAdversary {
    /// The adversary's loss for a batch (drawing any randomness from `random`), or nil when it
    /// sits this step out (before its start step, for example).
    public typealias LossFunction = (_ batch: TrainingBatch, _ random: inout RandomStream) throws -> Variable?

    /// The network trained against the model.
    public let model: Module
    /// The optimizer over exactly the adversary's parameters, at its own fixed learning rate.
    public let optimizer: any StatefulOptimizer
    public let loss: LossFunction

    public init(model: Module, optimizer: any StatefulOptimizer, loss: @escaping LossFunction) throws {
        try TrainingError.requireOptimizer(optimizer, updating: model, owner: "the adversary's")
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
    }
}
