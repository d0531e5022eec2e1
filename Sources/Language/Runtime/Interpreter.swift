import Engine
import Foundation

/// What running one statement produced.
public enum Outcome: Sendable {
    /// `name = value`.
    case bound(String, Value)
    /// A bare expression: its value, to display.
    case displayed(Value)
    case expectation(Expectation)
    /// `def name ...`.
    case defined(String)
    /// A `for` loop ran to its end, binding these global names (none if it never ran; a nested
    /// loop that never ran binds none of its own), with the outcomes of the `expect` statements
    /// its body ran, in order (nested loops' too).
    case looped(bound: Set<String>, expectations: [Expectation])
}

/// The result of an `expect` statement.
public struct Expectation: Sendable {
    /// The condition in canonical form, e.g. "metric ssim x y > 0.9".
    public var condition: String
    public var passed: Bool
    /// The values compared, e.g. "0.8731 > 0.9" or "0.51 ~ 0.5 +- 0.001 (off by 0.01)".
    public var detail: String
    public var span: SourceSpan
    public var source: SourceFile
    public var line: Int { source.location(of: span.start).line }

    public init(condition: String, passed: Bool, detail: String, span: SourceSpan, source: SourceFile) {
        self.condition = condition
        self.passed = passed
        self.detail = detail
        self.span = span
        self.source = source
    }
}

/// A verb or a function written in medsynth, as a value that can be applied.
public struct Callable: @unchecked Sendable {
    public enum Body {
        case verb(Verb)
        case function(FunctionDefinition, SourceFile)
        /// `fn x -> ...`, with the values of the names it saw when it was made.
        case lambda(Lambda, captured: [String: Value], SourceFile)
    }

    public var name: String
    public var body: Body
}

/// Evaluates statements against an environment of bound names. A tree-walking interpreter in
/// the manner of Crafting Interpreters' jlox: each syntax case has its evaluation below.
public final class Interpreter {
    public let registry: VerbRegistry
    public let context: RuntimeContext
    /// Names bound at the top level, in the order they were first bound.
    public private(set) var globals: [String: Value] = [:]
    public private(set) var globalOrder: [String] = []
    /// Local scopes of the function calls and loops under way, innermost last.
    private var scopes: [[String: Value]] = []
    /// The source of the statement being evaluated (a function's own source inside its body).
    private var source = SourceFile(name: "<none>", text: "")
    /// The path of the statement being run below the session's seed, for its random keys.
    private var statementPath: [String] = []
    private var statementCounter = 0
    /// Verb applications so far in the current statement: each draws from its own stream.
    private var applicationCount = 0
    private var callDepth = 0
    /// The stack of the thread running the current statement.
    private var stack = StackLimit()
    /// The global names the loop being run has bound so far.
    private var globalsAssigned: Set<String> = []

    public init(registry: VerbRegistry = .standard, context: RuntimeContext = RuntimeContext()) {
        self.registry = registry
        self.context = context
    }

    /// Forgets every binding.
    public func reset() {
        globals = [:]
        globalOrder = []
        statementCounter = 0
    }

    /// Binds a name at the top level (the standard library, a notebook's cached values).
    public func define(_ name: String, _ value: Value) {
        if globals[name] == nil { globalOrder.append(name) }
        globals[name] = value
    }

    /// The types of the bound names, for the analyser.
    public var globalTypes: [String: ValueType] {
        globals.mapValues(\.type)
    }

    /// The functions written in medsynth among the bound names, for the analyser.
    public var functionDefinitions: [String: FunctionDefinition] {
        globals.compactMapValues { value in
            guard case .function(let callable) = value, case .function(let definition, _) = callable.body else { return nil }
            return definition
        }
    }

    /// Runs one checked statement. `randomPath` names it for its random keys (the notebook runner
    /// passes the cell label and binding); by default the bound name, or the statement's order.
    ///
    /// A statement binds on success only: one that fails (an error, Ctrl-C), even half-way
    /// through a loop that has assigned some names already, leaves every name as it was.
    public func execute(_ statement: Statement, in source: SourceFile, randomPath: [String]? = nil) throws(Diagnostic) -> Outcome {
        self.source = source
        statementCounter += 1
        statementPath = randomPath ?? {
            if case .binding(let name, _, _, _) = statement { return [name] }
            return ["#\(statementCounter)"]
        }()
        applicationCount = 0
        // Dictionaries and arrays are copied on write: keeping the bindings costs nothing until
        // the statement changes them.
        let (globalsBefore, globalOrderBefore) = (globals, globalOrder)
        stack = StackLimit()
        do {
            let outcome = try executeStatement(statement)
            // Ctrl-C during a verb with no checks of its own (reading a file) stops the statement
            // too, once the verb returns: an interrupted statement binds nothing.
            if context.cancellation.isCancelled { throw RuntimeError("stopped (Ctrl-C)") }
            return outcome
        } catch {
            scopes = []
            callDepth = 0
            globals = globalsBefore
            globalOrder = globalOrderBefore
            switch error {
            case let partial as PartialResult:
                // The one exception to binding nothing: `name = verb ...` whose verb stopped with
                // a usable part of its work (training) binds it, and still reports the stop.
                // Anywhere else the partial value goes no further: not into another verb, not
                // into a file.
                guard case .binding(let name, _, .application(let application), _) = statement, application.span == partial.span else {
                    throw Diagnostic(
                        "\(partial.message) (only 'name = \(partial.verb) ...' keeps what it had done)", at: partial.span, in: self.source)
                }
                assign(name, partial.value)
                throw Diagnostic("\(partial.message); \(name) holds it as it was when it stopped", at: statement.span, in: self.source)
            case let error as RuntimeError:
                throw Diagnostic(
                    error.message, at: error.span ?? statement.span, in: self.source, expected: error.expected,
                    found: error.found, hint: error.hint)
            case let diagnostic as Diagnostic:
                throw diagnostic
            default:
                throw Diagnostic("\(error)", at: statement.span, in: self.source)
            }
        }
    }

    // MARK: Statements

    private func executeStatement(_ statement: Statement) throws -> Outcome {
        switch statement {
        case .binding(let name, _, let expression, _):
            let value = try evaluate(expression)
            assign(name, value)
            return .bound(name, value)
        case .expression(let expression, _):
            return .displayed(try evaluate(expression))
        case .expect(let condition, let span):
            return .expectation(try expect(condition, span: span))
        case .function(let definition):
            assign(definition.name, .function(Callable(name: definition.name, body: .function(definition, source))))
            return .defined(definition.name)
        case .loop(let variable, _, let sequenceExpression, let body, _):
            let sequence = try evaluate(sequenceExpression)
            let count: Int
            let item: (Int) throws -> Value
            switch sequence {
            case .list(let values):
                (count, item) = (values.count, { values[$0] })
            case .tensor(let tensor) where tensor.rank >= 1:
                // Each row is sliced as the loop reaches it: a long first axis costs nothing
                // before the first pass, and Ctrl-C stops the loop between rows.
                (count, item) = (tensor.shape[0], { .tensor(try tensor.slice([.at($0)])) })
            default:
                throw RuntimeError(
                    "'for' needs a list or a tensor to walk through", span: sequenceExpression.span,
                    expected: "a list, a range like 0..3, or a tensor", found: sequence.summary)
            }
            let outer = globalsAssigned
            globalsAssigned = []
            defer { globalsAssigned.formUnion(outer) }
            var expectations: [Expectation] = []
            for index in 0..<count {
                if context.cancellation.isCancelled { throw RuntimeError("stopped (Ctrl-C)") }
                scopes.append([variable: try item(index)])
                defer { scopes.removeLast() }
                expectations += try executeBlock(body)
            }
            return .looped(bound: globalsAssigned, expectations: expectations)
        case .conditional(let branches, let otherwise, _):
            var chosen = otherwise
            for branch in branches where try condition(try evaluate(branch.condition), span: branch.condition.span) {
                chosen = branch.body
                break
            }
            let outer = globalsAssigned
            globalsAssigned = []
            defer { globalsAssigned.formUnion(outer) }
            let expectations = try executeBlock(chosen)
            return .looped(bound: globalsAssigned, expectations: expectations)
        }
    }

    /// Runs the statements of a loop's body or an `if`'s branch; their expectations, nested
    /// blocks' included. Other outcomes are not displayed.
    private func executeBlock(_ statements: [Statement]) throws -> [Expectation] {
        var expectations: [Expectation] = []
        for statement in statements {
            switch try executeStatement(statement) {
            case .expectation(let expectation): expectations.append(expectation)
            case .looped(_, let inner): expectations += inner
            default: break
            }
        }
        return expectations
    }

    /// An `if`'s condition: true or false, not a tensor of them (which `expect` accepts).
    private func condition(_ value: Value, span: SourceSpan) throws -> Bool {
        guard case .bool(let flag) = value else {
            var hint: String?
            if case .tensor = value { hint = "for a tensor, say which: all (x > 0), or any (x > 0)" }
            throw RuntimeError("an 'if' needs true or false", span: span, expected: "a bool", found: value.summary, hint: hint)
        }
        return flag
    }

    /// Binds in the innermost function scope, or globally at the top level (a loop's body writes
    /// to the scope around the loop; only the loop variable is the loop's own).
    private func assign(_ name: String, _ value: Value) {
        if let index = scopes.lastIndex(where: { $0[name] != nil }) {
            scopes[index][name] = value
        } else if callDepth > 0, !scopes.isEmpty {
            scopes[scopes.count - 1][name] = value
        } else {
            define(name, value)
            globalsAssigned.insert(name)
        }
    }

    private func lookup(_ name: String) -> Value? {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return globals[name]
    }

    private func expect(_ condition: Expression, span: SourceSpan) throws -> Expectation {
        var detail: String
        let passed: Bool
        switch condition {
        case .approximately(let left, let right, let toleranceExpression, _):
            let a = try evaluate(left)
            let b = try evaluate(right)
            let tolerance = try toleranceExpression.map(evaluateTolerance)
            let result = try approximately(a, b, tolerance: tolerance, span: condition.span)
            passed = result.passed
            detail = "\(a.inlineText) ~ \(b.inlineText)"
            if let toleranceExpression { detail += " +- \(toleranceExpression.canonicalForm)" }
            detail += " (off by \(Value.format(result.difference)))"
        case .binary(.in, let left, .range(let low, let high, _), _):
            let x = try number(try evaluate(left), span: left.span)
            let a = try number(try evaluate(low), span: low.span)
            let b = try number(try evaluate(high), span: high.span)
            passed = x >= a && x <= b
            detail = "\(Value.format(x)) in \(Value.format(a))..\(Value.format(b))"
        case .binary(let op, let left, let right, _) where Expression.precedence(of: op) == 4:
            let a = try evaluate(left)
            let b = try evaluate(right)
            let value = try binary(op, a, b, span: condition.span)
            passed = try truth(value, span: condition.span)
            detail = "\(a.inlineText) \(op.rawValue) \(b.inlineText)"
        default:
            let value = try evaluate(condition)
            passed = try truth(value, span: condition.span)
            detail = value.inlineText
        }
        return Expectation(condition: condition.canonicalForm, passed: passed, detail: detail, span: span, source: source)
    }

    private func truth(_ value: Value, span: SourceSpan) throws -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .tensor(let tensor):
            return tensor.withUnsafeBufferPointer { $0.allSatisfy { $0 != 0 } }
        default:
            throw RuntimeError("a condition must be true or false", span: span, expected: "a bool", found: value.summary)
        }
    }

    // MARK: Expressions

    func evaluate(_ expression: Expression) throws -> Value {
        guard stack.hasRoom else {
            throw RuntimeError(
                "the program recurses too deeply for the stack", span: expression.span,
                hint: "a function that calls itself needs a case that stops")
        }
        switch expression {
        case .number(let value, _, _):
            return .number(value)
        case .percent(_, let span):
            throw RuntimeError(
                "a percentage is only a tolerance", span: span,
                hint: "write 'x ~ y +- 5%' for a relative tolerance, or 0.05 for the number")
        case .string(let value, _):
            return .string(value)
        case .template(let parts, let span):
            var text = ""
            for part in parts {
                switch part {
                case .text(let piece): text += piece
                case .value(let expression, let format, let holeSpan):
                    text += try written(try evaluate(expression), format: format, span: holeSpan)
                }
                guard text.utf8.count <= ValueLimits.maximumStringBytes else {
                    throw RuntimeError("the string would be too long (more than \(ValueLimits.maximumStringBytes) bytes)", span: span)
                }
            }
            return .string(text)
        case .bool(let value, _):
            return .bool(value)
        case .name(let name, let span):
            return try evaluateName(name, span: span)
        case .list(let elements, let span):
            return try sizeChecked(.list(try elements.map(evaluate)), span: span)
        case .record(let fields, let span):
            return try sizeChecked(.record(Record(try fields.map { ($0.name, try evaluate($0.value)) })), span: span)
        case .range(let low, let high, let span):
            let a = try integer(low)
            let b = try integer(high)
            guard b >= a, b - a < ValueLimits.maximumValueCount else {
                throw RuntimeError("the range \(a)..\(b) is empty or too long", span: span)
            }
            return .list((a...b).map { .number(Double($0)) })
        case .unary(.negate, let operand, let span):
            switch try evaluate(operand) {
            case .number(let value): return .number(-value)
            case .tensor(let tensor): return .tensor(0 - tensor)
            case let other:
                throw RuntimeError("'-' needs a number or a tensor", span: span, expected: "a number or a tensor", found: other.summary)
            }
        case .unary(.not, let operand, let span):
            return .bool(!(try truth(try evaluate(operand), span: span)))
        case .binary(.and, let left, let right, _):
            guard try truth(try evaluate(left), span: left.span) else { return .bool(false) }
            return .bool(try truth(try evaluate(right), span: right.span))
        case .binary(.or, let left, let right, _):
            if try truth(try evaluate(left), span: left.span) { return .bool(true) }
            return .bool(try truth(try evaluate(right), span: right.span))
        case .binary(.in, let left, .range(let low, let high, _), _):
            let value = try evaluate(left)
            let a = try number(try evaluate(low), span: low.span)
            let b = try number(try evaluate(high), span: high.span)
            let x = try number(value, span: left.span)
            return .bool(x >= a && x <= b)
        case .binary(let op, let left, let right, let span):
            return try binary(op, try evaluate(left), try evaluate(right), span: span)
        case .approximately(let left, let right, let toleranceExpression, let span):
            let tolerance = try toleranceExpression.map(evaluateTolerance)
            return .bool(try approximately(try evaluate(left), try evaluate(right), tolerance: tolerance, span: span).passed)
        case .field(let base, let name, let span):
            return try field(of: try evaluate(base), name, span: span, baseSpan: base.span)
        case .index(let base, let components, let span):
            return try index(try evaluate(base), components, span: span)
        case .application(let application):
            return try apply(application)
        case .conditional(let cases, let otherwise, _):
            for branch in cases where try condition(try evaluate(branch.condition), span: branch.condition.span) {
                return try evaluate(branch.value)
            }
            return try evaluate(otherwise)
        case .lambda(let lambda):
            // The names it sees now, by value: what it computes is fixed when it is made, as the
            // cache's key of the statement that makes it says.
            var captured = globals
            for scope in scopes {
                captured.merge(scope) { _, inner in inner }
            }
            let name = "fn " + lambda.parameters.map(\.name).joined(separator: " ")
            return .function(Callable(name: name, body: .lambda(lambda, captured: captured, source)))
        }
    }

    /// A value as a string's hole writes it: numbers (and tensors of one value) in the format,
    /// text padded by it, anything else as the REPL shows it.
    private func written(_ value: Value, format: TextFormat?, span: SourceSpan) throws -> String {
        switch value.written(in: format) {
        case .success(let text): return text
        case .failure(let problem): throw RuntimeError("\(problem)", span: span, found: value.summary)
        }
    }

    /// A list or record just made, refused when it nests deeper than values may (`l = [l]` in
    /// a loop) or holds too many values counting nested ones (`s = [s, s]` in a loop).
    private func sizeChecked(_ value: Value, span: SourceSpan) throws -> Value {
        switch ValueLimits.excess(of: value) {
        case nil:
            return value
        case .tooDeep:
            throw RuntimeError(
                "lists and records nest too deeply (more than \(ValueLimits.maximumDepth) levels)", span: span,
                hint: "a loop that wraps a value in a list each time builds one level per pass")
        case .tooMany:
            throw RuntimeError(
                "the list would hold too many values (more than \(ValueLimits.maximumValueCount), counting those in nested lists and records)",
                span: span, hint: "a tensor holds numbers by the million")
        }
    }

    private func evaluateName(_ name: String, span: SourceSpan) throws -> Value {
        if let value = lookup(name) {
            if case .function(let callable) = value, case .function(let definition, _) = callable.body,
                definition.parameters.allSatisfy({ $0.defaultValue != nil })
            {
                return try call(callable, arguments: [], options: [], span: span)
            }
            return value
        }
        if let verb = registry[name] {
            if verb.parameters.contains(where: { $0.isPositional && $0.isRequired }) {
                return .function(Callable(name: name, body: .verb(verb)))
            }
            return try call(Callable(name: name, body: .verb(verb)), arguments: [], options: [], span: span)
        }
        throw RuntimeError(
            "unknown name '\(name)'", span: span,
            hint: Suggestions.didYouMean(name, among: Array(globals.keys) + scopes.flatMap(\.keys) + registry.names))
    }

    /// The whole number an expression gives (an index, a slice bound, a range's end).
    private func integer(_ expression: Expression) throws -> Int {
        let value = try number(try evaluate(expression), span: expression.span)
        guard let integer = Int(wholeNumber: value) else {
            throw RuntimeError(
                "expected a whole number", span: expression.span, expected: "an integer of at most 2^53",
                found: "the number \(Value.format(value))")
        }
        return integer
    }

    /// An estimate is an interval, not a number: a claim about it names the bound it rests on.
    private func refuseEstimates(_ a: Value, _ b: Value, span: SourceSpan) throws {
        for value in [a, b] {
            guard case .estimate(let estimate) = value else { continue }
            throw RuntimeError.estimateIsNotANumber(span: span, found: value.summary, pointEstimate: estimate.value)
        }
    }

    private func number(_ value: Value, span: SourceSpan) throws -> Double {
        switch value {
        case .number(let number): return number
        case .tensor(let tensor) where tensor.count == 1: return Double(try tensor.item())
        default: throw RuntimeError("expected a number", span: span, expected: "a number", found: value.summary)
        }
    }

    /// A tolerance: `.absolute` for a number, `.relative` for a percentage.
    private enum Tolerance {
        case absolute(Double)
        case relative(Double)
    }

    private func evaluateTolerance(_ expression: Expression) throws -> Tolerance {
        if case .percent(let value, _) = expression { return .relative(value / 100) }
        let value = try number(try evaluate(expression), span: expression.span)
        guard value >= 0 else {
            throw RuntimeError("a tolerance cannot be negative", span: expression.span)
        }
        return .absolute(value)
    }

    /// Whether a and b agree within the tolerance; for tensors, every element must.
    private func approximately(_ a: Value, _ b: Value, tolerance: Tolerance?, span: SourceSpan) throws -> (passed: Bool, difference: Double) {
        try refuseEstimates(a, b, span: span)
        let (left, right): ([Float], [Float])
        switch (a, b) {
        case (.number(let x), .number(let y)):
            let difference = abs(x - y)
            return (allowed(difference, reference: abs(y), tolerance), difference)
        case (.list(let xs), .list(let ys)) where xs.count == ys.count:
            var worst = 0.0
            var passed = true
            for (x, y) in zip(xs, ys) {
                let result = try approximately(x, y, tolerance: tolerance, span: span)
                passed = passed && result.passed
                worst = max(worst, result.difference)
            }
            return (passed, worst)
        default:
            let x = try tensorOperand(a, span: span)
            let y = try tensorOperand(b, span: span)
            let shape = try broadcastShape(x.shape, y.shape, span: span)
            left = try x.broadcast(to: shape).scalars
            right = try y.broadcast(to: shape).scalars
        }
        var worst = 0.0
        var passed = true
        for (x, y) in zip(left, right) {
            let difference = abs(Double(x) - Double(y))
            if !allowed(difference, reference: abs(Double(y)), tolerance) { passed = false }
            if difference.isNaN { return (false, .nan) }
            worst = max(worst, difference)
        }
        return (passed, worst)
    }

    private func allowed(_ difference: Double, reference: Double, _ tolerance: Tolerance?) -> Bool {
        switch tolerance {
        case .absolute(let limit): return difference <= limit
        case .relative(let fraction): return difference <= fraction * reference
        case nil: return difference <= context.defaultTolerance.absolute + context.defaultTolerance.relative * reference
        }
    }

    private func tensorOperand(_ value: Value, span: SourceSpan) throws -> Tensor {
        let tensor: Tensor?
        do {
            tensor = try value.asTensor()
        } catch {
            throw RuntimeError("a list used as a tensor must hold numbers or tensors of one shape", span: span, found: value.summary)
        }
        guard let tensor else {
            throw RuntimeError("expected a number or a tensor", span: span, expected: "a number or a tensor", found: value.summary)
        }
        return tensor
    }

    /// The broadcast of two shapes by the engine's rule, reported at `span` when they do not.
    private func broadcastShape(_ a: [Int], _ b: [Int], span: SourceSpan) throws -> [Int] {
        let shape: [Int]
        do {
            shape = try Tensor.broadcastShape([a, b])
        } catch {
            throw RuntimeError(
                "the shapes \(a) and \(b) do not broadcast", span: span,
                hint: "axes must be equal, or one of them 1, counting from the right")
        }
        do {
            try Tensor.checkAllocation(shape, op: "broadcast")
        } catch {
            throw RuntimeError("the shapes \(a) and \(b) broadcast to \(shape): \(error)", span: span)
        }
        return shape
    }

    private func binary(_ op: BinaryOperator, _ a: Value, _ b: Value, span: SourceSpan) throws -> Value {
        try refuseEstimates(a, b, span: span)
        switch (a, b) {
        case (.number(let x), .number(let y)):
            switch op {
            case .add: return .number(x + y)
            case .subtract: return .number(x - y)
            case .multiply: return .number(x * y)
            case .divide: return .number(x / y)
            case .power: return .number(Foundation.pow(x, y))
            case .equal: return .bool(x == y)
            case .notEqual: return .bool(x != y)
            case .less: return .bool(x < y)
            case .lessEqual: return .bool(x <= y)
            case .greater: return .bool(x > y)
            case .greaterEqual: return .bool(x >= y)
            case .in, .and, .or: break
            }
        case (.string, .number(let y)) where op == .add:
            return try binary(op, a, .string(Value.format(y)), span: span)
        case (.number(let x), .string) where op == .add:
            return try binary(op, .string(Value.format(x)), b, span: span)
        case (.string(let x), .string(let y)):
            switch op {
            case .add:
                guard x.utf8.count + y.utf8.count <= ValueLimits.maximumStringBytes else {
                    throw RuntimeError(
                        "the string would be too long (more than \(ValueLimits.maximumStringBytes) bytes)", span: span,
                        found: "strings of \(x.utf8.count) and \(y.utf8.count) bytes")
                }
                return .string(x + y)
            case .equal: return .bool(x == y)
            case .notEqual: return .bool(x != y)
            default: break
            }
        case (.bool(let x), .bool(let y)) where op == .equal || op == .notEqual:
            return .bool((x == y) == (op == .equal))
        case (.list(let x), .list(let y)) where op == .add:
            guard x.count + y.count <= ValueLimits.maximumValueCount else {
                throw RuntimeError(
                    "the list would hold too many values (more than \(ValueLimits.maximumValueCount))", span: span,
                    found: "lists of \(x.count) and \(y.count) items", hint: "a tensor holds numbers by the million")
            }
            return try sizeChecked(.list(x + y), span: span)
        case (.list(let x), .list(let y)) where op == .equal || op == .notEqual:
            let same = try x.count == y.count && zip(x, y).allSatisfy { try truth(try binary(.equal, $0, $1, span: span), span: span) }
            return .bool(same == (op == .equal))
        case (_, .list(let items)) where op == .in:
            return .bool(try items.contains { try truth(try binary(.equal, a, $0, span: span), span: span) })
        case (.tensor, _), (_, .tensor), (.list, .number), (.number, .list), (.list, .list):
            return .tensor(try tensorBinary(op, try tensorOperand(a, span: span), try tensorOperand(b, span: span), span: span))
        default:
            break
        }
        throw RuntimeError(
            "'\(op.rawValue)' cannot combine \(a.type.article) and \(b.type.article)", span: span,
            found: "\(a.summary) and \(b.summary)")
    }

    private func tensorBinary(_ op: BinaryOperator, _ x: Tensor, _ y: Tensor, span: SourceSpan) throws -> Tensor {
        _ = try broadcastShape(x.shape, y.shape, span: span)
        switch op {
        case .add: return try x + y
        case .subtract: return try x - y
        case .multiply: return try x * y
        case .divide: return try x / y
        case .power: return try x.pow(y)
        case .equal: return try x .== y
        case .notEqual: return try x .!= y
        case .less: return try x .< y
        case .lessEqual: return try x .<= y
        case .greater: return try x .> y
        case .greaterEqual: return try x .>= y
        case .in, .and, .or:
            throw RuntimeError("'\(op.rawValue)' does not apply to tensors", span: span)
        }
    }

    private func field(of value: Value, _ name: String, span: SourceSpan, baseSpan: SourceSpan) throws -> Value {
        switch value {
        case .record(let record):
            if let field = record[name] { return field }
            throw RuntimeError(
                "the record has no field '\(name)'", span: span,
                expected: "one of \(record.fields.map(\.name).joined(separator: ", "))",
                hint: Suggestions.didYouMean(name, among: record.fields.map(\.name)))
        case .tensor(let tensor):
            switch name {
            case "shape": return .list(tensor.shape.map { .number(Double($0)) })
            case "rank": return .number(Double(tensor.rank))
            case "count": return .number(Double(tensor.count))
            default:
                throw RuntimeError(
                    "a tensor has no field '\(name)'", span: span, expected: "shape, rank or count",
                    hint: Suggestions.didYouMean(name, among: ["shape", "rank", "count"]))
            }
        case .list(let items) where name == "count":
            return .number(Double(items.count))
        case .schedule(let schedule):
            // A schedule's curves over t = 0 ... T-1, as tensors.
            switch name {
            case "steps": return .number(Double(schedule.trainingSteps))
            case "beta": return .tensor(Tensor(schedule.betas.map(Float.init)))
            case "alpha_bar": return .tensor(Tensor(schedule.alphaBars.map(Float.init)))
            case "snr": return .tensor(Tensor(schedule.alphaBars.map { Float($0 / max(1 - $0, 1e-30)) }))
            default:
                throw RuntimeError(
                    "a schedule has no field '\(name)'", span: span, expected: "steps, beta, alpha_bar or snr",
                    hint: Suggestions.didYouMean(name, among: ["steps", "beta", "alpha_bar", "snr"]))
            }
        case .figure(let figure) where name == "path":
            return figure.path.map(Value.string) ?? .nothing
        case .estimate(let estimate):
            let fields = ["value", "lower", "upper", "level", "n", "resamples", "p", "features"]
            if ["lower", "upper", "level"].contains(name), !estimate.hasInterval {
                throw RuntimeError(
                    "this estimate has no interval, so no \(name)", span: span, found: "the estimate \(estimate.text)",
                    hint: "ask for one with ci=0.95; .value is the value")
            }
            switch name {
            case "features":
                return estimate.features.map(Value.string) ?? .nothing
            case "value": return .number(estimate.value)
            case "lower": return .number(estimate.lower)
            case "upper": return .number(estimate.upper)
            case "level": return .number(estimate.level)
            case "n": return .number(Double(estimate.count))
            case "resamples": return .number(Double(estimate.resamples))
            case "p":
                guard let p = estimate.pValue else {
                    throw RuntimeError(
                        "this estimate has no p-value", span: span,
                        hint: "'compare' gives one: the paired test of two models scored on the same images")
                }
                return .number(p)
            default:
                throw RuntimeError(
                    "an estimate has no field '\(name)'", span: span, expected: fields.joined(separator: ", "),
                    hint: Suggestions.didYouMean(name, among: fields))
            }
        case .model(let model):
            switch name {
            case "history":
                guard let training = model.training else {
                    throw RuntimeError(
                        "this model has no training history", span: span,
                        hint: "a model made by 'train' carries one (a model loaded from a file or made new has none)")
                }
                return .record(training.historyRecord)
            case "kind": return .string(model.kindName)
            case "parameters": return .number(Double(model.parameterCount))
            default:
                throw RuntimeError(
                    "a model has no field '\(name)'", span: span, expected: "history, kind or parameters",
                    hint: Suggestions.didYouMean(name, among: ["history", "kind", "parameters"]))
            }
        default:
            throw RuntimeError("\(value.summary) has no fields", span: baseSpan, hint: "'.\(name)' reads a field of a record")
        }
    }

    private func index(_ value: Value, _ components: [IndexComponent], span: SourceSpan) throws -> Value {
        func bound(_ expression: Expression?) throws -> Int? {
            try expression.map(integer)
        }
        switch value {
        case .tensor(let tensor):
            guard components.count <= tensor.rank else {
                throw RuntimeError(
                    "\(components.count) indices for a tensor of rank \(tensor.rank)", span: span,
                    found: "a tensor of shape \(tensor.shape)")
            }
            var indices: [TensorIndex] = []
            for (axis, component) in components.enumerated() {
                switch component {
                case .at(let expression):
                    let position = try integer(expression)
                    let size = tensor.shape[axis]
                    guard position >= -size, position < size else {
                        throw RuntimeError(
                            "index \(position) is out of range for axis \(axis) of size \(size)", span: expression.span,
                            expected: "an index in \(-size)..\(size - 1)")
                    }
                    indices.append(.at(position))
                case .slice(let start, let end, let step):
                    let stride = try bound(step) ?? 1
                    guard stride != 0 else { throw RuntimeError("a slice's step cannot be 0", span: span) }
                    // Bounds beyond the axis select what a bound at its edge would, and a step
                    // longer than the axis takes its first element only: clamped, they mean the
                    // same and keep the engine's index arithmetic far from overflow.
                    let size = tensor.shape[axis]
                    let limit = size + 1
                    indices.append(.range(
                        start: try bound(start).map { min(max($0, -limit), limit) },
                        end: try bound(end).map { min(max($0, -limit), limit) },
                        step: min(max(stride, -limit), limit)))
                }
            }
            return .tensor(try tensor.slice(indices))
        case .list(let items):
            guard components.count == 1 else {
                throw RuntimeError("a list takes one index", span: span)
            }
            switch components[0] {
            case .at(let expression):
                let position = try integer(expression)
                let resolved = position < 0 ? items.count + position : position
                guard items.indices.contains(resolved) else {
                    throw RuntimeError(
                        "index \(position) is out of range for a list of \(items.count)", span: expression.span)
                }
                return items[resolved]
            case .slice(let start, let end, let step):
                guard (try bound(step) ?? 1) == 1 else {
                    throw RuntimeError("list slices take no step", span: span)
                }
                let count = items.count
                func clip(_ value: Int?, _ fallback: Int) -> Int {
                    guard let value else { return fallback }
                    return min(max(value < 0 ? count + value : value, 0), count)
                }
                let low = clip(try bound(start), 0)
                let high = max(low, clip(try bound(end), count))
                return .list(Array(items[low..<high]))
            }
        default:
            throw RuntimeError("\(value.summary) cannot be indexed", span: span, expected: "a tensor or a list")
        }
    }

    // MARK: Application

    private func apply(_ application: Application) throws -> Value {
        let callable: Callable
        if let value = lookup(application.callee), case .function(let function) = value {
            callable = function
        } else if let verb = registry[application.callee] {
            // A name bound to a value does not hide the verb of the same name when applied:
            // `train = phantom ...` and then `train ae data=train.image`.
            callable = Callable(name: verb.name, body: .verb(verb))
        } else if let value = lookup(application.callee) {
            guard case .function(let function) = value else {
                throw RuntimeError(
                    "'\(application.callee)' is \(value.summary), not a verb or a function", span: application.calleeSpan,
                    hint: "to multiply, write '*'; to index, write \(application.callee)[...]")
            }
            callable = function
        } else {
            throw RuntimeError(
                "unknown verb '\(application.callee)'", span: application.calleeSpan,
                hint: StandardLibrary.hint(forUnknown: application.callee)
                    ?? Suggestions.didYouMean(application.callee, among: registry.names + Array(globals.keys)))
        }
        return try call(callable, arguments: application.arguments, options: application.options, span: application.span)
    }

    private func call(_ callable: Callable, arguments: [Expression], options: [NamedArgument], span: SourceSpan) throws -> Value {
        switch callable.body {
        case .verb(let verb):
            return try callVerb(verb, arguments: arguments, options: options, span: span)
        case .function(let definition, let functionSource):
            return try callFunction(definition, source: functionSource, arguments: arguments, options: options, span: span)
        case .lambda(let lambda, let captured, let lambdaSource):
            guard options.isEmpty else {
                throw RuntimeError("'\(callable.name)' has no options", span: options[0].nameSpan)
            }
            return try callLambda(lambda, named: callable.name, captured: captured, source: lambdaSource, arguments: arguments.map(evaluate), span: span)
        }
    }

    /// Calls `fn x ... -> body` on values: the body sees the values it captured and its parameters.
    func callLambda(
        _ lambda: Lambda, named name: String, captured: [String: Value], source lambdaSource: SourceFile, arguments: [Value], span: SourceSpan
    ) throws -> Value {
        guard callDepth < 200 else {
            throw RuntimeError("'\(name)' calls itself too deeply (200 calls)", span: span)
        }
        guard arguments.count == lambda.parameters.count else {
            let count = lambda.parameters.count
            throw RuntimeError(
                "'\(name)' takes \(count) argument\(count == 1 ? "" : "s"), given \(arguments.count)", span: span,
                expected: name)
        }
        var scope = captured
        for (parameter, argument) in zip(lambda.parameters, arguments) {
            scope[parameter.name] = argument
        }
        let callerSource = source
        source = lambdaSource
        scopes.append(scope)
        callDepth += 1
        defer {
            scopes.removeLast()
            callDepth -= 1
            source = callerSource
        }
        return try evaluate(lambda.body)
    }

    private func callVerb(_ verb: Verb, arguments: [Expression], options: [NamedArgument], span: SourceSpan) throws -> Value {
        var call = try boundCall(verb, arguments: arguments, options: options, span: span)
        do {
            return try verb.run(&call)
        } catch is CancellationError {
            throw RuntimeError("\(verb.name) stopped (Ctrl-C)", span: span)
        } catch let partial as PartialResult {
            throw partial
        } catch let error as RuntimeError {
            throw error.span == nil ? RuntimeError(error.message, span: span, expected: error.expected, found: error.found, hint: error.hint) : error
        } catch is Diagnostic {
            throw RuntimeError("internal error in '\(verb.name)'", span: span)
        } catch let error as TensorError {
            // The operation it names is the engine's (oneHot, DenoisingTask); the user wrote the verb.
            throw RuntimeError("\(verb.name): \(error.message)", span: span)
        } catch {
            let text = "\(error)"
            throw RuntimeError(text.hasPrefix("\(verb.name): ") ? text : "\(verb.name): \(text)", span: span)
        }
    }

    /// The call of `verb` with its arguments evaluated and checked, ready to run.
    private func boundCall(_ verb: Verb, arguments: [Expression], options: [NamedArgument], span: SourceSpan) throws -> VerbCall {
        let binding = try ArgumentBinding.bind(verb: verb, arguments: arguments, options: options, span: span)
        var values: [String: Value] = [:]
        var spans: [String: SourceSpan] = [:]
        for parameter in verb.parameters {
            if let expressions = binding.given[parameter.name] {
                let evaluated = try expressions.map { expression in
                    try evaluateArgument(expression, for: parameter)
                }
                values[parameter.name] = parameter.isVariadic ? .list(evaluated) : evaluated[0]
                spans[parameter.name] = expressions.dropFirst().reduce(expressions[0].span) { $0.through($1.span) }
                if case .choice(let words) = parameter.kind, case .string(let word) = values[parameter.name] {
                    guard words.contains(word) else {
                        throw RuntimeError(
                            "'\(word)' is not a choice of \(parameter.name)", span: spans[parameter.name],
                            expected: "one of \(words.joined(separator: ", "))",
                            hint: Suggestions.didYouMean(word, among: words))
                    }
                }
            } else {
                values[parameter.name] = parameter.isVariadic ? .list([]) : parameter.defaultValue ?? .nothing
            }
        }
        applicationCount += 1
        return VerbCall(
            verb: verb, values: values, spans: spans, span: span, context: context,
            derivedKey: RandomKey(seed: context.seed, path: statementPath + [verb.name, "\(applicationCount)"]))
    }

    /// The call that `statement` makes of the verb `name` (as `m = train ...` or `train ...`),
    /// with its arguments evaluated and checked as the verb would see them, and its random keys
    /// those the statement would have under `randomPath`, but the verb not run: what
    /// `medsynth export` hands to another trainer. Binds nothing.
    public func call(of name: String, in statement: Statement, source: SourceFile, randomPath: [String]) throws(Diagnostic) -> VerbCall {
        self.source = source
        statementPath = randomPath
        applicationCount = 0
        let application: Application
        switch statement {
        case .binding(_, _, .application(let found), _), .expression(.application(let found), _): application = found
        default: throw Diagnostic("the statement is not a call of '\(name)'", at: statement.span, in: source)
        }
        guard application.callee == name, let verb = registry[name] else {
            throw Diagnostic("the statement calls '\(application.callee)', not '\(name)'", at: application.calleeSpan, in: source)
        }
        do {
            return try boundCall(verb, arguments: application.arguments, options: application.options, span: application.span)
        } catch let error as RuntimeError {
            throw Diagnostic(error.message, at: error.span ?? statement.span, in: source, expected: error.expected, found: error.found, hint: error.hint)
        } catch let diagnostic as Diagnostic {
            throw diagnostic
        } catch {
            throw Diagnostic("\(error)", at: statement.span, in: source)
        }
    }

    /// An argument's value; for a choice, a bare name may be the word itself.
    private func evaluateArgument(_ expression: Expression, for parameter: Parameter) throws -> Value {
        // A bare word of the choice is the word, even where a value of that name is bound
        // (`kind=linear` beside `linear = schedule ...`); another bare name is looked up.
        if case .choice(let words) = parameter.kind, case .name(let word, _) = expression, words.contains(word) || lookup(word) == nil {
            return .string(word)
        }
        return try evaluate(expression)
    }

    private func callFunction(
        _ definition: FunctionDefinition, source functionSource: SourceFile, arguments: [Expression], options: [NamedArgument],
        span: SourceSpan
    ) throws -> Value {
        guard callDepth < 200 else {
            throw RuntimeError("'\(definition.name)' calls itself too deeply (200 calls)", span: span)
        }
        let positional = definition.parameters.filter { $0.defaultValue == nil }
        let optional = definition.parameters.filter { $0.defaultValue != nil }
        guard arguments.count == positional.count else {
            throw RuntimeError(
                "'\(definition.name)' takes \(positional.count) argument\(positional.count == 1 ? "" : "s"), given \(arguments.count)",
                span: span, expected: "\(definition.name) \(positional.map(\.name).joined(separator: " "))")
        }
        var scope: [String: Value] = [:]
        for (parameter, argument) in zip(positional, arguments) {
            scope[parameter.name] = try evaluate(argument)
        }
        for option in options {
            guard optional.contains(where: { $0.name == option.name }) else {
                throw RuntimeError(
                    "'\(definition.name)' has no option '\(option.name)'", span: option.nameSpan,
                    expected: optional.isEmpty ? "no options" : "one of \(optional.map(\.name).joined(separator: ", "))",
                    hint: Suggestions.didYouMean(option.name, among: optional.map(\.name)))
            }
            scope[option.name] = try evaluate(option.value)
        }
        let callerSource = source
        for parameter in optional where scope[parameter.name] == nil {
            source = functionSource
            scope[parameter.name] = try evaluate(parameter.defaultValue!)
        }
        source = functionSource
        scopes.append(scope)
        callDepth += 1
        defer {
            scopes.removeLast()
            callDepth -= 1
            source = callerSource
        }
        // An error inside the body is reported there, in the function's own source, with a
        // note of the call.
        let callSite = callerSource.location(of: span.start)
        var result = Value.nothing
        for statement in definition.body {
            do {
                switch try executeStatement(statement) {
                case .displayed(let value): result = value
                case .bound(_, let value): result = value
                case .expectation(let expectation) where !expectation.passed:
                    throw RuntimeError("expect failed in '\(definition.name)': \(expectation.detail)", span: expectation.span)
                default: result = .nothing
                }
            } catch let error as RuntimeError {
                throw Diagnostic(
                    error.message, at: error.span ?? statement.span, in: functionSource, expected: error.expected,
                    found: error.found,
                    hint: error.hint ?? "in '\(definition.name)', called at \(callerSource.name):\(callSite.line):\(callSite.column)")
            }
        }
        return result
    }
}
