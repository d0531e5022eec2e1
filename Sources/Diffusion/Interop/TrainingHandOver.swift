import Engine
import Formats
import Foundation

/// A denoiser's training statement, handed to PyTorch: everything a distributed trainer needs to
/// run the same objective on any number of GPUs or machines, in one folder.
///
///     start.safetensors   the model as training starts, as medsynth saves it (its configuration
///                         in the metadata, parameters under medsynth's paths)
///     data.safetensors    latents [N, C, h, w], conditions [N, C_c, H, W] (the groups in the
///                         model's order), the schedule's alpha-bars, and a check: medsynth's
///                         output for two samples, which the script reproduces before it trains
///     training.json       the hyperparameters, the condition groups and the architecture
///     unet/config.json    diffusers' configuration, for a UNet2DModel
///     train.py            the trainer (PyTorch; torchrun or python), see `HandOverScript`
///     README.md           how to run it and bring the result back
///
/// The script writes `result.safetensors` in the same layout as start.safetensors, which
/// `load` reads as the trained model, and `history.csv` (step, loss, learning rate).
public struct TrainingHandOver {
    public struct Hyperparameters: Sendable {
        public var steps: Int
        public var batchSize: Int
        public var learningRate: Float
        public var warmupSteps: Int
        public var maxGradientNorm: Float?
        public var emaDecay: Float?
        public var seed: Int

        public init(steps: Int, batchSize: Int, learningRate: Float, warmupSteps: Int, maxGradientNorm: Float?, emaDecay: Float?, seed: Int) {
            self.steps = steps
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.warmupSteps = warmupSteps
            self.maxGradientNorm = maxGradientNorm
            self.emaDecay = emaDecay
            self.seed = seed
        }
    }

    public let denoiser: Denoiser
    public let latents: Tensor
    /// The conditions, the groups on the channels in the model's order.
    public let conditions: Tensor
    public let hyperparameters: Hyperparameters
    /// Where it came from, for the README: "notebook.medsynth, cell both".
    public let origin: String

    /// Refuses what the script does not train: a flow-matching model, and data that do not fit.
    public init(denoiser: Denoiser, latents: Tensor, conditions: Tensor, hyperparameters: Hyperparameters, origin: String) throws {
        guard case .diffusion = denoiser.process else {
            throw ModuleError("the hand-over trains diffusion models; this one learns flow matching, which it does not implement yet")
        }
        guard latents.rank == 4, latents.shape[1] == denoiser.model.latentChannels,
              conditions.shape.first == latents.shape.first else {
            throw ModuleError("the latents \(describeShape(latents.shape)) and conditions \(describeShape(conditions.shape)) do not fit the model")
        }
        self.denoiser = denoiser
        self.latents = latents
        self.conditions = conditions
        self.hyperparameters = hyperparameters
        self.origin = origin
    }

    /// Writes the folder, and returns the files written.
    @discardableResult
    public func write(to folder: String) throws -> [String] {
        func file(_ name: String) -> String { folder.hasSuffix("/") ? folder + name : folder + "/" + name }
        var written: [String] = []
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let model = denoiser.model
        model.setTraining(false)
        try Checkpoint.write(denoiser.checkpoint(), to: file("start.safetensors"))
        written.append(file("start.safetensors"))
        guard case .diffusion(let schedule, let prediction) = denoiser.process else { return written }
        // The check: medsynth's raw output for the first two samples at two timesteps.
        let count = min(2, latents.shape[0])
        let checkLatents = try latents.samples(at: Array(0..<count)), checkConditions = try conditions.samples(at: Array(0..<count))
        let checkTimesteps = [10, schedule.trainingSteps / 2].prefix(count).map { $0 }
        let checkOutput = try GradientMode.withoutGradients {
            try model(latent: Variable(checkLatents), condition: checkConditions, timesteps: Array(checkTimesteps)).value
        }
        try SafetensorsFile.write([
            ("latents", latents), ("conditions", conditions),
            ("alphas_cumprod", Tensor(schedule.alphaBars.map(Float.init))),
            ("check.latents", checkLatents), ("check.conditions", checkConditions),
            ("check.timesteps", Tensor(checkTimesteps.map(Float.init))), ("check.output", checkOutput),
        ], to: file("data.safetensors"))
        written.append(file("data.safetensors"))
        if let unet = model.unet as? DiffusersUNet {
            try FileManager.default.createDirectory(atPath: file("unet"), withIntermediateDirectories: true)
            try AtomicWrite.write(try unet.configuration.diffusersConfig().prettyPrinted, to: file("unet/config.json"))
            written.append(file("unet/config.json"))
        }
        try AtomicWrite.write(try trainingJSON(prediction: prediction).prettyPrinted, to: file("training.json"))
        try AtomicWrite.write(HandOverScript.text, to: file("train.py"))
        try AtomicWrite.write(readme(folder: folder), to: file("README.md"))
        return written + [file("training.json"), file("train.py"), file("README.md")]
    }

    /// training.json: what train.py reads besides the tensors.
    func trainingJSON(prediction: Prediction) throws -> JSONValue {
        let model = denoiser.model, h = hyperparameters
        func whole(_ value: Int) -> JSONValue { .number(String(value)) }
        let groups: [JSONValue] = model.layout.groups.map {
            .object([("name", .string($0.name)), ("channels", whole($0.channels)), ("drop", JSONValue.number($0.dropProbability))])
        }
        var architecture: [(key: String, value: JSONValue)]
        if let unet = model.unet as? UNet {
            let c = unet.configuration
            architecture = [("kind", .string("medsynth")), ("in_channels", whole(c.inputChannels)), ("out_channels", whole(c.outputChannels)),
                            ("widths", .array(c.widths.map(whole))), ("blocks", whole(c.blocksPerLevel)), ("heads", whole(c.attentionHeads)),
                            ("groups", whole(c.groups)), ("time_width", whole(c.timeEmbeddingWidth)), ("dropout", JSONValue.number(c.dropout))]
        } else if model.unet is DiffusersUNet {
            architecture = [("kind", .string("diffusers")), ("config", .string("unet/config.json"))]
        } else {
            throw ModuleError("the hand-over knows medsynth's UNet and diffusers' UNet2DModel, not this network")
        }
        let encoder: JSONValue = model.encoder.map {
            .object([("out_channels", whole($0.outputChannels)), ("factor", whole($0.downsamplingFactor)),
                     ("width", whole($0.inputConv.weight.shape[0]))])
        } ?? .null
        let predictions: [Prediction: String] = [.epsilon: "epsilon", .sample: "sample", .velocity: "v_prediction"]
        let members: [(key: String, value: JSONValue)] = [
            ("origin", .string(origin)),
            ("steps", whole(h.steps)), ("batch", whole(h.batchSize)), ("lr", JSONValue.number(h.learningRate)),
            ("min_lr", JSONValue.number(h.learningRate / 10)), ("warmup", whole(h.warmupSteps)),
            ("clip", h.maxGradientNorm.map(JSONValue.number) ?? .null), ("ema", h.emaDecay.map(JSONValue.number) ?? .null),
            ("ema_power", JSONValue.number(Float(0.75))), ("seed", whole(h.seed)),
            ("prediction", .string(predictions[prediction]!)), ("conditions", .array(groups)),
            ("encoder", encoder), ("unet", .object(architecture)),
        ]
        return .object(members)
    }

    func readme(folder: String) -> String {
        """
        # A medsynth training statement, handed over to PyTorch

        From \(origin): \(hyperparameters.steps) steps of batch \(hyperparameters.batchSize), peak learning rate \
        \(hyperparameters.learningRate), on \(latents.shape[0]) latents of shape \(describeShape(Array(latents.shape.dropFirst()))).

        Train (needs torch and safetensors; a UNet2DModel needs diffusers too):

            python3 train.py                          # one process
            torchrun --nproc_per_node=8 train.py      # 8 GPUs (or processes), one machine
            torchrun --nnodes=2 --nproc_per_node=8 --rdzv-endpoint=HOST:29500 train.py   # on each of two machines

        `python3 train.py --help` lists the options (--steps, --device, --out). The script first checks that \
        PyTorch's network gives medsynth's output on two recorded samples, then trains the same objective as \
        medsynth's `train`: Adam with warm-up and cosine decay, gradient clipping, classifier-free guidance \
        dropout of each condition group, and an exponential moving average of the weights. The batch is split \
        over the processes (DistributedDataParallel; gloo on CPUs, NCCL on GPUs).

        Bring the result back into a notebook:

            m = load "\(folder)/result.safetensors"

        history.csv has the loss and learning rate of every step.
        """
    }
}

