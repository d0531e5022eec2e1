import Engine
import Formats

/// A conditional UNet that turns noise into latents, with the process it was trained for: the
/// model `diffuse`, `denoise` and the conditioning experiment sample with.
public final class Denoiser: DiffusionModel {
    public static let checkpointKind = ConditionalUNet.checkpointKind

    /// How a denoiser makes data from noise (`DenoisingProcess`).
    public typealias Process = DenoisingProcess

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

extension Denoiser: TrainableModel {
    public static var trainingInputs: Set<ModelInputError.Argument> { [.conditions] }
    /// A UNet returns the EMA of its weights (decay 0.999), as LDM's and diffusers' trainers do.
    public static var defaultAverageDecay: Float? { 0.999 }

    /// `trainingLoss(latents:conditions:random:)` on the mini-batch's latents and conditions.
    public func trainingObjective(on data: TrainingData) throws -> Trainer.LossFunction {
        guard let parts = data.conditions else {
            throw ModelInputError(.conditions, "a conditional UNet trains on latents and their conditions", expected: model.layout.groupList)
        }
        let conditions = try model.layout.condition(ordered: parts, count: data.count)
        let latents = data.data
        guard latents.shape[1] == model.latentChannels else {
            throw ModelInputError(.data, "the UNet denoises \(model.latentChannels)-channel latents",
                                  found: ModelInputError.shape(latents.shape), hint: "train on 'encode ae images'")
        }
        return { batch, random in
            try self.trainingLoss(
                latents: latents.samples(at: batch.indices), conditions: conditions.samples(at: batch.indices), random: &random)
        }
    }
}

extension Denoiser: LatentGenerator {
    public var conditionLayout: ConditionLayout { model.layout }

    public func sampleLatents(
        conditions: Tensor, sampler: any Sampler, guidanceScale: Float, unconditional: Set<String>?,
        random: RandomKey, keepingSteps: Set<Int>,
        progress: (_ completedSteps: Int, _ totalSteps: Int) -> Void, isCancelled: () -> Bool
    ) throws -> SamplingResult {
        try model.sampleLatents(
            conditions: conditions, sampler: sampler, guidanceScale: guidanceScale, unconditional: unconditional,
            random: random, keepingSteps: keepingSteps, progress: progress, isCancelled: isCancelled)
    }

    public func guidedPrediction(latent: Tensor, condition: Tensor, timesteps: [Double], scale: Float) throws -> Tensor {
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        return try model.guidedPrediction(latent: latent, condition: condition, timesteps: timesteps, scale: scale)
    }
}

