import Engine
import Formats

/// A kind of model medsynth builds, trains, saves and loads: an autoencoder, a denoiser, a
/// segmenter. Each kind says how a checkpoint describes it (its `model` entry, its configuration)
/// and how to rebuild it from one; `ModelRegistry` lists the kinds, and everything above Diffusion
/// (the language's `load`, `save` and `train`, the notebook cache) only looks models up there.
public protocol DiffusionModel: AnyObject {
    /// The `model` entry of its checkpoints' configuration.
    static var checkpointKind: String { get }
    /// The model a checkpoint of this kind holds; the error names the first entry that is
    /// missing or malformed, or the first parameter that does not fit.
    init(checkpoint: Checkpoint) throws
    /// Its configuration as its checkpoints keep it (with `model` = `checkpointKind`).
    var checkpointConfiguration: [String: String] { get }
    /// The module whose parameters its checkpoints hold and training updates.
    var module: Module { get }
    /// What it is, for people: "KL autoencoder", "conditional UNet on mask + edges".
    var kindName: String { get }
    /// How a notebook makes a fresh one (the verb, its options, the construction); nil for a
    /// kind that is only loaded or trained.
    static var recipe: ModelRecipe? { get }
    /// Every verb that makes a fresh one: `recipe`, and one more for each other architecture of
    /// the kind (a denoiser of diffusers' UNet2DModel, an AutoencoderKL).
    static var recipes: [ModelRecipe] { get }
}

extension DiffusionModel {
    public static var recipe: ModelRecipe? { nil }
    public static var recipes: [ModelRecipe] { recipe.map { [$0] } ?? [] }

    /// Its parameters and configuration, ready to write.
    public func checkpoint() throws -> Checkpoint {
        try Checkpoint(module: module, configuration: checkpointConfiguration)
    }

    /// The number of scalar parameters.
    public var parameterCount: Int {
        module.parameters.reduce(0) { $0 + $1.value.count }
    }
}
