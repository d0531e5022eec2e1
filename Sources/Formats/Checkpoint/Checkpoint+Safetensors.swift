import Engine

/// Checkpoints in safetensors: each parameter a F32 tensor named by its path, in the model's
/// order (the order of their data, which is how they are read back), and in `__metadata__`:
///
/// - `config.<key>`: a configuration entry, as it is;
/// - `meta.<key>`: a metadata entry as JSON-like text: `42` (integer), `0.001`, `1e-05`, `nan`,
///   `-inf` (double: Swift's shortest text that reads back to the same number, which always has
///   a `.`, an exponent or a letter), `"a note"` (string, quoted and escaped as JSON).
///
/// A file written elsewhere (by PyTorch, say) loads too: its tensors become parameters, F16 or
/// BF16 converted to Float32, and `__metadata__` keys without either prefix go to the
/// configuration unchanged.
extension Checkpoint {
    func writeSafetensors(to path: String) throws {
        var fileMetadata: [String: String] = [:]
        for (key, value) in configuration { fileMetadata["config." + key] = value }
        for (key, value) in metadata { fileMetadata["meta." + key] = Checkpoint.encode(value) }
        try SafetensorsFile.write(parameters.map { ($0.path, $0.tensor) }, metadata: fileMetadata, to: path)
    }

    static func readSafetensors(_ path: String) throws -> Checkpoint {
        let file = try SafetensorsFile(reading: path)
        var configuration: [String: String] = [:]
        var metadata: [String: CheckpointValue] = [:]
        var foreign: [String: String] = [:]
        for (key, value) in file.metadata {
            if key.hasPrefix("config.") {
                configuration[String(key.dropFirst("config.".count))] = value
            } else if key.hasPrefix("meta.") {
                guard let decoded = decode(value) else {
                    throw FormatError(file: path, object: "__metadata__ \"\(key)\"", "value \(value) is not an integer, a double or a quoted string")
                }
                metadata[String(key.dropFirst("meta.".count))] = decoded
            } else {
                foreign[key] = value
            }
        }
        for (key, value) in foreign {
            guard configuration[key] == nil else {
                throw FormatError(file: path, object: "__metadata__ \"\(key)\"", "appears both as \"\(key)\" and as \"config.\(key)\"")
            }
            configuration[key] = value
        }
        return try assemble(path, try file.tensors().map { ($0.name, $0.tensor) }, configuration, metadata)
    }

    /// A metadata value as text.
    static func encode(_ value: CheckpointValue) -> String {
        switch value {
        case .integer(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): JSONValue.string(text).serialized
        }
    }

    /// A metadata value from its text, or nil if the text is none of the three forms.
    static func decode(_ text: String) -> CheckpointValue? {
        if text.hasPrefix("\"") {
            guard case .string(let string)? = try? JSONParser.parse(Array(text.utf8)) else { return nil }
            return .string(string)
        }
        if let integer = Int(text) { return .integer(integer) }
        // Double(_:) also reads "inf" and "nan", which JSON lacks; an integer too large for Int
        // would read as a double, so an integer's text must contain a '.', an 'e' or a letter.
        if text.contains(where: { $0 == "." || $0.isLetter }), let double = Double(text) { return .double(double) }
        return nil
    }
}
