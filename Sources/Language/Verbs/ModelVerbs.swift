import Diffusion
import Engine
import Formats
import Foundation

/// Verbs that build, train and apply models: autoencoders and conditional UNets.
enum ModelVerbs {
    static var all: [Verb] { [autoencoder, unet, segmenter, train, encode, decode, segment] }

    static let autoencoder = Verb(
        "autoencoder", "A new autoencoder (4x downsampling), with freshly initialised weights.", category: .models,
        parameters: [
            .option("kind", .choice(["kl", "vq", "plain"]), default: .string("kl"), "KL-regularised, vector-quantised, or plain"),
            .option("latent", .integer(1...64), default: .number(4), "latent channels"),
            .option("channels", .integer(1...16), default: .number(1), "image channels"),
            .option("widths", .list, default: .list([.number(32), .number(64)]), "widths at full/half and at quarter resolution"),
            .option("groups", .integer(1...64), default: .number(8), "GroupNorm groups; must divide both widths"),
            .option("weight", .number, default: .number(1e-6), "kl: the KL divergence's weight"),
            .option("codes", .integer(2...65536), default: .number(512), "vq: the codebook size"),
            .option("beta", .number, default: .number(0.25), "vq: the commitment weight"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the seed of the initial weights"),
        ],
        result: .model, example: "ae = autoencoder kind=kl latent=4",
        randomness: .seeded(by: "seed")
    ) { call in
        let widths = try layerWidths(call, "widths", levels: 2...2)
        let regularizer: Autoencoder.Regularizer
        switch try call.string("kind") {
        case "vq": regularizer = .vq(codes: try call.int("codes"), commitmentWeight: Float(try call.double("beta")))
        case "plain": regularizer = .none
        default: regularizer = .kl(weight: Float(try call.double("weight")))
        }
        let configuration = Autoencoder.Configuration(
            imageChannels: try call.int("channels"), latentChannels: try call.int("latent"), outerWidth: widths[0],
            innerWidth: widths[1], groups: try call.int("groups"), regularizer: regularizer)
        var random = try call.randomKey().stream
        return .model(Model(try Autoencoder(configuration, random: &random)))
    }

    /// The channels a condition group may have.
    static let conditionChannels = 1...64

    static let unet = Verb(
        "unet", "A new conditional UNet that makes latents from noise, with a condition encoder: a diffusion model (a noise schedule) or a flow-matching one.",
        category: .models,
        parameters: [
            .option("latent", .integer(1...64), default: .number(4), "latent channels"),
            .option("cond", .any, default: .number(5), "condition channels (one group), or a record of groups, e.g. {mask: 4, edges: 1}, each dropped on its own"),
            .option("widths", .list, default: .list([.number(32), .number(64), .number(128)]), "the width of each level, finest first"),
            .option("blocks", .integer(1...8), default: .number(2), "residual blocks per level, each side"),
            .option("heads", .integer(1...32), default: .number(4), "attention heads at the lowest level"),
            .option("groups", .integer(1...64), default: .number(8), "GroupNorm groups"),
            .option("encoded", .integer(1...64), default: .number(5), "channels the condition encoder hands the UNet"),
            .option("factor", .integer(1...16), default: .number(4), "how much smaller the latent is than the conditions"),
            .option("drop", .number, default: .number(0.1), "the probability that each condition group is dropped in training (classifier-free guidance)"),
            .option("process", .choice(["diffusion", "flow"]), default: .string("diffusion"),
                    "diffusion: it predicts the noise (or x_0, or v) under a noise schedule; flow: flow matching, it predicts the velocity ε - x_0 of the straight path from data to noise"),
            .option("schedule", .schedule, default: .nothing, "diffusion: the noise schedule; linear 1e-4..0.02 over 1000 steps when left out"),
            .option("prediction", .choice(["epsilon", "sample", "velocity"]), default: .nothing, "diffusion: what the model predicts; epsilon when left out"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the seed of the initial weights"),
        ],
        result: .model, example: "net = unet latent=4 cond={mask: 4, edges: 1}",
        randomness: .seeded(by: "seed")
    ) { call in
        let drop = Float(try call.double("drop"))
        guard (0...1).contains(drop) else { throw call.error("drop", "a probability lies in 0...1") }
        let groups: [ConditionGroup]
        switch call.value("cond") {
        case .number(let channels):
            let count = try call.wholeNumber(channels, for: "cond", in: conditionChannels)
            groups = [ConditionGroup(name: "condition", channels: count, dropProbability: drop)]
        case .record(let record):
            groups = try record.fields.map { field in
                guard case .number(let channels) = field.value else {
                    throw call.error("cond", "the group '\(field.name)' needs a whole number of channels")
                }
                let count = try call.wholeNumber(channels, for: "cond", in: conditionChannels, isEntry: true)
                return ConditionGroup(name: field.name, channels: count, dropProbability: drop)
            }
        default:
            throw call.error("cond", "cond is a channel count or a record of groups", expected: "5, or {mask: 4, edges: 1}")
        }
        let layout = try ConditionLayout(groups)
        let latent = try call.int("latent")
        let encoded = try call.int("encoded")
        var random = try call.randomKey().stream
        let encoder = try ConditionEncoder(
            inputChannels: layout.channels, outputChannels: encoded, downsamplingFactor: try call.int("factor"), random: &random)
        let configuration = UNet.Configuration(
            inputChannels: latent + encoded, outputChannels: latent, widths: try layerWidths(call, "widths"),
            blocksPerLevel: try call.int("blocks"), attentionHeads: try call.int("heads"), groups: try call.int("groups"))
        let model = try ConditionalUNet(layout: layout, encoder: encoder, unet: try UNet(configuration, random: &random))
        if try call.string("process") == "flow" {
            for option in ["schedule", "prediction"] where call.has(option) {
                throw call.error(option, "a flow-matching model has no \(option): it learns the velocity of a straight path")
            }
            return .model(Model(Denoiser(model: model, process: .flow)))
        }
        let schedule = call.has("schedule") ? try call.schedule("schedule") : try DiffusionVerbs.defaultSchedule()
        let prediction = try call.optionalString("prediction").flatMap(Prediction.init(rawValue:)) ?? .epsilon
        return .model(Model(Denoiser(model: model, schedule: schedule, prediction: prediction)))
    }

    static let segmenter = Verb(
        "segmenter", "A new segmentation network (a small UNet at the image's resolution), to judge the anatomy of generated images.",
        category: .models,
        parameters: [
            .option("classes", .integer(2...64), default: .number(4), "the classes it tells apart, 0 the background"),
            .option("channels", .integer(1...16), default: .number(1), "image channels"),
            .option("widths", .list, default: .list([.number(16), .number(32), .number(64)]), "the width of each level, finest first"),
            .option("blocks", .integer(1...8), default: .number(1), "residual blocks per level, each side"),
            .option("heads", .integer(1...32), default: .number(2), "attention heads at the lowest level"),
            .option("groups", .integer(1...64), default: .number(8), "GroupNorm groups"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the seed of the initial weights"),
        ],
        result: .model, example: "seg = segmenter classes=4",
        details: "Train it with 'train seg data=images labels=labels' (cross-entropy); 'segment seg images' gives label maps.",
        randomness: .seeded(by: "seed")
    ) { call in
        var random = try call.randomKey().stream
        return .model(Model(try Segmenter(
            classes: try call.int("classes"), imageChannels: try call.int("channels"), widths: try layerWidths(call, "widths"),
            blocksPerLevel: try call.int("blocks"), attentionHeads: try call.int("heads"), groups: try call.int("groups"),
            random: &random)))
    }

    static let segment = Verb(
        "segment", "The label map a segmenter gives images: the most likely class of each pixel.", category: .models,
        parameters: [.argument("model", .model, "a segmenter"), .argument("images", .tensor, "[N, C, H, W], as it was trained on")],
        result: .tensor, example: "labels = segment (segmenter) (phantom n=2 seed=1).image",
        details: "Returns [N, 1, H, W] holding 0 ... classes - 1, like a phantom's label; compare it with 'metric dice'."
    ) { call in
        guard let segmenter = try call.model("model").as(Segmenter.self) else {
            throw call.error("model", "'segment' needs a segmenter", expected: "a segmenter", hint: "make one with 'segmenter' and train it")
        }
        let images = try call.tensor("images")
        guard images.rank == 4, images.shape[1] == segmenter.imageChannels else {
            throw call.error("images", "the segmenter takes images [N, \(segmenter.imageChannels), H, W]", found: "a tensor of shape \(images.shape)")
        }
        return .tensor(try inBatches(images, cancellation: call.context.cancellation) { try segmenter.segment($0) })
    }

    /// The widths a layer may have: a model beyond them would not fit in memory anyway.
    static let widthRange = 1...4096
    /// The levels a UNet or segmenter may have (each halves the resolution).
    static let levelRange = 1...8

    /// The widths given for `name`, each in `widthRange`, as many as `levels` allows.
    static func layerWidths(_ call: VerbCall, _ name: String, levels: ClosedRange<Int> = levelRange) throws -> [Int] {
        let widths = try call.integers(name, in: widthRange)
        guard levels.contains(widths.count) else {
            let count = levels.count == 1 ? "\(levels.lowerBound)" : "\(levels.lowerBound)...\(levels.upperBound)"
            throw call.error(name, "'\(call.verb.name)' needs \(count) widths for \(name)", expected: "e.g. [32, 64]", found: "\(widths.count) widths")
        }
        return widths
    }

    /// The option of `train` and `diffuse` that gives each input a model may refuse.
    static let inputOptions: [ModelInputError.Argument: String] = [
        .model: "model", .data: "data", .labels: "labels", .conditions: "cond", .reconstruction: "loss",
    ]

    /// `body`, with a model's refusal of its input reported at the option that gave it; when
    /// that option was left out, the hint says to give it.
    static func reportingModelInput<Result>(_ call: VerbCall, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as ModelInputError {
            let option = inputOptions[error.argument]!
            let hint = error.hint ?? (call.has(option) ? nil : "give \(option)=")
            throw call.error(option, error.message, expected: error.expected, found: error.found, hint: hint)
        }
    }

    static let train = Verb(
        "train", "Trains a copy of a model and returns it: Adam, warm-up then cosine decay, clipping, EMA for UNets.",
        category: .models,
        parameters: [
            .argument("model", .model, "an autoencoder, a UNet or a segmenter"),
            .option("data", .tensor, default: nil, "autoencoder, segmenter: images [N, C, H, W]; UNet: latents [N, C, h, w] (from encode)"),
            .option("cond", .any, default: .nothing, "UNet: the conditions, a list of tensors [N, C_i, H, W] in the order of its groups"),
            .option("labels", .tensor, default: .nothing, "segmenter: the label maps [N, 1, H, W] of the images"),
            .option("steps", .integer(1...10_000_000), default: .number(1000), "optimizer steps"),
            .option("lr", .number, default: .number(1e-3), "the peak learning rate"),
            .option("batch", .integer(1...4096), default: .number(16), "samples per step"),
            .option("warmup", .integer(0...10_000_000), default: .nothing, "warm-up steps; a tenth of the steps, at most 200, when left out"),
            .option("clip", .number, default: .number(1), "the gradient norm limit (0: none)"),
            .option("ema", .number, default: .nothing, "the EMA decay of the weights it returns (0: none); 0.999 for a UNet and none for the others when left out"),
            .option("loss", .choice(["l1", "l2"]), default: .nothing, "autoencoder: the reconstruction loss; l1 when left out"),
            .option("log", .integer(1...1_000_000), default: .number(100), "print progress every this many steps"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the seed of batch order and noise"),
        ],
        result: .model, example: "ae2 = train (autoencoder widths=[8, 16] groups=4) data=(phantom n=4 size=32 seed=1).image steps=2 batch=2",
        details: """
            The model given is not changed; an input the model does not train on (labels= for an \
            autoencoder, say) is refused. An autoencoder's latent scale factor is set to 1/std of \
            its training latents afterwards. Ctrl-C stops training after the current step; a NaN \
            loss stops it with a message.
            """,
        randomness: .seeded(by: "seed")
    ) { call in
        let given = try call.model("model")
        guard let kind = type(of: given.wrapped) as? any TrainableModel.Type else {
            throw call.error("model", "'train' does not know how to train the \(given.kindName)")
        }
        let reconstruction = try call.optionalString("loss").map { ReconstructionLoss(rawValue: $0)! }
        let data = try reportingModelInput(call) {
            try TrainingData(data: try call.tensor("data"), labels: try call.optionalTensor("labels"),
                             conditions: try DiffusionVerbs.conditionParts(call, "cond"), reconstruction: reconstruction)
        }
        for input in ModelInputError.Argument.allCases where data.givenInputs.contains(input) && !kind.trainingInputs.contains(input) {
            let uses = ["data="] + ModelInputError.Argument.allCases.filter(kind.trainingInputs.contains).map { "\(inputOptions[$0]!)=" }
            throw call.error(inputOptions[input]!, "the \(given.kindName) does not train on \(inputOptions[input]!)=",
                             hint: "it trains on \(uses.joined(separator: " and "))")
        }
        let steps = try call.int("steps")
        let rate = Float(try call.double("lr"))
        guard rate > 0, rate.isFinite else { throw call.error("lr", "the learning rate must be positive") }
        let warmup = try call.optionalInt("warmup") ?? min(200, steps / 10)
        guard warmup <= steps else { throw call.error("warmup", "more warm-up steps than steps") }
        let clip = try call.double("clip")
        let averageDecay: Float?
        if call.has("ema") {
            let decay = try call.double("ema")
            guard (0..<1).contains(decay) else { throw call.error("ema", "the EMA decay lies in 0 ..< 1 (0: no average)") }
            averageDecay = decay > 0 ? Float(decay) : nil
        } else {
            averageDecay = kind.defaultAverageDecay
        }
        guard let copy = try ModelRegistry.copy(given.wrapped) as? any TrainableModel else {
            throw call.error("model", "'train' does not know how to train the \(given.kindName)")
        }
        let configuration = try TrainingConfiguration(
            steps: steps, batchSize: min(try call.int("batch"), data.count), random: try call.randomKey(),
            schedule: WarmupCosineDecay(peak: rate, minimum: rate / 10, warmupSteps: warmup, totalSteps: steps),
            maxGradientNorm: clip > 0 ? Float(clip) : nil, emaDecay: averageDecay,
            emaSchedule: .warmup(inverseGamma: 1, power: 0.75), logInterval: try call.int("log"))
        let objective = try reportingModelInput(call) { try copy.trainingObjective(on: data) }
        let module = copy.module
        let trainer = try Trainer(
            model: module, optimizer: try Adam(parameters: module.parameters, learningRate: rate), datasetCount: data.count,
            configuration: configuration, loss: objective)
        let context = call.context
        defer { context.endProgress() }
        let result = try trainer.train(cancellation: context.cancellation) { progress in
            context.progress(progress.renderedLine())
        }
        if case .cancelled = result.outcome {
            throw RuntimeError("training stopped (Ctrl-C) after \(result.completedSteps) of \(steps) steps", span: call.span)
        }
        try trainer.average?.copy(to: module)
        module.setTraining(false)
        try copy.finishTraining(on: data)
        return .model(Model(copy))
    }

    static func autoencoderArgument(_ call: VerbCall) throws -> Autoencoder {
        guard let autoencoder = try call.model("model").as(Autoencoder.self) else {
            throw call.error("model", "'\(call.verb.name)' needs an autoencoder", expected: "an autoencoder")
        }
        return autoencoder
    }

    static let encode = Verb(
        "encode", "The diffusion latents of images: the encoder's mean (or its quantised code), times the scale factor.",
        category: .models,
        parameters: [.argument("model", .model, "an autoencoder"), .argument("images", .tensor, "[N, C, H, W]")],
        result: .tensor, example: "z = encode (autoencoder) (phantom n=2 seed=1).image"
    ) { call in
        let autoencoder = try autoencoderArgument(call)
        let images = try call.tensor("images")
        guard images.rank == 4 else { throw call.error("images", "'encode' takes a batch [N, C, H, W]", found: "a tensor of shape \(images.shape)") }
        return .tensor(try inBatches(images, cancellation: call.context.cancellation) { try autoencoder.diffusionLatents(of: $0) })
    }

    static let decode = Verb(
        "decode", "Images from diffusion latents (divided by the scale factor, then decoded).", category: .models,
        parameters: [.argument("model", .model, "an autoencoder"), .argument("latents", .tensor, "[N, C, h, w]")],
        result: .tensor, example: "x = decode (autoencoder) (zeros [1, 4, 16, 16])"
    ) { call in
        let autoencoder = try autoencoderArgument(call)
        let latents = try call.tensor("latents")
        guard latents.rank == 4 else { throw call.error("latents", "'decode' takes a batch [N, C, h, w]", found: "a tensor of shape \(latents.shape)") }
        return .tensor(try inBatches(latents, cancellation: call.context.cancellation) {
            try autoencoder.images(fromDiffusionLatents: $0)
        })
    }

    /// `body` on batches of at most 64 along the first axis, joined; `cancellation` is checked
    /// before each batch.
    static func inBatches(_ tensor: Tensor, cancellation: CancellationFlag, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
        let count = tensor.shape[0]
        guard count > 64 else { return try body(tensor) }
        let parts = try stride(from: 0, to: count, by: 64).map { start in
            try cancellation.checkCancellation()
            return try body(tensor.samples(at: Array(start..<min(start + 64, count))))
        }
        return try Tensor.concat(parts)
    }
}
