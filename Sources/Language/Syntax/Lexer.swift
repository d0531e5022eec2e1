import Foundation

/// Turns source text into tokens. Line breaks inside brackets are white space; elsewhere they
/// end statements. `--` starts a comment that runs to the end of the line.
public struct Lexer {
    private let source: SourceFile
    private var offset = 0
    private var depth = 0
    private var tokens: [Token] = []
    private var sawSpace = true
    /// How many string holes this lexer is inside: above 0 it lexes the expression of a hole
    /// and stops at the `}` or `:` that ends it.
    private var holeDepth = 0
    /// Where the `{` of the hole being lexed is, for the errors that say it is not closed.
    private var holeOpen = 0
    /// Inside a hole, the brackets open, innermost last, with where each opened: a `}` must
    /// close a `{` there, or it would end the hole early (`"{(}"`).
    private var openBrackets: [(symbol: Token.Symbol, at: Int)] = []

    /// How deeply holes may nest inside strings inside holes: `"{"{x}"}"` is two levels.
    public static let maximumHoleNesting = 4

    public init(_ source: SourceFile) {
        self.source = source
    }

    /// All tokens, ending with `.end`.
    public static func tokens(of source: SourceFile) throws(Diagnostic) -> [Token] {
        var lexer = Lexer(source)
        return try lexer.run()
    }

    private var text: [Unicode.Scalar] { source.text }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        offset + ahead < text.count ? text[offset + ahead] : nil
    }

    private mutating func run() throws(Diagnostic) -> [Token] {
        while let scalar = peek() {
            let start = offset
            if holeDepth > 0, depth == 0, scalar == "}" || scalar == ":" { break }
            switch scalar {
            case "\n" where holeDepth > 0:
                throw Diagnostic(
                    "this '{' in a string is not closed on its line", at: SourceSpan(holeOpen, start), in: source,
                    hint: "end the value with '}', or write \\{ for a brace")
            case " ", "\t", "\r":
                offset += 1
                sawSpace = true
            case "\n", ";":
                offset += 1
                if depth == 0 || scalar == ";" { append(.newline, from: start) }
                sawSpace = true
            case "-" where peek(1) == "-":
                while let next = peek(), next != "\n" { offset += 1 }
                sawSpace = true
            case "\"":
                try lexString()
            case "0"..."9":
                try lexNumber()
            case "." where peek(1).map(Self.isDigit) ?? false:
                try lexNumber()
            case _ where Self.isNameStart(scalar):
                while let next = peek(), Self.isNameContinue(next) { offset += 1 }
                let word = String(String.UnicodeScalarView(text[start..<offset]))
                append(Token.Keyword(rawValue: word).map(Token.Kind.keyword) ?? .name(word), from: start)
            default:
                try lexSymbol()
            }
        }
        if holeDepth > 0, peek() == nil {
            throw Diagnostic(
                "this '{' in a string is not closed", at: SourceSpan(holeOpen, offset), in: source,
                hint: "end the value with '}', or write \\{ for a brace")
        }
        append(.end, from: offset)
        return tokens
    }

    private mutating func append(_ kind: Token.Kind, from start: Int) {
        tokens.append(Token(kind, SourceSpan(start, offset), followsSpace: sawSpace))
        sawSpace = false
    }

    private mutating func lexSymbol() throws(Diagnostic) {
        let start = offset
        // Longest match first: "..", "==", "<=", "+-" before ".", "=", "<", "+".
        for length in [2, 1] {
            guard offset + length <= text.count else { continue }
            let candidate = String(String.UnicodeScalarView(text[offset..<(offset + length)]))
            if let symbol = Token.Symbol(rawValue: candidate) {
                offset += length
                switch symbol {
                case .leftParen, .leftBracket, .leftBrace:
                    depth += 1
                    if holeDepth > 0 { openBrackets.append((symbol, start)) }
                case .rightParen, .rightBracket, .rightBrace:
                    depth = max(0, depth - 1)
                    if holeDepth > 0, let (opener, at) = openBrackets.popLast() {
                        let matching: [Token.Symbol: Token.Symbol] = [.leftParen: .rightParen, .leftBracket: .rightBracket, .leftBrace: .rightBrace]
                        guard matching[opener] == symbol else {
                            throw Diagnostic(
                                "'\(symbol.rawValue)' does not close the '\(opener.rawValue)' opened here", at: SourceSpan(at, offset), in: source,
                                expected: "'\(matching[opener]!.rawValue)'")
                        }
                    }
                default: break
                }
                append(.symbol(symbol), from: start)
                return
            }
        }
        if text[offset] == "±" {
            offset += 1
            append(.symbol(.plusMinus), from: start)
            return
        }
        throw Diagnostic(
            "unexpected character '\(text[offset])'", at: SourceSpan(start, start + 1), in: source,
            hint: text[offset] == "#" ? "comments start with '--'" : nil)
    }

    private mutating func lexNumber() throws(Diagnostic) {
        let start = offset
        var isInteger = true
        while let next = peek(), Self.isDigit(next) || next == "_" { offset += 1 }
        // A point is part of the number only before a digit: `0.5..1` is 0.5, "..", 1.
        if peek() == ".", let after = peek(1), Self.isDigit(after) {
            isInteger = false
            offset += 1
            while let next = peek(), Self.isDigit(next) || next == "_" { offset += 1 }
        }
        if let e = peek(), e == "e" || e == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if let digit = peek(signed ? 2 : 1), Self.isDigit(digit) {
                isInteger = false
                offset += signed ? 2 : 1
                while let next = peek(), Self.isDigit(next) { offset += 1 }
            }
        }
        let written = String(String.UnicodeScalarView(text[start..<offset])).replacingOccurrences(of: "_", with: "")
        guard let value = Double(written) else {
            throw Diagnostic("'\(written)' is not a number", at: SourceSpan(start, offset), in: source)
        }
        if let next = peek(), Self.isNameStart(next) {
            while let next = peek(), Self.isNameContinue(next) { offset += 1 }
            throw Diagnostic(
                "a number cannot run into a name", at: SourceSpan(start, offset), in: source,
                hint: "put a space between them, or start the name with a letter")
        }
        if peek() == "%" {
            offset += 1
            append(.percent(value), from: start)
        } else {
            append(.number(value, isInteger: isInteger), from: start)
        }
    }

    /// A string literal; `{expression}` in it makes a template whose holes are lexed here, in
    /// the coordinates of the whole source, so that diagnostics inside a hole point into it.
    private mutating func lexString() throws(Diagnostic) {
        let start = offset
        offset += 1
        var pieces: [TemplatePiece] = []
        var value = String.UnicodeScalarView()
        while true {
            guard let scalar = peek(), scalar != "\n" else {
                throw Diagnostic(
                    "this string has no closing quote", at: SourceSpan(start, offset), in: source,
                    hint: "strings end on the line they start; write \\n for a line break")
            }
            offset += 1
            if scalar == "\"" { break }
            if scalar == "\\" {
                guard let escaped = peek() else { continue }
                offset += 1
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "\"", "\\", "{", "}": value.append(escaped)
                default:
                    throw Diagnostic(
                        "unknown escape '\\\(escaped)'", at: SourceSpan(offset - 2, offset), in: source,
                        expected: "one of \\n \\t \\\" \\\\ \\{ \\}")
                }
            } else if scalar == "{" {
                if !value.isEmpty { pieces.append(.text(String(value))) }
                value = String.UnicodeScalarView()
                pieces.append(try lexHole(openedAt: offset - 1))
            } else {
                value.append(scalar)
            }
        }
        if pieces.isEmpty {
            append(.string(String(value)), from: start)
        } else {
            if !value.isEmpty { pieces.append(.text(String(value))) }
            append(.template(pieces), from: start)
        }
    }

    /// The hole of a string whose `{` is at `open`: its expression's tokens, up to the `}` or
    /// the `:` before a format, and the format.
    private mutating func lexHole(openedAt open: Int) throws(Diagnostic) -> TemplatePiece {
        guard holeDepth < Self.maximumHoleNesting else {
            throw Diagnostic(
                "strings nest too deeply inside '{...}' (more than \(Self.maximumHoleNesting) levels)",
                at: SourceSpan(open, open + 1), in: source, hint: "name the inner string first")
        }
        var inner = Lexer(source)
        inner.offset = offset
        inner.holeDepth = holeDepth + 1
        inner.holeOpen = open
        let tokens = try inner.run()
        offset = inner.offset
        guard tokens.count > 1 else {
            throw Diagnostic(
                "a '{...}' in a string needs a value inside", at: SourceSpan(open, offset + 1), in: source,
                hint: "write \\{ for a brace")
        }
        var format: String?
        var formatSpan: SourceSpan?
        if peek() == ":" {
            offset += 1
            let formatStart = offset
            while let scalar = peek(), scalar != "}", scalar != "\"", scalar != "\n" { offset += 1 }
            format = String(String.UnicodeScalarView(text[formatStart..<offset]))
            formatSpan = SourceSpan(formatStart, offset)
        }
        guard peek() == "}" else {
            throw Diagnostic(
                "this '{' in a string is not closed", at: SourceSpan(open, offset), in: source,
                hint: "end the value with '}', or write \\{ for a brace")
        }
        offset += 1
        return .hole(tokens: tokens, format: format, formatSpan: formatSpan, span: SourceSpan(open, offset))
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
    }

    static func isNameContinue(_ scalar: Unicode.Scalar) -> Bool {
        isNameStart(scalar) || isDigit(scalar)
    }
}
