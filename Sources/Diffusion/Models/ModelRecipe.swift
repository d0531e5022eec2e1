import Engine

/// How a kind of model is made fresh: the verb that makes it, that verb's options, and the
/// construction. A kind that has a recipe (`DiffusionModel.recipe`) gets its verb with no code in
/// the language: the language turns each option into a verb option of the same name, checks and
/// converts what was written by the option's kind, adds `seed=` for the initial weights, and
/// hands the values to `make`.
public struct ModelRecipe: Sendable {
    /// The verb, e.g. "segmenter".
    public let verb: String
    /// One line: what the verb makes.
    public let summary: String
    /// More for `:help`, or empty.
    public let details: String
    /// A statement that uses the verb (docs/verbs.md shows it, a test runs it).
    public let example: String
    /// The verb's options, in the order help lists them.
    public let options: [ModelOption]
    /// The model, from the options' values and the stream of its initial weights.
    public let make: @Sendable (_ options: ModelOptionValues, _ random: inout RandomStream) throws -> any DiffusionModel

    public init(
        verb: String, summary: String, details: String = "", example: String, options: [ModelOption],
        make: @escaping @Sendable (_ options: ModelOptionValues, _ random: inout RandomStream) throws -> any DiffusionModel
    ) {
        self.verb = verb
        self.summary = summary
        self.details = details
        self.example = example
        self.options = options
        self.make = make
    }
}

/// One option of a recipe.
public struct ModelOption: Sendable {
    /// What an option accepts, checked by the language before `make` sees it.
    public enum Kind: Sendable, Equatable {
        /// A whole number in the range.
        case integer(ClosedRange<Int>)
        /// Any number.
        case number
        /// One of these words.
        case choice([String])
        /// Layer widths, finest first: whole numbers in `ModelOption.widths`, as many as `levels`.
        case widths(levels: ClosedRange<Int>)
        /// Condition groups: a channel count (one group named "condition") or a record of named
        /// groups and their channel counts ({mask: 4, edges: 1}), each in
        /// `ModelOption.conditionChannels`.
        case conditionGroups
        /// A noise schedule.
        case schedule
    }

    /// A default, as the option would be written.
    public enum Default: Sendable, Equatable {
        case number(Double)
        case word(String)
        case integers([Int])
    }

    public let name: String
    public let kind: Kind
    /// The value when none is written; nil: none (`make` sees the option as absent).
    public let defaultValue: Default?
    public let help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: Default?, _ help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    /// The widths a layer may have: a model beyond them would not fit in memory anyway.
    public static let widths = 1...4096
    /// The levels a UNet-shaped network (a denoiser's, a segmenter's) may have; each halves the resolution.
    public static let levels = 1...8
    /// The channels a condition group may have.
    public static let conditionChannels = 1...64
}

/// The values of a recipe's options, as written or defaulted, already checked against their
/// kinds. Asking for an option the recipe does not declare, or as another kind, is a mistake in
/// the recipe and throws.
public struct ModelOptionValues {
    public enum Value {
        case integer(Int)
        case number(Double)
        case word(String)
        case integers([Int])
        case groups([(name: String, channels: Int)])
        case schedule(NoiseSchedule)
    }

    private let values: [String: Value]

    public init(_ values: [String: Value]) {
        self.values = values
    }

    /// Whether the option was written or has a default.
    public func has(_ name: String) -> Bool { values[name] != nil }

    private func mismatch(_ name: String, _ kind: String) -> ModelOptionError {
        ModelOptionError(name, values[name] == nil ? "the option \(name) has no value" : "the option \(name) is not \(kind)")
    }

    public func int(_ name: String) throws(ModelOptionError) -> Int {
        guard case .integer(let value) = values[name] else { throw mismatch(name, "a whole number") }
        return value
    }

    public func double(_ name: String) throws(ModelOptionError) -> Double {
        switch values[name] {
        case .number(let value): return value
        case .integer(let value): return Double(value)
        default: throw mismatch(name, "a number")
        }
    }

    public func word(_ name: String) throws(ModelOptionError) -> String {
        guard case .word(let value) = values[name] else { throw mismatch(name, "a word") }
        return value
    }

    public func integers(_ name: String) throws(ModelOptionError) -> [Int] {
        guard case .integers(let value) = values[name] else { throw mismatch(name, "a list of whole numbers") }
        return value
    }

    public func groups(_ name: String) throws(ModelOptionError) -> [(name: String, channels: Int)] {
        guard case .groups(let value) = values[name] else { throw mismatch(name, "condition groups") }
        return value
    }

    /// The schedule, or nil when none was written and there is no default.
    public func schedule(_ name: String) throws(ModelOptionError) -> NoiseSchedule? {
        switch values[name] {
        case nil: return nil
        case .schedule(let schedule): return schedule
        default: throw mismatch(name, "a schedule")
        }
    }
}

/// An option's value that the recipe refuses, naming the option so the language can point at it.
public struct ModelOptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let option: String
    public let message: String
    public let expected: String?
    public let hint: String?

    public init(_ option: String, _ message: String, expected: String? = nil, hint: String? = nil) {
        self.option = option
        self.message = message
        self.expected = expected
        self.hint = hint
    }

    public var description: String { message }
}
