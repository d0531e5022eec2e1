import Foundation

/// Turns source text into tokens. Line breaks inside brackets are white space; elsewhere they
/// end statements. `--` starts a comment that runs to the end of the line.
public struct Lexer {
    private let source: SourceFile
    private var offset = 0
    private var depth = 0
    private var tokens: [Token] = []
    private var sawSpace = true

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
            switch scalar {
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
                case .leftParen, .leftBracket, .leftBrace: depth += 1
                case .rightParen, .rightBracket, .rightBrace: depth = max(0, depth - 1)
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

    private mutating func lexString() throws(Diagnostic) {
        let start = offset
        offset += 1
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
                case "\"", "\\": value.append(escaped)
                default:
                    throw Diagnostic(
                        "unknown escape '\\\(escaped)'", at: SourceSpan(offset - 2, offset), in: source,
                        expected: "one of \\n \\t \\\" \\\\")
                }
            } else {
                value.append(scalar)
            }
        }
        append(.string(String(value)), from: start)
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
    }

    static func isNameContinue(_ scalar: Unicode.Scalar) -> Bool {
        isNameStart(scalar) || isDigit(scalar)
    }
}
