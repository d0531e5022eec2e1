import Formats
import Foundation
import Language

/// Everything a statement's result depends on. Its SHA-256 is the statement's cache key; kept
/// beside the entry, it lets `medsynth why` say which part changed.
public struct KeyParts: Codable, Sendable, Equatable {
    /// The statement in canonical form: layout and comments do not count.
    public var statement: String
    /// The declared defaults of the verbs it applies (its options as resolved).
    public var defaults: [String]
    /// For each name it reads, the key of the statement that bound it.
    public var inputs: [String: String]
    /// For each file it reads, the SHA-256 of its contents.
    public var files: [String: String]
    /// The notebook's seed and the name of its random stream (cell label and binding, not
    /// position), or empty when it draws no numbers from it (every verb that could is given its
    /// seed): so a new seed recomputes only what draws.
    public var random: String
    /// The notebook's default tolerances when it compares with `~` and no `+-`, else empty.
    public var settings: String
    /// The engine and cache format.
    public var engine: String

    public var key: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hex(bytes: (try? encoder.encode(self)) ?? Data())
    }

    /// The parts that differ from `other`, described for `medsynth why`.
    public func differences(from other: KeyParts) -> [String] {
        var changes: [String] = []
        if statement != other.statement { changes.append("the statement changed: was `\(other.statement)`, is `\(statement)`") }
        if defaults != other.defaults { changes.append("a verb's defaults changed: \(other.defaults) -> \(defaults)") }
        for name in Set(inputs.keys).union(other.inputs.keys).sorted() where inputs[name] != other.inputs[name] {
            changes.append("the input '\(name)' changed (its statement or one it depends on was edited or recomputed)")
        }
        for file in Set(files.keys).union(other.files.keys).sorted() where files[file] != other.files[file] {
            changes.append("the file \(file) changed")
        }
        if random != other.random { changes.append("its random stream changed: \(other.random) -> \(random)") }
        if settings != other.settings { changes.append("the notebook's settings changed: \(other.settings) -> \(settings)") }
        if engine != other.engine { changes.append("the engine changed: \(other.engine) -> \(engine)") }
        return changes
    }
}
