import Engine

/// safetensors in the registry: a file read as a model checkpoint when its metadata names a
/// model kind (`config.model`, as medsynth writes one), else as its tensors by name; a tensor,
/// tensors by name or a checkpoint written (see `SafetensorsFile`, and
/// `Checkpoint+Safetensors.swift` for how a checkpoint lays itself out).
public struct SafetensorsFormat: FileFormat {
    /// The format; `FormatRegistry.all` holds the one medsynth uses.
    public init() {}

    public var name: String { "safetensors" }
    public var extensions: [String] { ["safetensors"] }
    public var capabilities: FormatCapabilities {
        FormatCapabilities(reads: [.tensors, .checkpoint], writes: [.tensor, .tensors, .checkpoint])
    }
    public var reading: String { "a model, when its metadata names one (as save writes it), else its tensors by name, in the order of their data" }

    /// The metadata key that names a checkpoint's model kind.
    static let modelKey = "config.model"
    public var writing: String { "a tensor (named \"data\"), tensors by name, or a model checkpoint" }

    /// The name a lone tensor is written under.
    public static let tensorName = "data"

    /// An 8-byte little-endian header length of at least 2 (the shortest JSON object, "{}")
    /// followed by the header's opening "{".
    public func matches(header: [UInt8]) -> Bool {
        guard header.count >= 9, header[8] == UInt8(ascii: "{") else { return false }
        let length = header[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return length >= 2
    }

    public func read(_ path: String, options: ReadOptions) throws -> FormatValue {
        let file = try SafetensorsFile(reading: path)
        if file.metadata[SafetensorsFormat.modelKey] != nil { return .checkpoint(try Checkpoint.readSafetensors(path)) }
        return .tensors(try file.tensors())
    }

    public func write(_ value: FormatValue, to path: String, options: WriteOptions) throws {
        switch value {
        case .tensor(let tensor): try SafetensorsFile.write([(SafetensorsFormat.tensorName, tensor)], to: path)
        case .tensors(let tensors): try SafetensorsFile.write(tensors, to: path)
        case .checkpoint(let checkpoint): try checkpoint.writeSafetensors(to: path)
        case .text: throw cannotWrite(value, to: path)
        }
    }
}
