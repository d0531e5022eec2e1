import Engine
import Formats

/// A conditional UNet that turns noise into latents, with the process it was trained for: the
/// model `diffuse`, `denoise` and the conditioning experiment sample with.
public final class Denoiser: DiffusionModel {
    public static let checkpointKind = ConditionalUNet.checkpointKind

    /// How a denoiser makes data from noise.
    public enum Process: Sendable {
        /// Diffusion: a noise schedule, and what the network predicts at its integer timesteps.
        case diffusion(schedule: NoiseSchedule, prediction: Prediction)
        /// Flow matching: the network predicts the velocity ε - x_0 at time 1000 t (`FlowMatching`).
        case flow

        /// The kind of process, which decides the samplers that fit.
        public var kind: GenerativeProcess {
            if case .flow = self { return .flow }
            return .diffusion
        }
    }

    public let model: ConditionalUNet
    public let process: Process

    public init(model: ConditionalUNet, process: Process) {
        self.model = model
        self.process = process
    }

    /// A diffusion denoiser.
    public convenience init(model: ConditionalUNet, schedule: NoiseSchedule, prediction: Prediction) {
        self.init(model: model, process: .diffusion(schedule: schedule, prediction: prediction))
    }

    /// The schedule and prediction of a diffusion denoiser; nil for a flow model.
    public var diffusion: (schedule: NoiseSchedule, prediction: Prediction)? {
        guard case .diffusion(let schedule, let prediction) = process else { return nil }
        return (schedule, prediction)
    }

    /// The UNet and its process, from one checkpoint. A checkpoint that names no process (all
    /// those written before flow models existed) holds a diffusion model.
    public convenience init(checkpoint: Checkpoint) throws {
        let model = try ConditionalUNet(checkpoint: checkpoint)
        switch checkpoint.configuration["process"] ?? "diffusion" {
        case "flow":
            self.init(model: model, process: .flow)
        case "diffusion":
            let schedule = try NoiseSchedule(checkpointConfiguration: checkpoint.configuration)
            guard let prediction = checkpoint.configuration["prediction"].flatMap(Prediction.init(rawValue:)) else {
                throw CheckpointError(parameter: nil, "configuration \"prediction\" is missing or not epsilon, sample or velocity")
            }
            self.init(model: model, schedule: schedule, prediction: prediction)
        case let other:
            throw CheckpointError(parameter: nil, "configuration \"process\" is \"\(other)\", not diffusion or flow")
        }
    }

    public var checkpointConfiguration: [String: String] {
        var configuration = model.checkpointConfiguration
        switch process {
        case .diffusion(let schedule, let prediction):
            configuration.merge(schedule.checkpointConfiguration) { $1 }
            configuration["prediction"] = prediction.rawValue
        case .flow:
            configuration["process"] = "flow"
        }
        return configuration
    }

    public var module: Module { model }

    /// The loss `train` minimises on a mini-batch of latents and their conditions: Ho et al.'s
    /// simple loss for diffusion, the velocity error for flow matching.
    public func trainingLoss(latents: Tensor, conditions: Tensor, random: inout RandomStream) throws -> Variable {
        switch process {
        case .diffusion(let schedule, let prediction):
            return try model.simpleLoss(latents: latents, conditions: conditions, schedule: schedule, prediction: prediction, random: &random)
        case .flow:
            return try FlowMatching.loss(model: model, latents: latents, conditions: conditions, random: &random)
        }
    }

    public var kindName: String {
        let groups = model.layout.groups.map(\.name).joined(separator: " + ")
        return process.kind == .flow ? "conditional flow-matching UNet on \(groups)" : "conditional UNet on \(groups)"
    }
}
