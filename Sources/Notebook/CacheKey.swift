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
    /// The name of its random stream (cell label and binding, not position), or empty when it
    /// draws no numbers from it (every verb that could is given its seed).
    public var random: String
    /// The notebook's seed and default tolerances.
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

/// What the runner learns of a statement from its syntax: the verbs it applies and the files
/// it reads.
struct StatementSyntax {
    var verbs: Set<String> = []
    /// Literal paths given to `path` parameters.
    var paths: [String] = []
    /// Whether some path parameter gets a computed value (its file cannot be hashed in advance).
    var hasComputedPath = false
    /// Whether it may draw random numbers from its statement's stream: it applies a verb that
    /// takes a seed without giving one, or a function written in medsynth (whose body may).
    var drawsFromItsStream = false

    init(_ statement: Statement, registry: VerbRegistry, functions: Set<String>) {
        visit(statement, registry: registry, functions: functions)
    }

    private mutating func visit(_ statement: Statement, registry: VerbRegistry, functions: Set<String>) {
        switch statement {
        case .binding(_, _, let value, _), .expression(let value, _), .expect(let value, _):
            visit(value, registry: registry, functions: functions)
        case .function(let definition):
            for parameter in definition.parameters { if let value = parameter.defaultValue { visit(value, registry: registry, functions: functions) } }
            for inner in definition.body { visit(inner, registry: registry, functions: functions) }
        case .loop(_, _, let sequence, let body, _):
            visit(sequence, registry: registry, functions: functions)
            for inner in body { visit(inner, registry: registry, functions: functions) }
        }
    }

    private mutating func visit(_ expression: Language.Expression, registry: VerbRegistry, functions: Set<String>) {
        switch expression {
        case .number, .percent, .string, .bool: break
        case .name(let name, _):
            // A verb named alone is applied with no arguments: `(autoencoder)`. (A value bound
            // under a verb's name counts too; that only costs a cache entry shared less.)
            if !functions.contains(name), let verb = registry[name] {
                verbs.insert(verb.name)
                if verb.parameters.contains(where: { $0.name == "seed" }) { drawsFromItsStream = true }
            }
        case .list(let items, _): for item in items { visit(item, registry: registry, functions: functions) }
        case .record(let fields, _): for field in fields { visit(field.value, registry: registry, functions: functions) }
        case .range(let a, let b, _), .binary(_, let a, let b, _):
            visit(a, registry: registry, functions: functions)
            visit(b, registry: registry, functions: functions)
        case .approximately(let a, let b, let tolerance, _):
            visit(a, registry: registry, functions: functions)
            visit(b, registry: registry, functions: functions)
            if let tolerance { visit(tolerance, registry: registry, functions: functions) }
        case .unary(_, let operand, _), .field(let operand, _, _):
            visit(operand, registry: registry, functions: functions)
        case .index(let base, let components, _):
            visit(base, registry: registry, functions: functions)
            for component in components {
                switch component {
                case .at(let position): visit(position, registry: registry, functions: functions)
                case .slice(let start, let end, let step):
                    for bound in [start, end, step].compactMap({ $0 }) { visit(bound, registry: registry, functions: functions) }
                }
            }
        case .application(let application):
            for argument in application.arguments { visit(argument, registry: registry, functions: functions) }
            for option in application.options { visit(option.value, registry: registry, functions: functions) }
            guard !functions.contains(application.callee), let verb = registry[application.callee] else {
                drawsFromItsStream = true
                return
            }
            verbs.insert(verb.name)
            if verb.parameters.contains(where: { $0.name == "seed" }), !application.options.contains(where: { $0.name == "seed" }) {
                drawsFromItsStream = true
            }
            let positional = verb.positionalParameters
            for (parameter, argument) in zip(positional, application.arguments) where parameter.kind.isPath {
                note(argument)
            }
            for option in application.options where verb.parameters.first(where: { $0.name == option.name })?.kind.isPath == true {
                note(option.value)
            }
        }
    }

    private mutating func note(_ argument: Language.Expression) {
        if case .string(let path, _) = argument { paths.append(path) } else { hasComputedPath = true }
    }
}

extension Parameter.Kind {
    var isPath: Bool {
        if case .path = self { return true }
        return false
    }
}
