import Diffusion
import Engine

/// Verbs of the diffusion process: schedules, forward noising, and reverse steps and runs.
enum DiffusionVerbs {
    static var all: [Verb] { [schedule, noise, diffuse, denoise] }

    static let schedule = Verb(
        "schedule", "A noise schedule: betas, alpha-bars and signal-to-noise ratios over T steps.", category: .diffusion,
        parameters: [
            .option("kind", .choice(["linear", "scaled_linear", "cosine"]), default: .string("linear"),
                "linear (Ho et al.), scaled_linear (latent diffusion), cosine (Nichol and Dhariwal, s = 0.008)"),
            .option("steps", .integer(2...100_000), default: .number(1000), "T, the training steps"),
            .option("start", .number, default: .number(1e-4), "linear kinds: the first beta"),
            .option("end", .number, default: .number(0.02), "linear kinds: the last beta"),
            .option("zero_snr", .bool, default: .bool(false), "rescale so that the last step is pure noise (Lin et al. 2024)"),
        ],
        result: .schedule, example: "s = schedule kind=cosine steps=1000"
    ) { call in
        let start = try call.double("start")
        let end = try call.double("end")
        guard start > 0, start < end, end < 1 else {
            throw call.error("end", "betas need 0 < start < end < 1", found: "start \(Value.format(start)), end \(Value.format(end))")
        }
        let kind: NoiseSchedule.Kind
        switch try call.string("kind") {
        case "cosine": kind = .cosine
        case "scaled_linear": kind = .scaledLinear(betaStart: start, betaEnd: end)
        default: kind = .linear(betaStart: start, betaEnd: end)
        }
        return .schedule(try NoiseSchedule(kind, trainingSteps: try call.int("steps"), zeroTerminalSNR: try call.bool("zero_snr")))
    }

    /// One timestep per item: a single number for all, or a list of N.
    static func timesteps(_ call: VerbCall, _ name: String, count: Int, schedule: NoiseSchedule) throws -> [Int] {
        let values: [Double]
        var isList = true
        switch call.value(name) {
        case .number(let t):
            values = Array(repeating: t, count: count)
            isList = false
        case .list(let items):
            values = try items.map { item in
                guard case .number(let t) = item else { throw call.error(name, "timesteps are whole numbers") }
                return t
            }
            guard values.count == count else { throw call.error(name, "\(values.count) timesteps for \(count) items") }
        case .tensor(let tensor):
            values = tensor.scalars.map(Double.init)
            guard values.count == count else { throw call.error(name, "\(values.count) timesteps for \(count) items") }
        default:
            throw call.error(name, "a timestep is a whole number, or a list of one per item")
        }
        return try values.map { t in
            try call.wholeNumber(t, for: name, in: 0...(schedule.trainingSteps - 1), isEntry: isList)
        }
    }

    static let noise = Verb(
        "noise", "Forward diffusion: x_t = sqrt(alpha-bar_t) x_0 + sqrt(1 - alpha-bar_t) noise.", category: .diffusion,
        parameters: [
            .argument("x", .tensor, "clean samples x_0 [N, ...]"),
            .argument("schedule", .schedule, "the noise schedule"),
            .option("t", .any, default: nil, "the timestep, or one per item"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the noise's seed"),
        ],
        result: .tensor, example: "xt = noise (phantom n=2 seed=1).image (schedule) t=500 seed=3",
        randomness: .seeded(by: "seed")
    ) { call in
        let x = try call.tensor("x")
        guard x.rank >= 1, let count = x.shape.first else { throw call.error("x", "x needs a batch axis") }
        let schedule = try call.schedule("schedule")
        let steps = try timesteps(call, "t", count: count, schedule: schedule)
        let epsilon = try Tensor.randn(x.shape, random: try call.randomKey())
        return .tensor(try schedule.addNoise(to: x, noise: epsilon, timesteps: steps))
    }

    static func generatorArgument(_ call: VerbCall) throws -> any LatentGenerator {
        guard let generator = try call.model("model").wrapped as? any LatentGenerator else {
            throw call.error("model", "'\(call.verb.name)' needs a model that makes latents from noise", expected: "a model made by 'unet'")
        }
        return generator
    }

    /// The conditions given as `name`, one tensor per group (nil when left out).
    static func conditionParts(_ call: VerbCall, _ name: String) throws -> [Tensor]? {
        switch call.value(name) {
        case .list(let items):
            return try items.map { item in
                guard case .tensor(let tensor) = item else { throw call.error(name, "conditions are tensors", found: item.summary) }
                return tensor
            }
        case .tensor(let tensor): return [tensor]
        case .nothing: return nil
        case let other: throw call.error(name, "conditions are a tensor or a list of tensors", found: other.summary)
        }
    }

    /// The conditions of `count` samples as one tensor, its groups in the model's order.
    static func conditionTensor(_ call: VerbCall, _ name: String, for layout: ConditionLayout, count: Int?) throws -> Tensor {
        guard let parts = try conditionParts(call, name) else {
            throw call.error(name, "'\(call.verb.name)' needs the model's conditions", expected: "\(name)=[...] with \(layout.groupList)")
        }
        return try ModelVerbs.reportingModelInput(call) { try layout.condition(ordered: parts, count: count) }
    }

    static func groupNames(_ call: VerbCall, _ name: String, layout: ConditionLayout) throws -> Set<String>? {
        guard call.has(name) else { return nil }
        let names = try call.list(name).map(\.displayText)
        for group in names where !layout.names.contains(group) {
            throw call.error(name, "the model has no condition group '\(group)'",
                             expected: "some of \(layout.groups.map(\.name).joined(separator: ", "))",
                             hint: Suggestions.didYouMean(group, among: layout.names))
        }
        return Set(names)
    }

    static let diffuse = Verb(
        "diffuse", "Reverse diffusion: latents generated from noise for the given conditions.", category: .diffusion,
        parameters: [
            .argument("model", .model, "a trained UNet"),
            .option("cond", .any, default: nil, "the conditions, a list of tensors [N, C_i, H, W] in the order of the model's groups"),
            .option("steps", .integer(1...100_000), default: .number(50), "sampling steps"),
            .option("sampler", .choice(SamplerRegistry.all.map(\.name)), default: .nothing,
                    "ddim for a diffusion model and euler for a flow model when left out; "
                        + SamplerRegistry.all.map { "\($0.name): \($0.summary)" }.joined(separator: "; ")),
        ] + samplerOptions + [
            .option("spacing", .choice(["leading", "trailing", "linspace"]), default: .nothing,
                    "how the steps are spread over T; by default leading for ddim and ddpm, linspace for dpm2m, as diffusers"),
            .option("guidance", .number, default: .number(1), "the classifier-free guidance scale (1: the conditional model alone)"),
            .option("unconditional", .list, default: .nothing, "the groups dropped in guidance's unconditional pass; all when left out"),
            .option("keep", .list, default: .nothing, "step indices whose x_t and predicted x_0 to return as a trajectory"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the noise's seed"),
        ],
        result: .any, returns: "the latents, a tensor [N, C, h, w]; with keep= a record {sample, t, x, x0}", example: "z = diffuse net cond=[m, e] steps=50 seed=7",
        details: "Returns the latents [N, C, h, w]; with keep= a record {sample, t, x, x0} whose x and x0 stack the kept steps. "
            + "Shows its progress as it runs: steps done, steps a second and the time left.",
        randomness: .seeded(by: "seed")
    ) { call in
        let generator = try generatorArgument(call)
        let conditions = try conditionTensor(call, "cond", for: generator.conditionLayout, count: nil)
        let steps = try call.int("steps")
        let sampler = try samplerArgument(call, process: generator.process, steps: steps)
        let keep = Set(try call.integers("keep", in: 0...(steps - 1)))
        let random = try call.randomKey()
        let cancellation = call.context.cancellation
        let showProgress = call.context.stepProgress("sampling")
        defer { call.context.endProgress() }
        let result: SamplingResult
        do {
            result = try generator.sampleLatents(
                conditions: conditions, sampler: sampler, guidanceScale: Float(try call.double("guidance")),
                unconditional: try groupNames(call, "unconditional", layout: generator.conditionLayout), random: random,
                keepingSteps: keep, progress: showProgress, isCancelled: { cancellation.isCancelled })
        } catch SamplingError.cancelled(let done, let total) {
            throw RuntimeError("sampling stopped (Ctrl-C) after \(done) of \(total) steps", span: call.span)
        }
        guard call.has("keep") else { return .tensor(result.sample) }
        return .record(Record([
            ("sample", .tensor(result.sample)),
            ("t", .list(result.trajectory.map { .number($0.timestep) })),
            ("x", .tensor(try Tensor.stack(result.trajectory.map(\.sample)))),
            ("x0", .tensor(try Tensor.stack(result.trajectory.map(\.predictedOriginalSample)))),
        ]))
    }

    /// Every option of every sampler in the registry, as `diffuse` options that default to
    /// nothing (the sampler's own default applies), their help naming the sampler.
    static let samplerOptions: [Parameter] = SamplerRegistry.all.flatMap { description in
        description.options.map { option in
            let (kind, shown): (Parameter.Kind, String)
            switch option.defaultValue {
            case .number(let value): (kind, shown) = (.number, Value.format(value))
            case .flag(let value): (kind, shown) = (.bool, "\(value)")
            }
            return Parameter.option(option.name, kind, default: .nothing, "\(description.name): \(option.help) (default \(shown))")
        }
    }

    /// The sampler `diffuse` was asked for, made through the registry with the options given.
    static func samplerArgument(_ call: VerbCall, process: DenoisingProcess, steps: Int) throws -> any Sampler {
        let name = try call.optionalString("sampler") ?? (process.kind == .flow ? "euler" : "ddim")
        let description = SamplerRegistry.named(name)!
        if description.process == .flow, call.has("spacing") {
            throw call.error("spacing", "\(description.name) takes no spacing: its steps are spread by its shift")
        }
        var options: [String: SamplerOption.Value] = [:]
        for description in SamplerRegistry.all {
            for option in description.options where call.has(option.name) {
                options[option.name] = option.kind == .flag ? .flag(try call.bool(option.name)) : .number(try call.double(option.name))
            }
        }
        var spacing: TimestepSpacing?
        if call.has("spacing") {
            switch try call.string("spacing") {
            case "trailing": spacing = .trailing
            case "linspace": spacing = .linspace
            default: spacing = .leading()
            }
        }
        do {
            return try description.sampler(
                process: process, steps: steps, spacing: spacing, options: options)
        } catch SamplingError.invalidOption(_, let message) {
            // Left out, the sampler is the model's default: say which, rather than "nothing".
            throw call.error("sampler", "\(description.name): \(message)",
                             found: call.has("sampler") ? nil : "\(description.name), the default for a \(process.kind) model")
        }
    }

    static let denoise = Verb(
        "denoise", "One reverse step from x_t at timestep t: the DDPM posterior sample, and the predicted x_0.",
        category: .diffusion,
        parameters: [
            .argument("model", .model, "a UNet"),
            .argument("x", .tensor, "noisy latents x_t [N, C, h, w]"),
            .option("t", .any, default: nil, "the timestep of x_t"),
            .option("cond", .any, default: nil, "the conditions, as for diffuse"),
            .option("guidance", .number, default: .number(1), "the classifier-free guidance scale"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the step noise's seed"),
        ],
        result: .record, example: "step = denoise net xt t=500 cond=[m, e]",
        details: "Returns {sample: x_(t-1), x0: the predicted x_0, output: the model's raw output}.",
        randomness: .seeded(by: "seed")
    ) { call in
        let generator = try generatorArgument(call)
        guard case .diffusion(let schedule, let prediction) = generator.process else {
            throw call.error("model", "denoise takes one DDPM step of a diffusion model, and this is a flow-matching model",
                             hint: "sample it with 'diffuse' (sampler=euler)")
        }
        let x = try call.tensor("x")
        guard x.rank == 4 else { throw call.error("x", "x_t is a batch [N, C, h, w]", found: "a tensor of shape \(x.shape)") }
        let conditions = try conditionTensor(call, "cond", for: generator.conditionLayout, count: x.shape[0])
        let steps = try timesteps(call, "t", count: x.shape[0], schedule: schedule)
        guard Set(steps).count == 1 else { throw call.error("t", "one step takes one timestep for the whole batch") }
        let output = try generator.guidedPrediction(
            latent: x, condition: conditions, timesteps: steps.map(Double.init), scale: Float(try call.double("guidance")))
        let sampler = try DDPMSampler(schedule: schedule, prediction: prediction)
        let noise = steps[0] > 0 ? try Tensor.randn(x.shape, random: try call.randomKey()) : nil
        let step = try sampler.step(modelOutput: output, timestep: steps[0], sample: x, noise: noise)
        return .record(Record([
            ("sample", .tensor(step.previousSample)), ("x0", .tensor(step.predictedOriginalSample)), ("output", .tensor(output)),
        ]))
    }
}
