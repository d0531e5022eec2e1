import Diffusion
import Engine
import Formats
import Foundation

/// A verb's checked arguments, by parameter name, with the means to report a bad one at its
/// place in the source.
public struct VerbCall {
    public let verb: Verb
    /// Every parameter's value: given, or its default (`.nothing` for an optional one left out).
    public var values: [String: Value]
    /// Where each given argument is written.
    public var spans: [String: SourceSpan]
    public let span: SourceSpan
    public let context: RuntimeContext
    /// The key this application draws from when no seed is given: the session's seed and the
    /// path [statement name, verb, application], so that keys differ between statements and do
    /// not depend on their order.
    public let derivedKey: RandomKey

    /// Whether the caller gave this parameter.
    public func has(_ name: String) -> Bool {
        if case .nothing = values[name] ?? .nothing { return false }
        return true
    }

    /// A problem with one argument, reported at that argument.
    /// `found` defaults to a description of the argument's value.
    public func error(_ name: String, _ message: String, expected: String? = nil, found: String? = nil, hint: String? = nil) -> RuntimeError {
        RuntimeError(
            message, span: spans[name] ?? span, expected: expected,
            found: found ?? values[name].map(\.summary), hint: hint)
    }

    public func value(_ name: String) -> Value { values[name] ?? .nothing }

    public func tensor(_ name: String) throws -> Tensor {
        let tensor: Tensor?
        do {
            tensor = try value(name).asTensor()
        } catch {
            throw self.error(name, "a list used as a tensor must hold numbers or tensors of one shape", expected: "numbers or tensors")
        }
        guard let tensor else { throw error(name, "'\(verb.name)' needs a tensor for \(name)", expected: "a tensor") }
        return tensor
    }

    public func optionalTensor(_ name: String) throws -> Tensor? {
        has(name) ? try tensor(name) : nil
    }

    /// The number given for `name`: a number, or a tensor of one value. NaN and the infinities
    /// are refused: no option means them, and what a verb computes from its numbers (a kernel's
    /// radius, a count of pixels) would be nonsense or trap.
    public func double(_ name: String) throws -> Double {
        let number = try givenNumber(name, wanted: "a number")
        guard number.isFinite else {
            throw error(name, "'\(verb.name)' needs a finite number for \(name)", expected: "a number", found: "the number \(Value.format(number))")
        }
        return number
    }

    /// The number given for `name`, which must lie in `range` (the verb's own limit, e.g. a
    /// sigma no wider than the largest image).
    public func double(_ name: String, in range: ClosedRange<Double>) throws -> Double {
        let number = try double(name)
        guard range.contains(number) else {
            throw error(
                name, "'\(verb.name)' needs a number in \(Value.format(range.lowerBound))...\(Value.format(range.upperBound)) for \(name)",
                expected: "a number in \(Value.format(range.lowerBound))...\(Value.format(range.upperBound))",
                found: "the number \(Value.format(number))")
        }
        return number
    }

    public func optionalDouble(_ name: String) throws -> Double? {
        has(name) ? try double(name) : nil
    }

    /// The whole number given for `name`, in the range its parameter declares (any Int a Double
    /// holds exactly when it declares none).
    public func int(_ name: String) throws -> Int {
        var range = Int.exactInDouble
        if let parameter = verb.parameters.first(where: { $0.name == name }), case .integer(let declared) = parameter.kind {
            range = declared.clamped(to: Int.exactInDouble)
        }
        return try wholeNumber(try givenNumber(name, wanted: "a whole number"), for: name, in: range)
    }

    /// The number given for `name`, a number or a tensor of one value, not yet checked.
    private func givenNumber(_ name: String, wanted: String) throws -> Double {
        switch value(name) {
        case .number(let given): return given
        case .tensor(let tensor) where tensor.count == 1: return Double(try tensor.item())
        default: throw error(name, "'\(verb.name)' needs \(wanted) for \(name)", expected: wanted)
        }
    }

    /// `number`, given for `name` (or as one of its entries), as a whole number in `range`:
    /// the checked conversion every verb uses, with a message that names the verb and option.
    public func wholeNumber(_ number: Double, for name: String, in range: ClosedRange<Int>, isEntry: Bool = false) throws -> Int {
        guard let integer = Int(wholeNumber: number, in: range) else {
            let bounds = Int.describe(range)
            let wanted = (isEntry ? "whole numbers" : "a whole number") + (bounds.isEmpty ? "" : " " + bounds)
            throw error(
                name, "'\(verb.name)' needs \(wanted) for \(name)", expected: "integer\(isEntry ? "s" : "")\(bounds.isEmpty ? "" : " " + bounds)",
                found: "\(isEntry ? "an entry " : "the number ")\(Value.format(number))")
        }
        return integer
    }

    /// The whole numbers of the list given for `name` (a shape, axes, widths, step indices),
    /// each checked to lie in `range`.
    public func integers(_ name: String, in range: ClosedRange<Int>) throws -> [Int] {
        try list(name).map { item in
            guard case .number(let number) = item else {
                throw error(name, "'\(verb.name)' needs a list of whole numbers for \(name)", expected: "integers", found: item.summary)
            }
            return try wholeNumber(number, for: name, in: range, isEntry: true)
        }
    }

    public func optionalInt(_ name: String) throws -> Int? {
        has(name) ? try int(name) : nil
    }

    public func string(_ name: String) throws -> String {
        guard case .string(let text) = value(name) else {
            throw error(name, "'\(verb.name)' needs a string for \(name)", expected: "a string")
        }
        return text
    }

    /// A path argument resolved against the context's base directory (a notebook's folder),
    /// refused when the context's file access does not allow `use` of it.
    public func path(_ name: String, for use: FileAccess.Use) throws -> String {
        let path = context.resolve(try string(name))
        if let refusal = context.fileAccess.refusal(of: path, for: use) {
            throw error(
                name, refusal, expected: "a path inside \(context.fileAccess.allowedDescription)",
                hint: "to allow it, run with --allow-path \(PathName.folder(of: FileAccess.canonical(path))) (see docs/security.md)")
        }
        return path
    }

    public func optionalString(_ name: String) throws -> String? {
        has(name) ? try string(name) : nil
    }

    public func bool(_ name: String) throws -> Bool {
        guard case .bool(let flag) = value(name) else {
            throw error(name, "'\(verb.name)' needs true or false for \(name)", expected: "a bool")
        }
        return flag
    }

    public func list(_ name: String) throws -> [Value] {
        switch value(name) {
        case .list(let items): return items
        case .nothing: return []
        case let single: return [single]
        }
    }

    public func model(_ name: String) throws -> Model {
        guard case .model(let model) = value(name) else {
            throw error(name, "'\(verb.name)' needs a model for \(name)", expected: "a model")
        }
        return model
    }

    public func schedule(_ name: String) throws -> NoiseSchedule {
        guard case .schedule(let schedule) = value(name) else {
            throw error(name, "'\(verb.name)' needs a schedule for \(name)", expected: "a schedule")
        }
        return schedule
    }

    /// The random key of this call: the root key of its seed option when given (so `seed=K`
    /// draws what `Tensor.randn(_:seed: K)` draws), otherwise `derivedKey` (so the same script
    /// gives the same numbers).
    public func randomKey() throws -> RandomKey {
        guard case .seeded(let option) = verb.randomness else {
            throw RuntimeError("internal error: '\(verb.name)' draws random numbers but does not declare it (Verb.randomness)")
        }
        if let seed = try optionalInt(option) {
            guard seed >= 0 else { throw error(option, "a seed cannot be negative", expected: "an integer >= 0") }
            return RandomKey(seed: UInt64(seed))
        }
        return derivedKey
    }
}

extension Value {
    /// The value as a tensor where it can stand for one: a tensor, a number or bool (a scalar),
    /// or a list (see `tensor(fromList:)`); nil for other values. A list that does not make a
    /// tensor throws.
    public func asTensor() throws -> Tensor? {
        switch self {
        case .tensor(let tensor): return tensor
        case .number(let number): return Tensor(Float(number))
        case .bool(let flag): return Tensor(flag ? 1 : 0)
        case .list(let items): return try Value.tensor(fromList: items)
        default: return nil
        }
    }

    /// A list of numbers as a vector; a list of tensors or lists stacked along a new first axis.
    public static func tensor(fromList items: [Value]) throws -> Tensor {
        var numbers: [Float] = []
        var parts: [Tensor] = []
        for item in items {
            switch item {
            case .number(let x): numbers.append(Float(x))
            case .tensor(let tensor): parts.append(tensor)
            case .list(let inner): parts.append(try tensor(fromList: inner))
            default: throw RuntimeError("a list used as a tensor must hold numbers or tensors", found: item.summary)
            }
        }
        if parts.isEmpty { return Tensor(numbers) }
        guard numbers.isEmpty else { throw RuntimeError("a list used as a tensor mixes numbers and tensors") }
        return try Tensor.stack(parts)
    }
}

/// An error while evaluating, placed at a span of the statement when one is known.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var span: SourceSpan?
    public var expected: String?
    public var found: String?
    public var hint: String?

    public init(_ message: String, span: SourceSpan? = nil, expected: String? = nil, found: String? = nil, hint: String? = nil) {
        self.message = message
        self.span = span
        self.expected = expected
        self.found = found
        self.hint = hint
    }

    public var description: String { message }
}
