import Engine
import Formats

extension ConditionalUNet {
    /// The checkpoint configuration's value of "model" for a conditional UNet.
    public static let checkpointKind = "conditional-unet"

    /// Every key needed to rebuild this model: the condition groups (name, channels, drop
    /// probability), the condition encoder's sizes and the UNet's configuration.
    public var checkpointConfiguration: [String: String] {
        var entries = unet.checkpointEntries
        entries["model"] = Self.checkpointKind
        entries["conditions"] = layout.groups.map { "\($0.name):\($0.channels):\($0.dropProbability)" }.joined(separator: ",")
        if let encoder {
            entries["encodedConditionChannels"] = "\(encoder.outputChannels)"
            entries["encoderWidth"] = "\(encoder.inputConv.weight.shape[0])"
            entries["downsamplingFactor"] = "\(encoder.downsamplingFactor)"
        } else {
            entries["encoder"] = "none"
        }
        return entries
    }

    /// The model a checkpoint describes, with its parameters. The error names the first key
    /// that is missing or malformed, or the first parameter that does not fit.
    public convenience init(checkpoint: Checkpoint) throws {
        let entries = CheckpointEntries(checkpoint.configuration)
        try entries.requireModel(Self.checkpointKind)
        let groups = try entries.string("conditions").split(separator: ",").map { part -> ConditionGroup in
            let fields = part.split(separator: ":")
            guard fields.count == 3, let channels = Int(fields[1]), let drop = Float(fields[2]) else {
                throw CheckpointError(parameter: nil, "configuration \"conditions\" has the malformed group \"\(part)\"")
            }
            return ConditionGroup(name: String(fields[0]), channels: channels, dropProbability: drop)
        }
        let layout = try ConditionLayout(groups)
        let backbone = try BackboneConfiguration(entries)
        // The encoder's sizes, unless the condition goes in as it is.
        let encoderSizes = entries.entries["encoder"] == "none" ? nil : (
            outputChannels: try entries.number("encodedConditionChannels", as: Int.self),
            downsamplingFactor: try entries.number("downsamplingFactor", as: Int.self),
            width: try entries.number("encoderWidth", as: Int.self))
        let encoderParameters = encoderSizes.map {
            ConditionEncoder.parameterCount(inputChannels: layout.channels, outputChannels: $0.outputChannels,
                                            downsamplingFactor: $0.downsamplingFactor, width: $0.width)
        } ?? 0
        try ModelSize.requireCheckpoint(checkpoint, holds: encoderParameters + backbone.parameterCount, model: "a conditional UNet")
        var unused = RandomStream(seed: 0)
        let encoder = try encoderSizes.map {
            try ConditionEncoder(inputChannels: layout.channels, outputChannels: $0.outputChannels,
                                 downsamplingFactor: $0.downsamplingFactor, width: $0.width, random: &unused)
        }
        try self.init(layout: layout, encoder: encoder, unet: try backbone.make(random: &unused))
        try checkpoint.load(into: self)
    }
}

/// The architecture of a checkpoint's UNet: medsynth's own when "backbone" is absent (every
/// checkpoint written before there were two), else the one it names, with its configuration.
enum BackboneConfiguration {
    case medsynth(UNet.Configuration)
    case diffusers(DiffusersUNet.Configuration)

    init(_ entries: CheckpointEntries) throws {
        switch entries.entries["backbone"] {
        case nil:
            let configuration = try UNet.Configuration(checkpointEntries: entries)
            try configuration.validate()
            self = .medsynth(configuration)
        case DiffusersUNet.checkpointBackbone:
            let json = try CheckpointEntries.json(entries.string("backbone.config"), key: "backbone.config")
            self = .diffusers(try DiffusersUNet.Configuration(entries: json, source: "configuration \"backbone.config\""))
        case let other?:
            throw CheckpointError(parameter: nil, "configuration \"backbone\" is \"\(other)\", expected \(DiffusersUNet.checkpointBackbone) or none")
        }
    }

    var parameterCount: Double {
        switch self {
        case .medsynth(let configuration): configuration.parameterCount
        case .diffusers(let configuration): configuration.parameterCount
        }
    }

    func make(random: inout RandomStream) throws -> any DenoisingBackbone {
        switch self {
        case .medsynth(let configuration): try UNet(configuration, random: &random)
        case .diffusers(let configuration): try DiffusersUNet(configuration, random: &random)
        }
    }
}

extension UNet.Configuration {
    /// The sizes as checkpoint configuration entries.
    var checkpointEntries: [String: String] {
        [
            "inputChannels": "\(inputChannels)", "outputChannels": "\(outputChannels)",
            "widths": widths.map(String.init).joined(separator: ","), "blocksPerLevel": "\(blocksPerLevel)",
            "attentionHeads": "\(attentionHeads)", "groups": "\(groups)",
            "timeEmbeddingWidth": "\(timeEmbeddingWidth)", "dropout": "\(dropout)",
        ]
    }

    /// The sizes `checkpointEntries` wrote.
    init(checkpointEntries entries: CheckpointEntries) throws {
        let widths = try entries.string("widths").split(separator: ",").map { part -> Int in
            guard let width = Int(part) else { throw CheckpointError(parameter: nil, "configuration \"widths\" is malformed") }
            return width
        }
        self.init(
            inputChannels: try entries.number("inputChannels", as: Int.self),
            outputChannels: try entries.number("outputChannels", as: Int.self), widths: widths,
            blocksPerLevel: try entries.number("blocksPerLevel", as: Int.self),
            attentionHeads: try entries.number("attentionHeads", as: Int.self), groups: try entries.number("groups", as: Int.self),
            timeEmbeddingWidth: try entries.number("timeEmbeddingWidth", as: Int.self),
            dropout: try entries.number("dropout", as: Float.self, "in [0, 1]") { 0 <= $0 && $0 <= 1 })
    }
}

extension NoiseSchedule {
    /// The schedule as checkpoint configuration entries, under "schedule.*".
    public var checkpointConfiguration: [String: String] {
        var entries = ["schedule.trainingSteps": "\(trainingSteps)", "schedule.zeroTerminalSNR": "\(zeroTerminalSNR)"]
        switch kind {
        case .linear(let start, let end):
            entries["schedule.kind"] = "linear"
            entries["schedule.betaStart"] = "\(start)"
            entries["schedule.betaEnd"] = "\(end)"
        case .scaledLinear(let start, let end):
            entries["schedule.kind"] = "scaled-linear"
            entries["schedule.betaStart"] = "\(start)"
            entries["schedule.betaEnd"] = "\(end)"
        case .cosine:
            entries["schedule.kind"] = "cosine"
        }
        return entries
    }

    /// The schedule that `checkpointConfiguration` wrote.
    public init(checkpointConfiguration configuration: [String: String]) throws {
        let entries = CheckpointEntries(configuration)
        let kind: Kind
        switch try entries.string("schedule.kind") {
        case "linear":
            kind = .linear(betaStart: try entries.number("schedule.betaStart", as: Double.self),
                           betaEnd: try entries.number("schedule.betaEnd", as: Double.self))
        case "scaled-linear":
            kind = .scaledLinear(betaStart: try entries.number("schedule.betaStart", as: Double.self),
                                 betaEnd: try entries.number("schedule.betaEnd", as: Double.self))
        case "cosine":
            kind = .cosine
        case let other:
            throw CheckpointError(parameter: nil, "configuration \"schedule.kind\" is \"\(other)\", expected linear, scaled-linear or cosine")
        }
        try self.init(kind, trainingSteps: try entries.number("schedule.trainingSteps", as: Int.self),
                      zeroTerminalSNR: try entries.number("schedule.zeroTerminalSNR", as: Bool.self))
    }
}

/// Reads typed values from a checkpoint's configuration, naming the key that is missing or
/// malformed.
struct CheckpointEntries {
    let entries: [String: String]

    init(_ entries: [String: String]) {
        self.entries = entries
    }

    /// The JSON value an entry holds (an architecture's own configuration).
    static func json(_ text: String, key: String) throws -> JSONValue {
        do {
            return try JSONValue.parse(Array(text.utf8))
        } catch {
            throw CheckpointError(parameter: nil, "configuration \"\(key)\" is not JSON: \(error)")
        }
    }

    func requireModel(_ kind: String) throws {
        guard entries["model"] == kind else {
            throw CheckpointError(parameter: nil, "configuration \"model\" is \(entries["model"].map { "\"\($0)\"" } ?? "missing"), not \"\(kind)\"")
        }
    }

    func string(_ key: String) throws -> String {
        guard let text = entries[key] else { throw CheckpointError(parameter: nil, "configuration \"\(key)\" is missing") }
        return text
    }

    func number<Value: LosslessStringConvertible>(_ key: String, as: Value.Type) throws -> Value {
        guard let text = entries[key], let value = Value(text) else {
            let expected = Value.self == Bool.self ? "true or false" : "a number"
            throw CheckpointError(parameter: nil, "configuration \"\(key)\" is \(entries[key].map { "\"\($0)\"" } ?? "missing"), expected \(expected)")
        }
        return value
    }

    /// A floating-point entry that must be finite and satisfy `isValid`, described by
    /// `expected` ("in [0, 1)"): a file that says "nan" or "inf" is refused here, not met
    /// later as NaN images.
    func number<Value: BinaryFloatingPoint & LosslessStringConvertible>(
        _ key: String, as type: Value.Type, _ expected: String, _ isValid: (Value) -> Bool
    ) throws -> Value {
        let value = try number(key, as: type)
        guard value.isFinite, isValid(value) else {
            throw CheckpointError(parameter: nil, "configuration \"\(key)\" is \"\(entries[key] ?? "")\", expected a finite number \(expected)")
        }
        return value
    }
}
