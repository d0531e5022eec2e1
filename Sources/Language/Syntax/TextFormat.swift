/// How a hole of a string, `"{x:08.3f}"`, or the `format` verb writes a value: a small part of
/// Python's format mini-language, `[align][+][0][width][.precision][type]`.
///
/// - align: `<` left, `>` right, `^` centre (numbers go right by default, text left);
/// - `+`: a sign on positive numbers too; `0`: pad with zeros instead of spaces (after a
///   number's sign, unless an alignment is given: then on that side, as Python does);
/// - width: the least number of characters; precision: digits after the point (`f`, `e`, `%`)
///   or significant digits (`g`, or no type);
/// - type: `d` whole number, `f` fixed point, `e` exponent, `g` general, `%` percent (times
///   100, fixed point), `s` text; none writes numbers as the REPL shows them.
public struct TextFormat: Sendable, Equatable {
    public enum Alignment: Character, Sendable {
        case left = "<", right = ">", centre = "^"
    }

    public enum Kind: Character, Sendable, CaseIterable {
        case whole = "d", fixed = "f", exponent = "e", general = "g", percent = "%", text = "s"
    }

    public var alignment: Alignment?
    public var alwaysSigned = false
    public var zeroPadded = false
    public var width = 0
    public var precision: Int?
    public var kind: Kind?
    /// The format as written, for the canonical form.
    public var written: String

    /// The widest a format may pad to, and the most digits it may ask for.
    public static let maximumWidth = 1000
    public static let maximumPrecision = 100

    /// Parses `text`; the error says what is wrong, in words.
    public init(parsing text: String) throws(FormatProblem) {
        written = text
        var rest = Substring(text)
        if let first = rest.first, let alignment = Alignment(rawValue: first) {
            self.alignment = alignment
            rest.removeFirst()
        }
        if rest.first == "+" {
            alwaysSigned = true
            rest.removeFirst()
        }
        if rest.first == "0" {
            zeroPadded = true
            rest.removeFirst()
        }
        let widthDigits = rest.prefix { $0.isASCII && $0.isNumber }
        rest.removeFirst(widthDigits.count)
        if !widthDigits.isEmpty {
            guard let width = Int(widthDigits), width <= Self.maximumWidth else {
                throw FormatProblem("a width is at most \(Self.maximumWidth)")
            }
            self.width = width
        }
        if rest.first == "." {
            rest.removeFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest.removeFirst(digits.count)
            guard let precision = Int(digits), precision <= Self.maximumPrecision else {
                throw FormatProblem(digits.isEmpty ? "a '.' needs the number of digits after it" : "a precision is at most \(Self.maximumPrecision)")
            }
            self.precision = precision
        }
        if let first = rest.first, let kind = Kind(rawValue: first) {
            self.kind = kind
            rest.removeFirst()
        }
        guard rest.isEmpty else {
            throw FormatProblem(rest.count == text.count ? "'\(text)' is not a format" : "'\(text)' is not a format: '\(rest)' is left over")
        }
        if kind == .whole, precision != nil {
            throw FormatProblem("'d' writes whole numbers and takes no precision")
        }
        if kind == .text, alwaysSigned {
            throw FormatProblem("'s' writes text, which has no sign to show")
        }
    }

    /// `number` written in this format.
    public func write(_ number: Double) throws(FormatProblem) -> String {
        if kind == .text { return pad(Self.plain(number), numeric: false) }
        var digits: String
        if !number.isFinite {
            digits = number.isNaN ? "nan" : "inf"
        } else {
            switch kind {
            case .whole:
                guard number == number.rounded() else {
                    throw FormatProblem("'d' writes whole numbers, and \(Self.plain(number)) is not one; '.0f' rounds it")
                }
                guard number.magnitude < 1e18 else {
                    throw FormatProblem("\(Self.plain(number)) is too large for 'd'; 'e' or '.0f' writes it")
                }
                digits = String(Int64(number).magnitude)
            case .fixed: digits = Self.c("%.\(precision ?? 6)f", number.magnitude)
            case .exponent: digits = Self.c("%.\(precision ?? 6)e", number.magnitude)
            case .general: digits = Self.c("%.\(precision ?? 6)g", number.magnitude)
            case .percent: digits = Self.c("%.\(precision ?? 6)f", number.magnitude * 100) + "%"
            case .text, nil:
                digits = precision.map { Self.c("%.\($0 == 0 ? 1 : $0)g", number.magnitude) } ?? Self.plain(number.magnitude)
            }
        }
        let sign = number < 0 ? "-" : alwaysSigned && !number.isNaN ? "+" : ""
        if zeroPadded, alignment == nil, number.isFinite, digits.count + sign.count < width {
            return sign + String(repeating: "0", count: width - digits.count - sign.count) + digits
        }
        return pad(sign + digits, numeric: true)
    }

    /// `text` written in this format; number types do not apply to it.
    public func write(text: String) throws(FormatProblem) -> String {
        if let kind, kind != .text {
            throw FormatProblem("'\(kind.rawValue)' formats numbers only")
        }
        if alwaysSigned { throw FormatProblem("text has no sign to show") }
        let shown = precision.map { String(text.prefix($0)) } ?? text
        return pad(shown, numeric: false)
    }

    /// `text` widened to `width`: with spaces, or with zeros when the format says `0` (as
    /// Python pads, zeros follow the alignment when one is given).
    private func pad(_ text: String, numeric: Bool) -> String {
        let missing = width - text.count
        guard missing > 0 else { return text }
        let fill = zeroPadded ? "0" : " "
        switch alignment ?? (numeric ? .right : .left) {
        case .left: return text + String(repeating: fill, count: missing)
        case .right: return String(repeating: fill, count: missing) + text
        case .centre:
            let before = missing / 2
            return String(repeating: fill, count: before) + text + String(repeating: fill, count: missing - before)
        }
    }

    /// Numbers as the REPL shows them: integers without a point, others to 6 significant
    /// digits.
    public static func plain(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), value.magnitude < 1e15 { return String(Int64(value)) }
        let magnitude = value.magnitude
        if magnitude >= 1e-4, magnitude < 1e6 {
            let text = c("%.6g", value)
            return text.contains("e") ? "\(value)" : text
        }
        return c("%.4e", value)
    }

    private static func c(_ format: String, _ value: Double) -> String {
        String(format: format, value)
    }
}

/// What is wrong with a format or with the value given to it.
public struct FormatProblem: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
