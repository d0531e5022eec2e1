import Engine

/// One verb of the language, declared once: help, completion, argument checking, the reference
/// page and evaluation all read this declaration.
public struct Verb: Sendable {
    public var name: String
    /// One line: what the verb does.
    public var summary: String
    /// More detail for `:help`, or empty.
    public var details: String
    /// A statement that uses the verb; docs/verbs.md shows it and a test runs it.
    public var example: String
    public var category: Category
    public var parameters: [Parameter]
    public var result: ValueType
    /// What it returns, in words, where the type alone does not say (`result` is `.any`): "a
    /// tensor, or a record of tensors for a scan record".
    public var returns: String?
    /// Whether the verb acts on the world (writes a file, prints): a statement that applies it
    /// runs every time, never from a cache.
    public var hasSideEffects: Bool
    /// Whether the verb draws random numbers, and which option gives its seed.
    public var randomness: Randomness
    /// Evaluates a checked call.
    public var run: @Sendable (inout VerbCall) throws -> Value

    /// How a verb draws random numbers. A verb that draws declares it, so that the analyser
    /// knows which statements draw (their cache keys name their random stream) without running
    /// them; `VerbCall.seed()` refuses a verb that did not.
    public enum Randomness: Sendable, Equatable {
        /// It draws none.
        case none
        /// It draws from the stream its statement derives, unless the option of this name
        /// gives a seed.
        case seeded(by: String)
    }

    public enum Category: String, Sendable, CaseIterable {
        case data = "Data and files"
        case imaging = "Images, edges and masks"
        case tasks = "Degradations and baselines (Med-cDiff's tasks)"
        case diffusion = "Diffusion"
        case models = "Models and training"
        case display = "Showing and measuring"
        case evaluation = "Evaluation: metrics with intervals, comparisons, memorisation"
        case values = "Numbers, lists and tensors"
    }

    public init(
        _ name: String, _ summary: String, category: Category, parameters: [Parameter] = [],
        result: ValueType, returns: String? = nil, example: String, details: String = "", hasSideEffects: Bool = false,
        randomness: Randomness = .none, run: @escaping @Sendable (inout VerbCall) throws -> Value
    ) {
        self.name = name
        self.summary = summary
        self.details = details
        self.example = example
        self.category = category
        self.parameters = parameters
        self.result = result
        self.returns = returns
        self.hasSideEffects = hasSideEffects
        self.randomness = randomness
        self.run = run
    }

    public var positionalParameters: [Parameter] { parameters.filter { $0.isPositional } }
    public var options: [Parameter] { parameters.filter { !$0.isPositional } }

    /// "edges image sigma=1 low=0.1 high=0.2".
    public var usage: String {
        var parts = [name]
        for parameter in parameters {
            if parameter.isPositional {
                let base = parameter.isVariadic ? "\(parameter.name)..." : parameter.name
                parts.append(parameter.isRequired ? base : "[\(base)]")
            } else {
                parts.append("\(parameter.name)=\(parameter.defaultValue.map(Self.spell) ?? "…")")
            }
        }
        return parts.joined(separator: " ")
    }

    /// What it returns: the words given, or its type.
    public var returnText: String { returns ?? result.article }

    /// The text `:help verb` prints.
    public var help: String {
        var lines = ["\(usage)", "", summary]
        if !details.isEmpty { lines += ["", details] }
        if !parameters.isEmpty {
            lines.append("")
            let width = parameters.map(\.name.count).max() ?? 0
            let kindWidth = parameters.map(\.kind.description.count).max() ?? 0
            for parameter in parameters {
                let name = parameter.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let kind = parameter.kind.description.padding(toLength: kindWidth, withPad: " ", startingAt: 0)
                lines.append("  \(name)  \(kind)  \(parameter.help)")
            }
        }
        lines += ["", "returns: \(returnText)", "example: \(example)"]
        return lines.joined(separator: "\n")
    }

    static func spell(_ value: Value) -> String {
        switch value {
        case .string(let text): return "\"\(text)\""
        case .nothing: return "none"
        default: return value.inlineText
        }
    }
}

/// A positional argument or an option of a verb.
public struct Parameter: Sendable {
    public var name: String
    public var kind: Kind
    public var isPositional: Bool
    /// A positional parameter that takes all remaining positional arguments.
    public var isVariadic: Bool
    /// The value when the caller gives none; nil for required parameters, `.nothing` for optional
    /// ones that have no default.
    public var defaultValue: Value?
    public var help: String

    /// What a parameter accepts.
    public enum Kind: Sendable, CustomStringConvertible {
        case number
        case integer(ClosedRange<Int>)
        case string
        case bool
        case tensor
        case list
        case model
        case schedule
        case any
        /// One of these words, written as a bare name or a string: `kind=kl`.
        case choice([String])
        /// A path to a file.
        case path
        /// A path with wildcards, naming files found when the verb runs.
        case pattern
        /// A folder whose files the verb finds when it runs.
        case folder
        /// A file the verb writes as it runs (and may read back): its contents are an outcome of
        /// the statement, not an input, so they do not key it.
        case output

        public var type: ValueType {
            switch self {
            case .number, .integer: return .number
            case .string, .choice, .path, .pattern, .folder, .output: return .string
            case .bool: return .bool
            case .tensor: return .tensor
            case .list: return .list
            case .model: return .model
            case .schedule: return .schedule
            case .any: return .any
            }
        }

        public var description: String {
            switch self {
            case .integer(let range):
                if range.upperBound == Int.max { return range.lowerBound == 0 ? "integer >= 0" : "integer >= \(range.lowerBound)" }
                return "integer \(range.lowerBound)...\(range.upperBound)"
            case .choice(let words): return words.joined(separator: "|")
            case .path: return "path"
            case .pattern: return "pattern"
            case .folder: return "folder"
            case .output: return "path"
            default: return type.rawValue
            }
        }
    }

    public var isRequired: Bool { defaultValue == nil && !isVariadic }

    /// A required positional argument.
    public static func argument(_ name: String, _ kind: Kind, _ help: String) -> Parameter {
        Parameter(name: name, kind: kind, isPositional: true, isVariadic: false, defaultValue: nil, help: help)
    }

    /// A positional argument that may be left out.
    public static func optionalArgument(_ name: String, _ kind: Kind, default value: Value = .nothing, _ help: String) -> Parameter {
        Parameter(name: name, kind: kind, isPositional: true, isVariadic: false, defaultValue: value, help: help)
    }

    /// All remaining positional arguments, as a list.
    public static func arguments(_ name: String, _ kind: Kind, _ help: String) -> Parameter {
        Parameter(name: name, kind: kind, isPositional: true, isVariadic: true, defaultValue: nil, help: help)
    }

    /// `name=value`; `default` nil makes the option required, `.nothing` optional without default.
    public static func option(_ name: String, _ kind: Kind, default value: Value?, _ help: String) -> Parameter {
        Parameter(name: name, kind: kind, isPositional: false, isVariadic: false, defaultValue: value, help: help)
    }
}
