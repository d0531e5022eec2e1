/// The syntax tree the parser builds: statements of expressions, each carrying its span.

/// An expression.
public indirect enum Expression: Sendable, Equatable {
    case number(Double, isInteger: Bool, SourceSpan)
    case percent(Double, SourceSpan)
    case string(String, SourceSpan)
    /// A string with values in it, `"patient{i:03}"`.
    case template([TemplatePart], SourceSpan)
    case bool(Bool, SourceSpan)
    case name(String, SourceSpan)
    case list([Expression], SourceSpan)
    case record([(name: String, value: Expression)], SourceSpan)
    /// `a..b`, an inclusive range of numbers (for `expect x in a..b` and `for i in 0..3`).
    case range(Expression, Expression, SourceSpan)
    case unary(UnaryOperator, Expression, SourceSpan)
    case binary(BinaryOperator, Expression, Expression, SourceSpan)
    /// `a ~ b +- tolerance`: true when |a - b| is within the tolerance (absolute, or relative to
    /// |b| when written as a percentage). Without a tolerance the language's default applies.
    case approximately(Expression, Expression, tolerance: Expression?, SourceSpan)
    case field(Expression, String, SourceSpan)
    case index(Expression, [IndexComponent], SourceSpan)
    /// `verb argument... option=value...`: a verb or function applied by juxtaposition.
    case application(Application)
    /// `if c then a elif d then b else e`: the value of the first branch whose condition holds.
    case conditional([ConditionalCase], otherwise: Expression, SourceSpan)
    /// `fn x y -> body`: a function without a name, which keeps the local values it sees.
    case lambda(Lambda)

    public var span: SourceSpan {
        switch self {
        case .number(_, _, let span), .percent(_, let span), .string(_, let span), .template(_, let span), .bool(_, let span),
            .name(_, let span), .list(_, let span), .record(_, let span), .range(_, _, let span),
            .unary(_, _, let span), .binary(_, _, _, let span), .approximately(_, _, _, let span),
            .field(_, _, let span), .index(_, _, let span), .conditional(_, _, let span):
            return span
        case .application(let application):
            return application.span
        case .lambda(let lambda):
            return lambda.span
        }
    }

    public static func == (a: Expression, b: Expression) -> Bool {
        a.canonicalForm == b.canonicalForm && a.span == b.span
    }
}

/// A piece of a string with values in it: text, or a value written in a format.
public enum TemplatePart: Sendable, Equatable {
    case text(String)
    /// `{expression}` or `{expression:format}`; the span covers the braces.
    case value(Expression, format: TextFormat?, span: SourceSpan)
}

/// One `if`/`elif` branch of a conditional value.
public struct ConditionalCase: Sendable, Equatable {
    public var condition: Expression
    public var value: Expression

    public init(condition: Expression, value: Expression) {
        self.condition = condition
        self.value = value
    }
}

/// `fn x y -> body`.
public struct Lambda: Sendable, Equatable {
    public var parameters: [(name: String, span: SourceSpan)]
    public var body: Expression
    public var span: SourceSpan

    public init(parameters: [(name: String, span: SourceSpan)], body: Expression, span: SourceSpan) {
        self.parameters = parameters
        self.body = body
        self.span = span
    }

    public static func == (a: Lambda, b: Lambda) -> Bool {
        a.parameters.map(\.name) == b.parameters.map(\.name) && a.body == b.body && a.span == b.span
    }
}

/// A verb or function with its arguments.
public struct Application: Sendable, Equatable {
    public var callee: String
    public var calleeSpan: SourceSpan
    public var arguments: [Expression]
    public var options: [NamedArgument]
    public var span: SourceSpan

    public init(callee: String, calleeSpan: SourceSpan, arguments: [Expression], options: [NamedArgument], span: SourceSpan) {
        self.callee = callee
        self.calleeSpan = calleeSpan
        self.arguments = arguments
        self.options = options
        self.span = span
    }
}

/// `name=value` in an application.
public struct NamedArgument: Sendable, Equatable {
    public var name: String
    public var nameSpan: SourceSpan
    public var value: Expression

    public init(name: String, nameSpan: SourceSpan, value: Expression) {
        self.name = name
        self.nameSpan = nameSpan
        self.value = value
    }
}

/// One component of `x[...]`: a position, or a slice `start:end:step` with optional parts.
public enum IndexComponent: Sendable, Equatable {
    case at(Expression)
    case slice(start: Expression?, end: Expression?, step: Expression?)
}

public enum UnaryOperator: String, Sendable {
    case negate = "-", not = "not"
}

public enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and, or
    /// `x in a..b` or `x in [a, b, c]`.
    case `in`
}

/// A statement of a script, cell or REPL entry.
public indirect enum Statement: Sendable, Equatable {
    /// `name = expression`.
    case binding(name: String, nameSpan: SourceSpan, value: Expression, span: SourceSpan)
    /// An expression on its own; its value is displayed.
    case expression(Expression, span: SourceSpan)
    /// `expect condition`.
    case expect(Expression, span: SourceSpan)
    /// `def name parameter... option=default... = expression`, or with a `do ... end` body whose
    /// last expression is the result.
    case function(FunctionDefinition)
    /// `for name in expression do ... end`.
    case loop(variable: String, variableSpan: SourceSpan, sequence: Expression, body: [Statement], span: SourceSpan)
    /// `if condition do ... elif condition do ... else ... end`: the statements of the first
    /// branch whose condition holds, run in the scope around (as a loop's body is).
    case conditional(branches: [ConditionalBranch], otherwise: [Statement], span: SourceSpan)

    public var span: SourceSpan {
        switch self {
        case .binding(_, _, _, let span), .expression(_, let span), .expect(_, let span),
            .loop(_, _, _, _, let span), .conditional(_, _, let span):
            return span
        case .function(let definition):
            return definition.span
        }
    }
}

/// One `if`/`elif` branch of a conditional statement.
public struct ConditionalBranch: Sendable, Equatable {
    public var condition: Expression
    public var body: [Statement]

    public init(condition: Expression, body: [Statement]) {
        self.condition = condition
        self.body = body
    }
}

/// A function written in medsynth.
public struct FunctionDefinition: Sendable, Equatable {
    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var span: SourceSpan
        /// Present for an option (`name=default`), absent for a positional parameter.
        public var defaultValue: Expression?
    }

    public var name: String
    public var nameSpan: SourceSpan
    public var parameters: [Parameter]
    public var body: [Statement]
    public var span: SourceSpan
}
