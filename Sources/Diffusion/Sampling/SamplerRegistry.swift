/// The samplers medsynth offers, each described once: its name, what it does, its options. The
/// `diffuse` verb's `sampler=` choices, its per-sampler options, their checks and their help all
/// come from here, so a new sampler is its own file plus one line in `all`.
public enum SamplerRegistry {
    public static let all: [SamplerDescription] = [
        DDIMSampler.description,
        DDPMSampler.description,
        DPMSolverMultistepSampler.description,
        FlowMatchEulerSampler.description,
    ]

    /// The sampler called `name`, or nil.
    public static func named(_ name: String) -> SamplerDescription? {
        all.first { $0.name == name }
    }
}

/// How a model turns noise into data, which decides the samplers that can run it.
public enum GenerativeProcess: String, Sendable, Equatable {
    /// A diffusion model: a noise schedule, and a prediction of ε, x_0 or v at integer timesteps.
    case diffusion
    /// A flow-matching model: a velocity along the straight path from data to noise.
    case flow
}

/// One sampler as the registry lists it.
public struct SamplerDescription: Sendable {
    /// The word that chooses it: `diffuse ... sampler=ddim`.
    public let name: String
    /// One line: what it is.
    public let summary: String
    /// The kind of model it samples.
    public let process: GenerativeProcess
    /// The options it takes beyond the step count and spacing every sampler takes.
    public let options: [SamplerOption]
    /// Makes the sampler for a request whose options have been checked against `options`.
    public let make: @Sendable (SamplerRequest) throws -> any Sampler

    public init(name: String, summary: String, process: GenerativeProcess = .diffusion, options: [SamplerOption] = [],
                make: @escaping @Sendable (SamplerRequest) throws -> any Sampler) {
        self.name = name
        self.summary = summary
        self.process = process
        self.options = options
        self.make = make
    }

    /// Checks the process (a diffusion sampler runs diffusion models only) and the options given
    /// (refusing one the sampler does not have, or a value out of its range) and makes the sampler.
    public func sampler(
        process model: DenoisingProcess, steps: Int, spacing: TimestepSpacing?,
        options given: [String: SamplerOption.Value]
    ) throws -> any Sampler {
        guard model.kind == process else {
            let fitting = SamplerRegistry.all.filter { $0.process == model.kind }.map(\.name)
            throw SamplingError.invalidOption(
                sampler: name, message: "it samples \(process) models, but this is a \(model.kind) model (use \(fitting.joined(separator: ", ")))")
        }
        for (option, value) in given.sorted(by: { $0.key < $1.key }) {
            guard let declared = options.first(where: { $0.name == option }) else {
                let owners = SamplerRegistry.all.filter { $0.options.contains { $0.name == option } }.map(\.name)
                throw SamplingError.invalidOption(
                    sampler: name, message: "\(option) is an option of \(owners.joined(separator: " and ")), not of \(name)")
            }
            try declared.check(value, sampler: name)
        }
        var values = Dictionary(uniqueKeysWithValues: options.map { ($0.name, $0.defaultValue) })
        values.merge(given) { $1 }
        return try make(SamplerRequest(process: model, steps: steps, spacing: spacing, options: values))
    }
}

/// An option of one sampler.
public struct SamplerOption: Sendable {
    public enum Kind: Sendable, Equatable {
        case number(ClosedRange<Double>)
        case flag
    }

    public enum Value: Sendable, Equatable {
        case number(Double)
        case flag(Bool)
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: Value
    public let help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: Value, _ help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    func check(_ value: Value, sampler: String) throws {
        switch (kind, value) {
        case (.number(let range), .number(let number)) where range.contains(number): return
        case (.number(let range), .number(let number)):
            throw SamplingError.invalidOption(sampler: sampler, message: "\(name) must be in \(range.lowerBound)...\(range.upperBound), not \(number)")
        case (.flag, .flag): return
        default:
            throw SamplingError.invalidOption(sampler: sampler, message: "\(name) takes \(kind == .flag ? "true or false" : "a number")")
        }
    }
}

/// What a sampler is made from: the model's process (for diffusion, its schedule and
/// prediction), the step count, the spacing asked for (nil: the sampler's own default), and every
/// option's value.
public struct SamplerRequest: Sendable {
    public let process: DenoisingProcess
    public let steps: Int
    public let spacing: TimestepSpacing?
    public let options: [String: SamplerOption.Value]

    /// The diffusion model's schedule: `SamplerDescription.sampler` hands a diffusion sampler
    /// diffusion models only.
    public var schedule: NoiseSchedule {
        guard case .diffusion(let schedule, _) = process else { preconditionFailure("a diffusion sampler was handed a flow model") }
        return schedule
    }

    /// The diffusion model's prediction (see `schedule`).
    public var prediction: Prediction {
        guard case .diffusion(_, let prediction) = process else { preconditionFailure("a diffusion sampler was handed a flow model") }
        return prediction
    }

    public func number(_ name: String) -> Double {
        if case .number(let value)? = options[name] { return value }
        preconditionFailure("the sampler option \(name) is not a declared number")
    }

    public func flag(_ name: String) -> Bool {
        if case .flag(let value)? = options[name] { return value }
        preconditionFailure("the sampler option \(name) is not a declared flag")
    }
}
