import Diffusion
import Engine
import Formats
import Foundation

/// Verbs that build, train and apply models. The verbs that make a fresh model come from the
/// kinds' recipes in Diffusion's `ModelRegistry` (autoencoder, unet, segmenter); the others ask
/// for a capability, never a kind: `train` a `TrainableModel`, `encode` and `decode` a
/// `LatentCodec`, `segment` an `ImageSegmenter` (`diffuse` and `denoise` a `LatentGenerator`).
enum ModelVerbs {
    static var all: [Verb] { ModelRegistry.recipes.map(constructor) + [train, encode, decode, segment, synthesise, export] }

    /// The verb a recipe describes: its options as verb options (with `seed=` for the initial
    /// weights), each checked and converted by its kind before the recipe sees it; the recipe's
    /// own refusals are reported at the option they name.
    static func constructor(_ recipe: ModelRecipe) -> Verb {
        precondition(!recipe.options.contains { $0.name == "seed" }, "the recipe of '\(recipe.verb)' declares seed=, which every model verb has")
        let parameters = recipe.options.map { option in
            Parameter.option(option.name, parameterKind(option.kind), default: option.defaultValue.map(value) ?? .nothing, option.help)
        } + [.option("seed", .integer(0...Int.max), default: .nothing, "the seed of the initial weights")]
        return Verb(
            recipe.verb, recipe.summary, category: .models, parameters: parameters, result: .model, example: recipe.example,
            details: recipe.details, randomness: .seeded(by: "seed")
        ) { call in
            var values: [String: ModelOptionValues.Value] = [:]
            for option in recipe.options where call.has(option.name) {
                values[option.name] = try optionValue(call, option)
            }
            var random = try call.randomKey().stream
            do {
                return .model(Model(try recipe.make(ModelOptionValues(values), &random)))
            } catch let error as ModelOptionError {
                throw call.error(error.option, error.message, expected: error.expected, hint: error.hint)
            }
        }
    }

    static func parameterKind(_ kind: ModelOption.Kind) -> Parameter.Kind {
        switch kind {
        case .integer(let range): return .integer(range)
        case .number: return .number
        case .choice(let words): return .choice(words)
        case .widths: return .list
        case .conditionGroups: return .any
        case .schedule: return .schedule
        }
    }

    static func value(_ given: ModelOption.Default) -> Value {
        switch given {
        case .number(let number): return .number(number)
        case .word(let word): return .string(word)
        case .integers(let integers): return .list(integers.map { .number(Double($0)) })
        }
    }

    /// The value of one option as its kind reads it, with the language's checks and messages.
    static func optionValue(_ call: VerbCall, _ option: ModelOption) throws -> ModelOptionValues.Value {
        let name = option.name
        switch option.kind {
        case .integer: return .integer(try call.int(name))
        case .number: return .number(try call.double(name))
        case .choice: return .word(try call.string(name))
        case .widths(let levels): return .integers(try layerWidths(call, name, levels: levels))
        case .schedule: return .schedule(try call.schedule(name))
        case .conditionGroups:
            switch call.value(name) {
            case .number(let channels):
                return .groups([("condition", try call.wholeNumber(channels, for: name, in: ModelOption.conditionChannels))])
            case .record(let record):
                guard !record.fields.isEmpty else {
                    throw call.error(name, "a record of condition groups needs at least one group", expected: "e.g. {mask: 4, edges: 1}")
                }
                return .groups(try record.fields.map { field in
                    guard case .number(let channels) = field.value else {
                        throw call.error(name, "the group '\(field.name)' needs a whole number of channels")
                    }
                    return (field.name, try call.wholeNumber(channels, for: name, in: ModelOption.conditionChannels, isEntry: true))
                })
            default:
                throw call.error(name, "\(name) is a channel count or a record of groups", expected: "5, or {mask: 4, edges: 1}")
            }
        }
    }

    static let synthesise = Verb(
        "synthesise", "Images straight from conditions, by a conditional generator (SPADE): one pass, no sampler.", category: .models,
        parameters: [
            .argument("model", .model, "a conditional image generator (spade)"),
            .option("cond", .any, default: .nothing, "the conditions: a tensor, or a list of tensors in the model's group order"),
        ],
        result: .tensor, returns: "images [N, C, H, W] in -1...1 (unsigned brings them to 0...1)",
        example: "y = synthesise (spade cond={mask: 4, edges: 1} widths=[16, 8]) cond=[m, e]"
    ) { call in
        guard let generator = try call.model("model").wrapped as? any ConditionalImageGenerator else {
            throw call.error("model", "'synthesise' needs a conditional image generator", expected: "a SPADE generator (spade)",
                found: call.value("model").summary)
        }
        let conditions = try DiffusionVerbs.conditionTensor(call, "cond", for: generator.conditionLayout, count: nil)
        do {
            return .tensor(try inBatches(conditions, "generating", call.context) { try generator.generate(conditions: $0) })
        } catch let error as ModuleError {
            throw call.error("cond", error.message)
        }
    }

    static let segment = Verb(
        "segment", "The label map a segmenter gives images: the most likely class of each pixel.", category: .models,
        parameters: [.argument("model", .model, "a segmenter"), .argument("images", .tensor, "[N, C, H, W], as it was trained on")],
        result: .tensor, example: "labels = segment (segmenter) (phantom n=2 seed=1).image",
        details: "Returns [N, 1, H, W] holding 0 ... classes - 1, like a phantom's label; compare it with 'metric dice'."
    ) { call in
        guard let segmenter = try call.model("model").wrapped as? any ImageSegmenter else {
            throw call.error("model", "'segment' needs a segmenter", expected: "a segmenter", hint: "make one with 'segmenter' and train it")
        }
        let images = try call.tensor("images")
        guard images.rank == 4, images.shape[1] == segmenter.imageChannels else {
            throw call.error("images", "the segmenter takes images [N, \(segmenter.imageChannels), H, W]", found: "a tensor of shape \(images.shape)")
        }
        return .tensor(try inBatches(images, "segmenting", call.context) { try segmenter.segment($0) })
    }

    /// The widths given for `name`, each in `ModelOption.widths`, as many as `levels` allows.
    static func layerWidths(_ call: VerbCall, _ name: String, levels: ClosedRange<Int>) throws -> [Int] {
        let widths = try call.integers(name, in: ModelOption.widths)
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
            let given = call.has(option)
            throw call.error(option, error.message, expected: error.expected, found: error.found ?? (given ? nil : "no \(option)="),
                             hint: error.hint ?? (given ? nil : "give \(option)="))
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
            .option("ema", .number, default: .nothing, "the EMA decay of the weights it returns, in 0 ..< 1 (0: none); 0.999 for a UNet and none for the others when left out"),
            .option("loss", .choice(["l1", "l2"]), default: .nothing, "autoencoder: the reconstruction loss; l1 when left out"),
            .option("log", .integer(1...1_000_000), default: .number(100), "print progress every this many steps"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the seed of batch order and noise"),
            .option("val_data", .tensor, default: .nothing, "held-out data, as data=: its loss is measured every val_every steps"),
            .option("val_cond", .any, default: .nothing, "the held-out data's conditions, as cond="),
            .option("val_labels", .tensor, default: .nothing, "the held-out data's labels, as labels="),
            .option("val_every", .integer(1...10_000_000), default: .nothing, "steps between validations; a twentieth of the steps when left out"),
            .option("checkpoint", .output, default: .nothing, "a file (.h5 or .safetensors) to keep the run's state in; in a notebook, the cache keeps one when left out"),
            .option("every", .integer(1...10_000_000), default: .nothing, "steps between checkpoints; every 5 minutes of wall time when left out"),
            .option("resume", .bool, default: .bool(true), "continue from the checkpoint when there is one"),
        ],
        result: .model, example: "ae2 = train (autoencoder widths=[8, 16] groups=4) data=(phantom n=4 size=32 seed=1).image steps=2 batch=2",
        details: """
            The model given is not changed; an input the model does not train on (labels= for an \
            autoencoder, say) is refused. An autoencoder's latent scale factor is set to 1/std of \
            its training latents afterwards. A NaN loss stops training with a message.

            The model it returns carries its history: `m.history` holds the loss, learning rate \
            and gradient norm of each step and the validation loss (with val_data=, measured on \
            the training weights, with the same noise each time); `plot m.history` draws it.

            Ctrl-C (or SIGTERM in `run`) stops training after the current step: `m = train ...` \
            then binds the partly trained model and the statement reports that it stopped. With \
            a checkpoint (checkpoint=, or the notebook cache's own), the state is written every \
            `every` steps, at the end and when stopped, and running the statement again continues \
            from it: the same weights, bit for bit, as a run never stopped. A checkpoint of \
            another run (another model, data size, batch, seed or schedule) is refused with the \
            reason; resume=false starts over and replaces it.
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
        let (steps, rate, warmup, clip, averageDecay) = try hyperparameters(call, kind: kind)
        guard let copy = try ModelRegistry.copy(given.wrapped) as? any TrainableModel else {
            throw call.error("model", "'train' does not know how to train the \(given.kindName)")
        }
        let configuration = try TrainingConfiguration(
            steps: steps, batchSize: min(try call.int("batch"), data.count), random: try call.randomKey(),
            schedule: WarmupCosineDecay(peak: rate, minimum: rate / 10, warmupSteps: warmup, totalSteps: steps),
            maxGradientNorm: clip, emaDecay: averageDecay,
            emaSchedule: .warmup(inverseGamma: 1, power: 0.75), logInterval: try call.int("log"))
        // A GAN's discriminator first (its weights from the statement's key), then the loss that uses it.
        var adversaryRandom = try call.randomKey().child("adversary").stream
        let adversary = try reportingModelInput(call) { try copy.trainingAdversary(on: data, learningRate: rate, random: &adversaryRandom) }
        let objective = try reportingModelInput(call) { try copy.trainingObjective(on: data) }
        let module = copy.module
        let trainer = try Trainer(
            model: module, optimizer: try Adam(parameters: module.parameters, learningRate: rate), datasetCount: data.count,
            configuration: try checkpointing(call, configuration, start: copy, data: data), adversary: adversary,
            validation: try validation(call, copy, configuration), loss: objective)
        let context = call.context
        if !call.has("checkpoint"), let partialResults = context.partialResults {
            trainer.afterCheckpoint = { try partialResults.seal($0, for: $1) }
            // The cache's own checkpoint is a convenience: if it cannot be written, say so and train on.
            trainer.checkpointFailed = { error in
                context.print("warning: the cache cannot keep this statement's checkpoint (\(error)); training goes on without one")
            }
        }
        try resumeIfAsked(call, trainer)
        defer { context.endProgress() }
        let result = try trainer.train(cancellation: context.cancellation) { progress in
            context.progress(progress.renderedLine())
        }
        try trainer.average?.copy(to: module)
        module.setTraining(false)
        try copy.finishTraining(on: data)
        let model = Model(copy, training: TrainingRun(history: result.history, plannedSteps: steps))
        if case .cancelled = result.outcome {
            guard result.completedSteps > 0 else { throw RuntimeError("train stopped (Ctrl-C) before its first step", span: call.span) }
            var message = "training stopped (Ctrl-C) after \(result.completedSteps) of \(steps) steps"
            if let path = trainer.configuration.checkpointPath {
                message += call.has("checkpoint") ? "; its checkpoint \(path) continues it" : "; the cache keeps its checkpoint, and running it again continues it"
            }
            throw PartialResult(value: .model(model), message: message, verb: "train", span: call.span)
        }
        return .model(model)
    }

    /// train's steps, peak learning rate, warm-up, clipping norm (nil: none) and EMA decay (nil:
    /// none), checked, with the defaults `train`'s help states.
    static func hyperparameters(
        _ call: VerbCall, kind: any TrainableModel.Type
    ) throws -> (steps: Int, rate: Float, warmup: Int, clip: Float?, averageDecay: Float?) {
        let steps = try call.int("steps")
        let rate = Float(try call.double("lr"))
        guard rate > 0, rate.isFinite else { throw call.error("lr", "the learning rate must be positive") }
        let warmup = try call.optionalInt("warmup") ?? min(200, steps / 10)
        guard warmup <= steps else { throw call.error("warmup", "more warm-up steps than steps") }
        let clip = try call.double("clip")
        var averageDecay = kind.defaultAverageDecay
        if call.has("ema") {
            let decay = try call.double("ema")
            guard (0..<1).contains(decay) else { throw call.error("ema", "the EMA decay lies in 0 ..< 1 (0: no average)") }
            averageDecay = decay > 0 ? Float(decay) : nil
        }
        return (steps, rate, warmup, clip > 0 ? Float(clip) : nil, averageDecay)
    }

    /// A `train` call of a denoiser as a hand-over to PyTorch (`medsynth export`): the model as
    /// training would start, its data and conditions, and the same hyperparameters.
    static func handOver(_ call: VerbCall, origin: String) throws -> TrainingHandOver {
        guard let denoiser = try call.model("model").wrapped as? Denoiser else {
            throw call.error("model", "the hand-over trains denoisers (made by unet or unet2d); this is a \(try call.model("model").kindName)")
        }
        guard let parts = try DiffusionVerbs.conditionParts(call, "cond") else {
            throw call.error("cond", "a denoiser trains on its conditions", expected: "cond=[...] with \(denoiser.model.layout.groupList)")
        }
        let latents = try call.tensor("data")
        let conditions = try reportingModelInput(call) { try denoiser.model.layout.condition(ordered: parts, count: latents.shape.first) }
        let (steps, rate, warmup, clip, averageDecay) = try hyperparameters(call, kind: Denoiser.self)
        guard let copy = try ModelRegistry.copy(denoiser) as? Denoiser else { throw call.error("model", "the model cannot be copied") }
        return try TrainingHandOver(
            denoiser: copy, latents: latents, conditions: conditions,
            hyperparameters: .init(steps: steps, batchSize: min(try call.int("batch"), latents.shape.first ?? 1), learningRate: rate,
                                   warmupSteps: warmup, maxGradientNorm: clip, emaDecay: averageDecay,
                                   seed: try call.optionalInt("seed") ?? 0),
            origin: origin)
    }

    /// The configuration with the checkpoint the call asks for: the file of checkpoint=, or the
    /// one the notebook cache gives the statement; written every `every` steps, or every five
    /// minutes of wall time.
    static func checkpointing(_ call: VerbCall, _ base: TrainingConfiguration, start: any TrainableModel, data: TrainingData) throws -> TrainingConfiguration {
        var configuration = base
        // A checkpoint continues only the run it was written by: the same data, the same start.
        configuration.dataIdentity = fingerprint(
            [data.data] + (data.labels.map { [$0] } ?? []) + (data.conditions ?? []) + start.module.parameters.map(\.value))
        configuration.checkpointPath = call.has("checkpoint")
            ? try call.path("checkpoint", for: .write) : call.context.partialResults?.path(for: "train")
        if let every = try call.optionalInt("every") {
            configuration.checkpointInterval = every
        } else {
            configuration.checkpointInterval = Int.max
            configuration.checkpointSeconds = 300
        }
        if let path = configuration.checkpointPath, call.has("checkpoint") {
            let format = (path as NSString).pathExtension.lowercased()
            guard ["h5", "hdf5", "safetensors"].contains(format) else {
                throw call.error("checkpoint", "a checkpoint is an .h5 or .safetensors file", found: "the path \(path)")
            }
            if try !call.bool("resume"), FileManager.default.fileExists(atPath: path), call.context.fileAccess.replacingNeedsConsent(path) {
                throw call.error(
                    "checkpoint", "resume=false would replace \(path), which this notebook did not make",
                    hint: "give a new checkpoint= path, or remove the file")
            }
        }
        return configuration
    }

    /// A 64-bit FNV-1a fingerprint of the tensors' shapes and values, in hex.
    static func fingerprint(_ tensors: [Tensor]) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        func mix(_ word: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash ^= (word >> UInt64(shift)) & 0xFF
                hash = hash &* 0x100000001b3
            }
        }
        for tensor in tensors {
            mix(UInt64(tensor.rank))
            for extent in tensor.shape { mix(UInt64(extent)) }
            tensor.withUnsafeBufferPointer { values in for value in values { mix(UInt64(value.bitPattern)) } }
        }
        return String(hash, radix: 16)
    }

    /// The held-out set of val_data= (with val_cond= and val_labels=), checked as `train` checks
    /// its data; nil without val_data=.
    static func validation(_ call: VerbCall, _ model: any TrainableModel, _ configuration: TrainingConfiguration) throws -> Trainer.Validation? {
        guard call.has("val_data") else {
            for option in ["val_cond", "val_labels", "val_every"] where call.has(option) {
                throw call.error(option, "\(option)= goes with val_data=, the held-out data", hint: "give val_data=")
            }
            return nil
        }
        let held: TrainingData
        do {
            held = try TrainingData(
                data: try call.tensor("val_data"), labels: try call.optionalTensor("val_labels"),
                conditions: try DiffusionVerbs.conditionParts(call, "val_cond"), reconstruction: try call.optionalString("loss").map { ReconstructionLoss(rawValue: $0)! })
        } catch let error as ModelInputError {
            throw call.error("val_data", "the held-out data: \(error.message)", found: error.found)
        }
        let objective: Trainer.LossFunction
        do {
            objective = try model.trainingObjective(on: held)
        } catch let error as ModelInputError {
            let option = ["data": "val_data", "cond": "val_cond", "labels": "val_labels", "loss": "loss", "model": "model"][inputOptions[error.argument]!]!
            throw call.error(option, "the held-out data: \(error.message)", expected: error.expected, found: error.found, hint: error.hint)
        }
        let interval = try call.optionalInt("val_every") ?? max(1, configuration.steps / 20)
        return try Trainer.Validation(loss: objective, count: held.count, batchSize: configuration.batchSize, interval: interval)
    }

    /// Continues from the run's checkpoint when there is one and resume= allows: a file the
    /// user named must be this run's; one the cache kept is used only when the cache vouches
    /// for it, and otherwise set aside with a warning.
    static func resumeIfAsked(_ call: VerbCall, _ trainer: Trainer) throws {
        guard try call.bool("resume"), let path = trainer.configuration.checkpointPath,
              FileManager.default.fileExists(atPath: path) else { return }
        let named = call.has("checkpoint")
        if !named, call.context.partialResults?.vouchesFor(path) != true {
            call.context.print("warning: the cache's checkpoint for this statement is not one it wrote; starting at step 0")
            return
        }
        do {
            try trainer.resume(from: path)
        } catch {
            guard named else {
                call.context.print("warning: the cache's checkpoint for this statement cannot continue this run (\(error)); starting at step 0")
                return
            }
            throw call.error("checkpoint", "\(error)", hint: "resume=false starts over and replaces it")
        }
        call.context.print("resuming at step \(trainer.completedSteps) of \(trainer.configuration.steps) from \(named ? path : "the cache's checkpoint")")
    }

    static func autoencoderArgument(_ call: VerbCall) throws -> any LatentCodec {
        guard let autoencoder = try call.model("model").wrapped as? any LatentCodec else {
            throw call.error("model", "'\(call.verb.name)' needs an autoencoder", expected: "an autoencoder")
        }
        return autoencoder
    }

    static let export = Verb(
        "export", "Writes a model as diffusers or MONAI saves one: a folder that their own loaders read unchanged.",
        category: .models,
        parameters: [
            .argument("model", .model, "a UNet made by unet2d or an autoencoder made by autoencoder_kl, or one loaded from such a folder"),
            .argument("path", .path, "the folder"),
            .option("library", .choice(ModelLibrary.allCases.map(\.rawValue)), default: .string("diffusers"), "whose folder to write"),
            .option("overwrite", .bool, default: .bool(false), "in a notebook run, replace a model folder that exists outside the output folder"),
        ],
        result: .string, example: "export (unet2d latent=4 cond=1 widths=[16, 32] groups=4) \"out/unet\"",
        details: "library=diffusers writes config.json and diffusion_pytorch_model.safetensors, which UNet2DModel.from_pretrained "
            + "and AutoencoderKL.from_pretrained read; library=monai writes the network's arguments (with _target_) as config.json "
            + "and its state dict as model.safetensors, for DiffusionModelUNet(**args).load_state_dict(...) or AutoencoderKL's. "
            + "Beside them go what those libraries have no place for, which load reads back: medsynth.json (condition groups, "
            + "process), condition_encoder.safetensors and, for a diffusion UNet, diffusers' scheduler_config.json. "
            + "load of the folder gives the same model back. Returns the path.",
        hasSideEffects: true
    ) { call in
        let path = try call.path("path", for: .write)
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if exists, !isFolder.boolValue {
            throw call.error("path", "\(path) is a file; export writes a folder", expected: "a folder name, e.g. \"out/unet\"")
        }
        if exists, FileManager.default.fileExists(atPath: path + "/" + ModelFolder.configName),
           call.context.fileAccess.replacingNeedsConsent(path), !(try call.bool("overwrite")) {
            throw call.error("path", "\(path) holds a model already; a notebook replaces one only when asked", hint: "add overwrite=true to replace it")
        }
        let library = ModelLibrary(rawValue: try call.string("library")) ?? .diffusers
        do {
            try ModelExchange.write(try call.model("model").wrapped, as: library, to: path)
        } catch let error as ModuleError {
            throw call.error("model", error.message)
        }
        return .string(try call.string("path"))
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
        return .tensor(try inBatches(images, "encoding", call.context) { try autoencoder.diffusionLatents(of: $0) })
    }

    static let decode = Verb(
        "decode", "Images from diffusion latents (divided by the scale factor, then decoded).", category: .models,
        parameters: [.argument("model", .model, "an autoencoder"), .argument("latents", .tensor, "[N, C, h, w]")],
        result: .tensor, example: "x = decode (autoencoder) (zeros [1, 4, 16, 16])"
    ) { call in
        let autoencoder = try autoencoderArgument(call)
        let latents = try call.tensor("latents")
        guard latents.rank == 4 else { throw call.error("latents", "'decode' takes a batch [N, C, h, w]", found: "a tensor of shape \(latents.shape)") }
        return .tensor(try inBatches(latents, "decoding", call.context) {
            try autoencoder.images(fromDiffusionLatents: $0)
        })
    }

    /// `body` on batches of at most 64 along the first axis, joined (see `inBatches(count:)`).
    static func inBatches(
        _ tensor: Tensor, _ label: String, _ context: RuntimeContext, _ body: (Tensor) throws -> Tensor
    ) throws -> Tensor {
        let count = tensor.shape[0]
        guard count > 64 else { return try body(tensor) }
        return try Tensor.concat(try inBatches(count: count, label, context) { rows in try body(tensor.samples(at: rows)) })
    }

    /// `body` on the rows 0..<count, at most 64 at a time, in order: the context's cancellation
    /// is checked before each batch, and its progress shows the batches done under `label`.
    static func inBatches<Part>(
        count: Int, _ label: String, _ context: RuntimeContext, _ body: ([Int]) throws -> Part
    ) throws -> [Part] {
        let starts = Array(stride(from: 0, to: count, by: 64))
        let showProgress = context.stepProgress(label, unit: "batch")
        defer { context.endProgress() }
        return try starts.enumerated().map { index, start in
            try context.cancellation.checkCancellation()
            let part = try body(Array(start..<min(start + 64, count)))
            showProgress(index + 1, starts.count)
            return part
        }
    }
}
