import Engine
import Formats

/// A conditional UNet that denoises latents, with the noise schedule it is trained for and what
/// it predicts: the model `diffuse`, `denoise` and the conditioning experiment sample with.
public final class Denoiser: DiffusionModel {
    public static let checkpointKind = ConditionalUNet.checkpointKind
    public let model: ConditionalUNet
    public let schedule: NoiseSchedule
    public let prediction: Prediction

    public init(model: ConditionalUNet, schedule: NoiseSchedule, prediction: Prediction) {
        self.model = model
        self.schedule = schedule
        self.prediction = prediction
    }

    /// The UNet, its schedule and its prediction, from one checkpoint.
    public convenience init(checkpoint: Checkpoint) throws {
        let model = try ConditionalUNet(checkpoint: checkpoint)
        let schedule = try NoiseSchedule(checkpointConfiguration: checkpoint.configuration)
        guard let prediction = checkpoint.configuration["prediction"].flatMap(Prediction.init(rawValue:)) else {
            throw CheckpointError(parameter: nil, "configuration \"prediction\" is missing or not epsilon, sample or velocity")
        }
        self.init(model: model, schedule: schedule, prediction: prediction)
    }

    public var checkpointConfiguration: [String: String] {
        var configuration = model.checkpointConfiguration
        configuration.merge(schedule.checkpointConfiguration) { $1 }
        configuration["prediction"] = prediction.rawValue
        return configuration
    }

    public var module: Module { model }

    /// How it makes data from noise: the samplers that fit it are those of its process.
    public var process: GenerativeProcess { .diffusion }

    public var kindName: String {
        "conditional UNet on \(model.layout.groups.map(\.name).joined(separator: " + "))"
    }
}
