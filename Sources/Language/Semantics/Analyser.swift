/// Checks statements before any runs (in the manner of jlox's resolver): every name is bound
/// before use, every verb exists and gets the arguments, options and types it declares. It also
/// plans each top-level statement (see `StatementPlan`): what it reads and writes, the verbs,
/// functions and files it uses, whether it draws random numbers, from which the notebook
/// runner builds its dependency graph and cache keys.
public struct Analyser {
    /// What one top-level statement reads and writes.
    public struct Effects: Sendable, Equatable {
        /// Names bound before the statement that it uses (verbs are not names).
        public var reads: Set<String>
        /// Names it binds at the top level.
        public var writes: Set<String>
    }

    private let registry: VerbRegistry
    /// Types of the names bound so far, innermost scope last; the first is the top level.
    private var scopes: [[String: ValueType]]
    /// Parameters of functions defined so far, for checking their calls.
    private var functions: [String: FunctionDefinition] = [:]
    private var source = SourceFile(name: "<none>", text: "")
    /// The plan of the top-level statement being checked.
    private var current = StatementPlan(statement: .expression(.bool(false, SourceSpan(0, 0)), span: SourceSpan(0, 0)))
    /// Names the current top-level statement has surely bound so far: a later read of one in
    /// the same statement (a loop's body using what it just computed) reads the statement's own
    /// value, not an input. Only bindings of the statement itself or of a top-level loop's own
    /// body count: a nested loop may run zero times, and its variable and a function's locals
    /// are not the global names.
    private var written: Set<String> = []
    private var loopVariables: [String] = []
    /// `if` branches open around the statement being checked: a branch may not run, so what it
    /// binds is not surely bound.
    private var conditionalDepth = 0
    private var functionDepth = 0
    /// What running each function defined so far does beyond its arguments (see
    /// `FunctionSummary`): a statement that calls a function, or otherwise takes hold of it
    /// (passes it on, binds it under another name), depends on all of it.
    private var summaries: [String: FunctionSummary] = [:]
    /// The functions the binding being checked takes hold of: the name it binds stands for them.
    private var functionsUsed: Set<String> = []
    /// What the `fn` functions made in the binding being checked do when they run: the name it
    /// binds stands for that too (`loader = fn p -> load p` reads files when called).
    private var lambdasMade = FunctionSummary()
    /// Stands in the reads of a statement that compares with `~` and no tolerance, which
    /// depends on the notebook's default tolerance (see `StatementPlan.usesDefaultTolerance`).
    static let defaultTolerance = "#tolerance"

    /// What a function does when it runs, beyond its arguments: the global names its body reads
    /// (its own name, the functions it calls, `defaultTolerance`), the verbs with side effects it
    /// applies, and whether it reads a file whose path it computes.
    struct FunctionSummary {
        var reads: Set<String> = []
        var sideEffects: Set<String> = []
        var computesPaths = false
    }

    /// An analyser that knows the names already bound and the functions among them (whose
    /// calls it checks against their parameters).
    public init(registry: VerbRegistry, globals: [String: ValueType] = [:], functions: [String: FunctionDefinition] = [:]) {
        self.registry = registry
        self.scopes = [globals]
        self.functions = functions
        for (name, definition) in functions {
            summaries[name] = summary(of: definition)
        }
    }

    /// Notes a name bound at the top level outside the statements checked (a binding taken
    /// over from another session).
    public mutating func bind(_ name: String, _ value: Value) {
        scopes[0][name] = value.type
        if case .function(let callable) = value, case .function(let definition, _) = callable.body {
            functions[name] = definition
            summaries[name] = summary(of: definition)
        } else {
            functions[name] = nil
            summaries[name] = nil
        }
    }

    /// What `definition` does when it runs, learnt by checking it on a copy of this analyser:
    /// the name it is bound under may not be its own (`g = f`), and this analyser's tables must
    /// not change.
    private func summary(of definition: FunctionDefinition) -> FunctionSummary {
        var probe = self
        probe.current = StatementPlan(statement: .function(definition))
        _ = try? probe.check(.function(definition))
        return FunctionSummary(reads: probe.current.reads, sideEffects: probe.current.sideEffects, computesPaths: probe.current.files.computed)
    }

    /// Checks the statements in order, binding as it goes, and returns each one's effects.
    public mutating func check(_ statements: [Statement], in source: SourceFile) throws(Diagnostic) -> [Effects] {
        try plan(statements, in: source).map(\.effects)
    }

    /// Checks the statements in order, binding as it goes, and returns each one's plan.
    public mutating func plan(_ statements: [Statement], in source: SourceFile) throws(Diagnostic) -> [StatementPlan] {
        self.source = source
        var plans: [StatementPlan] = []
        for statement in statements {
            current = StatementPlan(statement: statement)
            written = []
            do {
                current.writes = try check(statement)
            } catch let error as RuntimeError {
                throw Diagnostic(
                    error.message, at: error.span ?? statement.span, in: source, expected: error.expected,
                    found: error.found, hint: error.hint)
            } catch {
                throw error as! Diagnostic
            }
            current.usesDefaultTolerance = current.reads.remove(Self.defaultTolerance) != nil
            plans.append(current)
        }
        return plans
    }

    /// The names a statement binds in the scope it runs in.
    private mutating func check(_ statement: Statement) throws -> Set<String> {
        switch statement {
        case .binding(let name, _, let value, _):
            functionsUsed = []
            lambdasMade = FunctionSummary()
            let type = try infer(value)
            scopes[scopes.count - 1][name] = type
            functions[name] = nil
            if functionDepth == 0 {
                // `g = f`, `h = [f][0]`: calling what the name holds runs those functions, as
                // they are now (a later `def f` does not change g).
                var summary = functionsUsed.isEmpty ? nil : closure(of: functionsUsed)
                if !lambdasMade.sideEffects.isEmpty || lambdasMade.computesPaths || !lambdasMade.reads.isEmpty {
                    summary = summary ?? FunctionSummary(reads: [name])
                    summary!.reads.formUnion(lambdasMade.reads)
                    summary!.sideEffects.formUnion(lambdasMade.sideEffects)
                    summary!.computesPaths = summary!.computesPaths || lambdasMade.computesPaths
                }
                summaries[name] = summary
            }
            if functionDepth == 0, loopVariables.count <= 1, conditionalDepth == 0, !loopVariables.contains(name) {
                written.insert(name)
            }
            return [name]
        case .expression(let value, _):
            _ = try infer(value)
            return []
        case .expect(let value, _):
            _ = try infer(value)
            if functionDepth == 0, !loopVariables.isEmpty || conditionalDepth > 0 { current.expectsInLoop = true }
            return []
        case .function(let definition):
            if registry[definition.name] != nil {
                throw RuntimeError("'\(definition.name)' is a verb; a function cannot hide it", span: definition.nameSpan)
            }
            // The function may call itself; its body sees its parameters and the names bound
            // so far.
            scopes[scopes.count - 1][definition.name] = .function
            functions[definition.name] = definition
            // What the body reads, applies and computes is the function's summary, and the
            // definition's too. Functions defined inside the body are its own: the tables are
            // put back after it.
            let before = (reads: current.reads, sideEffects: current.sideEffects, computed: current.files.computed)
            let tables = (functions: functions, summaries: summaries)
            current.reads = []
            current.sideEffects = []
            current.files.computed = false
            var local: [String: ValueType] = [:]
            scopes.append(local)
            functionDepth += 1
            defer {
                scopes.removeLast()
                functionDepth -= 1
                (functions, summaries) = tables
                if functionDepth == 0 {
                    summaries[definition.name] = FunctionSummary(
                        reads: current.reads, sideEffects: current.sideEffects, computesPaths: current.files.computed)
                }
                current.reads.formUnion(before.reads)
                current.sideEffects.formUnion(before.sideEffects)
                current.files.computed = current.files.computed || before.computed
            }
            for parameter in definition.parameters {
                if let value = parameter.defaultValue { _ = try infer(value) }
                local[parameter.name] = .any
            }
            scopes[scopes.count - 1] = local
            for inner in definition.body {
                let bound = try check(inner)
                for name in bound where scopes[scopes.count - 1][name] == nil {
                    scopes[scopes.count - 1][name] = .any
                }
            }
            return [definition.name]
        case .loop(let variable, _, let sequence, let body, _):
            _ = try infer(sequence)
            scopes.append([variable: .any])
            loopVariables.append(variable)
            defer {
                loopVariables.removeLast()
                scopes.removeLast()
            }
            var bound: Set<String> = []
            for inner in body {
                let innerBound = try check(inner)
                // A loop's body binds in the scope around the loop.
                for name in innerBound where name != variable {
                    let type = scopes[scopes.count - 1].removeValue(forKey: name) ?? .any
                    scopes[scopes.count - 2][name] = type
                    bound.insert(name)
                }
            }
            return bound
        case .conditional(let branches, let otherwise, _):
            for branch in branches {
                try requireCondition(try infer(branch.condition), branch.condition.span)
            }
            conditionalDepth += 1
            defer { conditionalDepth -= 1 }
            // A branch binds in the scope around the `if`, as a loop's body does. A name that
            // had a type before may keep it (the branch may not run): its type is then unknown.
            let typesBefore = scopes[scopes.count - 1]
            var bound: Set<String> = []
            for body in branches.map(\.body) + [otherwise] {
                for inner in body {
                    bound.formUnion(try check(inner))
                }
            }
            for name in bound {
                if let before = typesBefore[name], before != scopes[scopes.count - 1][name] { scopes[scopes.count - 1][name] = .any }
            }
            return bound
        }
    }

    /// An `if`'s condition is a bool (or may be one).
    private func requireCondition(_ type: ValueType, _ span: SourceSpan) throws {
        guard type == .bool || type == .any else {
            throw RuntimeError(
                "an 'if' needs true or false", span: span, expected: "a bool", found: type.article,
                hint: type == .tensor ? "for a tensor, say which: all (x > 0), or any (x > 0)" : nil)
        }
    }

    private func lookup(_ name: String) -> ValueType? {
        for scope in scopes.reversed() {
            if let type = scope[name] { return type }
        }
        return nil
    }

    private mutating func noteRead(_ name: String) {
        // Reads of names from the top level; locals of a function or loop are not dependencies.
        if scopes.count == 1 || scopes.dropFirst().allSatisfy({ $0[name] == nil }), scopes[0][name] != nil, !written.contains(name) {
            current.reads.insert(name)
        }
    }

    /// Notes a call of a function written in medsynth: it may draw random numbers, and it does
    /// what the function does (see `noteFunctionUse`).
    private mutating func noteCall(_ name: String) {
        current.calls.insert(name)
        current.drawsRandomNumbers = true
        noteFunctionUse(name, asValue: false)
    }

    /// Notes that the statement takes hold of the global function `name` (calls it, passes it
    /// on, binds it under another name): it reads what the function reads and does what it does,
    /// through the functions it calls, as they are bound now. `asValue`: the function itself is
    /// part of a value (not only called), so a name bound to that value may hold it.
    private mutating func noteFunctionUse(_ name: String, asValue: Bool) {
        guard summaries[name] != nil, scopes.dropFirst().allSatisfy({ $0[name] == nil }) else { return }
        if asValue { functionsUsed.insert(name) }
        current.drawsRandomNumbers = true
        let summary = closure(of: [name])
        for read in summary.reads where read == Self.defaultTolerance || (scopes[0][read] != nil && !written.contains(read)) {
            current.reads.insert(read)
        }
        current.sideEffects.formUnion(summary.sideEffects)
        if summary.computesPaths { current.files.computed = true }
    }

    /// The summaries of `functions` and of every function they reach, merged.
    private func closure(of functions: Set<String>) -> FunctionSummary {
        var merged = FunctionSummary(reads: functions)
        var pending = Array(functions)
        var seen = functions
        while let function = pending.popLast() {
            guard let summary = summaries[function] else { continue }
            merged.sideEffects.formUnion(summary.sideEffects)
            merged.computesPaths = merged.computesPaths || summary.computesPaths
            for read in summary.reads where seen.insert(read).inserted {
                merged.reads.insert(read)
                pending.append(read)
            }
        }
        return merged
    }

    /// Notes a verb the statement applies: what it draws and what it does to the world.
    private mutating func noteVerb(_ verb: Verb, givenOptions: [NamedArgument]) {
        current.verbs.insert(verb.name)
        if verb.hasSideEffects { current.sideEffects.insert(verb.name) }
        if case .seeded(let option) = verb.randomness, !givenOptions.contains(where: { $0.name == option }) {
            current.drawsRandomNumbers = true
        }
    }

    /// The static type of an expression, checking it on the way.
    private mutating func infer(_ expression: Expression) throws -> ValueType {
        switch expression {
        case .number: return .number
        case .percent(_, let span):
            throw RuntimeError(
                "a percentage is only a tolerance", span: span,
                hint: "write 'x ~ y +- 5%' for a relative tolerance, or 0.05 for the number")
        case .string: return .string
        case .template(let parts, _):
            for case .value(let value, _, _) in parts { _ = try infer(value) }
            return .string
        case .bool: return .bool
        case .name(let name, let span):
            if let type = lookup(name) {
                noteRead(name)
                // A function named alone runs when all its parameters have defaults (its result
                // is a value, not the function); otherwise it is passed on as a value.
                let isGlobal = scopes.dropFirst().allSatisfy { $0[name] == nil }
                let runs = isGlobal && (functions[name].map { $0.parameters.allSatisfy { $0.defaultValue != nil } } ?? false)
                noteFunctionUse(name, asValue: !runs)
                if runs { noteCall(name) }
                return runs ? .any : type
            }
            if let verb = registry[name] {
                noteVerb(verb, givenOptions: [])
                return verb.parameters.contains { $0.isPositional && $0.isRequired } ? .function : verb.result
            }
            throw RuntimeError(
                "unknown name '\(name)'", span: span,
                hint: Suggestions.didYouMean(name, among: scopes.flatMap(\.keys) + registry.names))
        case .list(let elements, _):
            for element in elements { _ = try infer(element) }
            return .list
        case .record(let fields, _):
            for field in fields { _ = try infer(field.value) }
            return .record
        case .range(let low, let high, _):
            for bound in [low, high] {
                let type = try infer(bound)
                try require(.number, type, bound.span, "a range's bounds")
            }
            return .list
        case .unary(.negate, let operand, let span):
            let type = try infer(operand)
            guard [.number, .tensor, .any].contains(type) else {
                throw RuntimeError("'-' needs a number or a tensor", span: span, expected: "a number or a tensor", found: type.article)
            }
            return type
        case .unary(.not, let operand, _):
            _ = try infer(operand)
            return .bool
        case .binary(let op, let left, let right, let span):
            let a = try infer(left)
            let b = try infer(right)
            do {
                return try binaryType(op, a, b, span: span)
            } catch var error as RuntimeError {
                // `show [a, b] + x` is `(show [a, b]) + x`: an application's arguments end at an operator.
                if case .application(let application) = left, !application.arguments.isEmpty || !application.options.isEmpty {
                    let arguments = source.text(of: application.arguments.first?.span ?? application.span)
                    error.hint = "an application's arguments stop at '\(op.rawValue)': this is (\(source.text(of: application.span))) \(op.rawValue) ...; "
                        + "to \(op.rawValue) first, write \(application.callee) (\(arguments) \(op.rawValue) ...)"
                }
                throw error
            }
        case .approximately(let left, let right, let tolerance, _):
            _ = try infer(left)
            _ = try infer(right)
            if tolerance == nil { current.reads.insert(Self.defaultTolerance) }
            if let tolerance, case .percent = tolerance {} else if let tolerance {
                try require(.number, try infer(tolerance), tolerance.span, "a tolerance")
            }
            return .bool
        case .field(let base, _, _):
            _ = try infer(base)
            return .any
        case .index(let base, let components, let span):
            let type = try infer(base)
            for component in components {
                switch component {
                case .at(let position):
                    try require(.number, try infer(position), position.span, "an index")
                case .slice(let start, let end, let step):
                    for bound in [start, end, step].compactMap({ $0 }) {
                        try require(.number, try infer(bound), bound.span, "a slice bound")
                    }
                }
            }
            guard [.tensor, .list, .any].contains(type) else {
                throw RuntimeError("\(type.article) cannot be indexed", span: span, expected: "a tensor or a list")
            }
            return type == .tensor ? .tensor : .any
        case .application(let application):
            return try inferApplication(application)
        case .conditional(let cases, let otherwise, _):
            var types: Set<ValueType> = []
            for branch in cases {
                try requireCondition(try infer(branch.condition), branch.condition.span)
                types.insert(try infer(branch.value))
            }
            types.insert(try infer(otherwise))
            return types.count == 1 ? types.first! : .any
        case .lambda(let lambda):
            // Its parameters are its own; the other names it reads are read now, when it is
            // made (it keeps their values). What its body does when called (files it reads,
            // side effects) is noted for the name the function is bound to.
            let before = (reads: current.reads, sideEffects: current.sideEffects, computed: current.files.computed)
            current.sideEffects = []
            current.files.computed = false
            scopes.append(Dictionary(lambda.parameters.map { ($0.name, ValueType.any) }, uniquingKeysWith: { first, _ in first }))
            defer { scopes.removeLast() }
            _ = try infer(lambda.body)
            lambdasMade.sideEffects.formUnion(current.sideEffects)
            lambdasMade.computesPaths = lambdasMade.computesPaths || current.files.computed
            lambdasMade.reads.formUnion(current.reads.subtracting(before.reads))
            current.sideEffects.formUnion(before.sideEffects)
            current.files.computed = current.files.computed || before.computed
            return .function
        }
    }

    private func require(_ expected: ValueType, _ found: ValueType, _ span: SourceSpan, _ what: String) throws {
        guard expected.accepts(found) else {
            throw RuntimeError("\(what) must be \(expected.article)", span: span, expected: expected.article, found: found.article)
        }
    }

    private func binaryType(_ op: BinaryOperator, _ a: ValueType, _ b: ValueType, span: SourceSpan) throws -> ValueType {
        switch op {
        case .and, .or: return .bool
        case .in: return .bool
        default: break
        }
        if a == .estimate || b == .estimate {
            throw RuntimeError.estimateIsNotANumber(span: span, found: "\(a.article) and \(b.article)")
        }
        if a == .any || b == .any { return .any }
        let tensorLike: Set<ValueType> = [.number, .tensor, .bool, .list]
        let isComparison = Expression.precedence(of: op) == 4
        if tensorLike.contains(a), tensorLike.contains(b), a == .tensor || b == .tensor {
            return .tensor
        }
        switch (op, a, b) {
        case (_, .number, .number):
            return isComparison ? .bool : .number
        case (.add, .string, .string), (.add, .list, .list):
            return a
        case (.add, .string, .number), (.add, .number, .string):
            return .string
        case (.equal, .list, .list), (.notEqual, .list, .list):
            return .bool
        case (_, .list, .number), (_, .number, .list), (_, .list, .list):
            return .tensor
        case (.equal, _, _) where a == b, (.notEqual, _, _) where a == b:
            return .bool
        default:
            throw RuntimeError(
                "'\(op.rawValue)' cannot combine \(a.article) and \(b.article)", span: span,
                found: "\(a.article) and \(b.article)")
        }
    }

    private mutating func inferApplication(_ application: Application) throws -> ValueType {
        // A verb applied is the verb, even where a value of the same name is bound (as the
        // interpreter does); a function of that name cannot exist.
        if let type = lookup(application.callee), type == .function || type == .any || registry[application.callee] == nil {
            noteRead(application.callee)
            guard type == .function || type == .any else {
                throw RuntimeError(
                    "'\(application.callee)' is \(type.article), not a verb or a function", span: application.calleeSpan,
                    hint: "to multiply, write '*'; to index, write \(application.callee)[...]")
            }
            noteCall(application.callee)
            if let definition = functions[application.callee], scopes.count == 1 || lookup(application.callee) == .function {
                try checkCall(of: definition, application)
            }
            for argument in application.arguments { _ = try infer(argument) }
            for option in application.options { _ = try infer(option.value) }
            return .any
        }
        guard let verb = registry[application.callee] else {
            throw RuntimeError(
                "unknown verb '\(application.callee)'", span: application.calleeSpan,
                hint: StandardLibrary.hint(forUnknown: application.callee)
                    ?? Suggestions.didYouMean(application.callee, among: registry.names + scopes.flatMap(\.keys)))
        }
        let binding = try ArgumentBinding.bind(
            verb: verb, arguments: application.arguments, options: application.options, span: application.span)
        noteVerb(verb, givenOptions: application.options)
        for parameter in verb.parameters {
            for expression in binding.given[parameter.name] ?? [] {
                if case .path = parameter.kind {
                    if case .string(let path, _) = expression { current.files.literal.append(path) } else { current.files.computed = true }
                }
                // The files a pattern names are known only once it runs.
                switch parameter.kind {
                case .pattern, .folder: current.files.computed = true
                default: break
                }
                try checkArgument(expression, for: parameter, of: verb)
            }
        }
        return verb.result
    }

    private mutating func checkArgument(_ expression: Expression, for parameter: Parameter, of verb: Verb) throws {
        if case .choice(let words) = parameter.kind {
            let word: String?
            switch expression {
            case .name(let name, _) where words.contains(name) || lookup(name) == nil: word = name
            case .string(let text, _): word = text
            default: word = nil
            }
            if let word {
                guard words.contains(word) else {
                    throw RuntimeError(
                        "'\(word)' is not a choice of \(parameter.name)", span: expression.span,
                        expected: "one of \(words.joined(separator: ", "))", hint: Suggestions.didYouMean(word, among: words))
                }
                return
            }
        }
        let type = try infer(expression)
        var expected = parameter.kind.type
        // A list of numbers or tensors may stand for a tensor.
        if expected == .tensor, type == .list { expected = .list }
        guard expected.accepts(type) else {
            throw RuntimeError(
                "'\(verb.name)' needs \(parameter.kind.type.article) for \(parameter.name)", span: expression.span,
                expected: "\(parameter.kind.type.article) (\(parameter.help))", found: type.article)
        }
        // A number written out is checked now, as the verb would check it when it runs.
        if case .integer(let range) = parameter.kind, let value = Self.literalNumber(expression),
            Int(wholeNumber: value, in: range.clamped(to: Int.exactInDouble)) == nil
        {
            let bounds = Int.describe(range.clamped(to: Int.exactInDouble))
            throw RuntimeError(
                "'\(verb.name)' needs a whole number\(bounds.isEmpty ? "" : " " + bounds) for \(parameter.name)", span: expression.span,
                expected: parameter.kind.description, found: "the number \(Value.format(value))")
        }
    }

    /// The value of a number written out, `3` or `-1`.
    private static func literalNumber(_ expression: Expression) -> Double? {
        switch expression {
        case .number(let value, _, _): return value
        case .unary(.negate, .number(let value, _, _), _): return -value
        default: return nil
        }
    }

    private func checkCall(of definition: FunctionDefinition, _ application: Application) throws {
        let positional = definition.parameters.filter { $0.defaultValue == nil }
        let optional = definition.parameters.filter { $0.defaultValue != nil }
        guard application.arguments.count == positional.count else {
            throw RuntimeError(
                "'\(definition.name)' takes \(positional.count) argument\(positional.count == 1 ? "" : "s"), given \(application.arguments.count)",
                span: application.span, expected: "\(definition.name) \(positional.map(\.name).joined(separator: " "))")
        }
        for option in application.options where !optional.contains(where: { $0.name == option.name }) {
            throw RuntimeError(
                "'\(definition.name)' has no option '\(option.name)'", span: option.nameSpan,
                expected: optional.isEmpty ? "no options" : "one of \(optional.map(\.name).joined(separator: ", "))",
                hint: Suggestions.didYouMean(option.name, among: optional.map(\.name)))
        }
    }
}
