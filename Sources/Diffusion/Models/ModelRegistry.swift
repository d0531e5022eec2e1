import Formats

/// The kinds of model medsynth knows, one line each: a checkpoint is read back as the kind its
/// `model` entry names, and each kind's recipe is a verb of the language. A new kind is its own
/// file (a `DiffusionModel`, with a `ModelRecipe` to be made in notebooks, `TrainableModel` to
/// be trained, `LatentGenerator` to be sampled) plus one line here. The language needs no change
/// unless the kind trains on an input `train` does not have yet (`TrainingData`).
public enum ModelRegistry {
    public static var all: [any DiffusionModel.Type] {
        [
            Autoencoder.self,
            Denoiser.self,
            Segmenter.self,
            SPADE.self,
            PretrainedFeatureNetwork.self,
        ]
    }

    /// The recipes of the kinds a notebook can make, in the registry's order: each is a verb.
    public static var recipes: [ModelRecipe] { all.flatMap { $0.recipes } }

    /// The model a checkpoint holds, as the kind its configuration names, one of `kinds`.
    public static func model(from checkpoint: Checkpoint, among kinds: [any DiffusionModel.Type] = all) throws -> any DiffusionModel {
        let kind = checkpoint.configuration["model"]
        guard let type = kinds.first(where: { $0.checkpointKind == kind }) else {
            let known = kinds.map { "\"\($0.checkpointKind)\"" }.joined(separator: ", ")
            throw CheckpointError(
                parameter: nil, "the checkpoint holds \(kind.map { "a \"\($0)\"" } ?? "no model kind"), not a model medsynth can load (it knows \(known))")
        }
        return try type.init(checkpoint: checkpoint)
    }

    /// Reads the model in a checkpoint file (.h5, .hdf5 or .safetensors).
    public static func load(_ path: String) throws -> any DiffusionModel {
        try model(from: Checkpoint(reading: path))
    }

    /// Writes a model's checkpoint, in the format the path's extension names, atomically.
    public static func save(_ model: any DiffusionModel, to path: String) throws {
        try Checkpoint.write(model.checkpoint(), to: path)
    }

    /// An independent copy, through the model's checkpoint, in the same training mode.
    public static func copy(_ model: any DiffusionModel) throws -> any DiffusionModel {
        let copy = try type(of: model).init(checkpoint: model.checkpoint())
        copy.module.setTraining(model.module.isTraining)
        return copy
    }
}
