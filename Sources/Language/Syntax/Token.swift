/// One lexical unit of medsynth source.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case name(String)
        /// A number; `isInteger` when written without a point or exponent.
        case number(Double, isInteger: Bool)
        /// A number written with a percent sign, e.g. `5%`, a relative tolerance.
        case percent(Double)
        case string(String)
        /// A string with `{expression}` holes in it: `"patient{i:03}"`.
        case template([TemplatePiece])
        case keyword(Keyword)
        case symbol(Symbol)
        /// The end of a statement: a line break outside brackets, or `;`.
        case newline
        case end
    }

    public enum Keyword: String, Sendable, CaseIterable {
        case def, `for`, `in`, `do`, end, expect, and, or, not, `true`, `false`
        case `if`, elif, `else`, then, fn
    }

    public enum Symbol: String, Sendable, CaseIterable {
        case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
        case leftBrace = "{", rightBrace = "}", comma = ",", colon = ":", dot = "."
        case assign = "=", equal = "==", notEqual = "!=", less = "<", lessEqual = "<="
        case greater = ">", greaterEqual = ">=", approximately = "~", plusMinus = "+-"
        case plus = "+", minus = "-", times = "*", divide = "/", power = "^", range = ".."
        case arrow = "->"
    }

    public var kind: Kind
    public var span: SourceSpan
    /// Whether white space separates this token from the one before: `x[0]` indexes, `f [0]`
    /// applies `f` to a list.
    public var followsSpace: Bool

    public init(_ kind: Kind, _ span: SourceSpan, followsSpace: Bool) {
        self.kind = kind
        self.span = span
        self.followsSpace = followsSpace
    }

    /// How a diagnostic names the token: "'='", "the name 'x'", "the end of the line".
    public var readableName: String {
        switch kind {
        case .name(let name): return "the name '\(name)'"
        case .number: return "a number"
        case .percent: return "a percentage"
        case .string, .template: return "a string"
        case .keyword(let keyword): return "'\(keyword.rawValue)'"
        case .symbol(let symbol): return "'\(symbol.rawValue)'"
        case .newline: return "the end of the line"
        case .end: return "the end of the input"
        }
    }
}

/// A piece of a string with holes: text written out, or a hole's expression.
public enum TemplatePiece: Sendable, Equatable {
    case text(String)
    /// `{expression}` or `{expression:format}`: the expression's tokens (ending with `.end`),
    /// the format as written, where it was written, and the span of the hole with its braces.
    case hole(tokens: [Token], format: String?, formatSpan: SourceSpan?, span: SourceSpan)
}
