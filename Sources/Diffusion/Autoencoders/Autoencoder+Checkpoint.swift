import Engine
import Formats

extension Autoencoder {
    /// The checkpoint configuration's value of "model" for an autoencoder.
    public static let checkpointKind = "autoencoder"
    /// The value of "layout" for diffusers' and MONAI's AutoencoderKL layout (none: the compact one).
    public static let autoencoderKLLayout = "autoencoder-kl"

    /// The configuration as a checkpoint stores it, with the latent scale factor: every key
    /// needed to rebuild this autoencoder and use its latents. Numbers are written as Swift
    /// prints them, which reads back to the same Float.
    public var checkpointConfiguration: [String: String] {
        let c = configuration
        var entries = [
            "model": Self.checkpointKind, "imageChannels": "\(c.imageChannels)", "latentChannels": "\(c.latentChannels)",
            "outerWidth": "\(c.outerWidth)", "innerWidth": "\(c.innerWidth)", "groups": "\(c.groups)",
            "latentScaleFactor": "\(latentScaleFactor)",
        ]
        if let layout = c.autoencoderKL {
            entries["layout"] = Self.autoencoderKLLayout
            entries["layout.config"] = layout.entries.serialized
        }
        switch c.regularizer {
        case .none:
            entries["regularizer"] = "none"
        case .kl(let weight):
            entries["regularizer"] = "kl"
            entries["klWeight"] = "\(weight)"
        case .vq(let codes, let beta, let learning):
            entries["regularizer"] = "vq"
            entries["codes"] = "\(codes)"
            entries["commitmentWeight"] = "\(beta)"
            if case .movingAverage(let decay) = learning {
                entries["codebookLearning"] = "ema"
                entries["codebookDecay"] = "\(decay)"
            }
        }
        return entries
    }

    /// This autoencoder's parameters, configuration and latent scale factor, with `metadata`.
    public func checkpoint(metadata: [String: CheckpointValue]) throws -> Checkpoint {
        try Checkpoint(module: self, configuration: checkpointConfiguration, metadata: metadata)
    }

    /// The autoencoder a checkpoint describes: built from its configuration, with its
    /// parameters and latent scale factor. The error names the first key that is missing or
    /// malformed, or the first parameter that does not fit.
    public convenience init(checkpoint: Checkpoint) throws {
        let entries = CheckpointEntries(checkpoint.configuration)
        try entries.requireModel(Self.checkpointKind)
        let regularizer: Regularizer
        switch try entries.string("regularizer") {
        case "none": regularizer = .none
        case "kl": regularizer = .kl(weight: try entries.number("klWeight", as: Float.self, "at least 0") { $0 >= 0 })
        case "vq":
            // A checkpoint without "codebookLearning" (every one written before it) learned by gradient.
            var learning = VectorQuantizer.Learning.gradient
            switch checkpoint.configuration["codebookLearning"] {
            case nil, "gradient": break
            case "ema": learning = .movingAverage(decay: try entries.number("codebookDecay", as: Float.self, "between 0 and 1") { $0 > 0 && $0 < 1 })
            case let other?:
                throw CheckpointError(parameter: nil, "configuration \"codebookLearning\" is \"\(other)\", expected gradient or ema")
            }
            regularizer = .vq(
                codes: try entries.number("codes", as: Int.self),
                commitmentWeight: try entries.number("commitmentWeight", as: Float.self, "at least 0") { $0 >= 0 }, learning: learning)
        case let other:
            throw CheckpointError(parameter: nil, "configuration \"regularizer\" is \"\(other)\", expected none, kl or vq")
        }
        var configuration = Configuration(
            imageChannels: try entries.number("imageChannels", as: Int.self),
            latentChannels: try entries.number("latentChannels", as: Int.self),
            outerWidth: try entries.number("outerWidth", as: Int.self), innerWidth: try entries.number("innerWidth", as: Int.self),
            groups: try entries.number("groups", as: Int.self), regularizer: regularizer)
        switch checkpoint.configuration["layout"] {
        case nil: break
        case Self.autoencoderKLLayout:
            configuration.autoencoderKL = try AutoencoderKLLayout(
                entries: try CheckpointEntries.json(entries.string("layout.config"), key: "layout.config"),
                source: "configuration \"layout.config\"")
        case let other?:
            throw CheckpointError(parameter: nil, "configuration \"layout\" is \"\(other)\", expected \(Self.autoencoderKLLayout) or none")
        }
        try ModelSize.requireCheckpoint(checkpoint, holds: configuration.parameterCount, model: "an autoencoder")
        var unused = RandomStream(seed: 0)
        try self.init(configuration, random: &unused)
        try checkpoint.load(into: self)
        latentScaleFactor = try entries.number("latentScaleFactor", as: Float.self, "above 0") { $0 > 0 }
    }

    /// Writes `autoencoder`'s parameters, configuration and latent scale factor, with
    /// `metadata`, to `path` (.h5, .hdf5 or .safetensors), atomically.
    public static func write(_ autoencoder: Autoencoder, to path: String, metadata: [String: CheckpointValue] = [:]) throws {
        try Checkpoint.write(autoencoder.checkpoint(metadata: metadata), to: path)
    }

    /// Reads the autoencoder saved at `path` (.h5, .hdf5 or .safetensors).
    public convenience init(reading path: String) throws {
        try self.init(checkpoint: try Checkpoint(reading: path))
    }
}

extension Autoencoder: DiffusionModel {
    public var module: Module { self }

    public var kindName: String {
        switch configuration.regularizer {
        case .kl: return "KL autoencoder"
        case .vq: return "VQ autoencoder"
        case .none: return "autoencoder"
        }
    }
}
