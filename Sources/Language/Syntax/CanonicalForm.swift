/// The canonical text of the syntax tree: one space between tokens where the language allows
/// it, no comments, numbers in a single spelling. Two statements that differ only in layout have
/// the same canonical form (the notebook cache keys statements by it), and parsing a canonical
/// form gives the same tree back.
extension Expression {
    public var canonicalForm: String {
        switch self {
        case .number(let value, let isInteger, _):
            return Self.spell(value, isInteger: isInteger)
        case .percent(let value, _):
            return Self.spell(value, isInteger: value == value.rounded()) + "%"
        case .string(let value, _):
            return "\"\(Self.escaped(value))\""
        case .template(let parts, _):
            let inner = parts.map { part in
                switch part {
                case .text(let text): return Self.escaped(text)
                case .value(let value, let format, _):
                    return "{\(value.canonicalForm)\(format.map { ":" + $0.written } ?? "")}"
                }
            }
            return "\"\(inner.joined())\""
        case .bool(let value, _):
            return value ? "true" : "false"
        case .name(let name, _):
            return name
        case .list(let elements, _):
            return "[" + elements.map(\.canonicalForm).joined(separator: ", ") + "]"
        case .record(let fields, _):
            return "{" + fields.map { "\($0.name): \($0.value.canonicalForm)" }.joined(separator: ", ") + "}"
        case .range(let low, let high, _):
            return "\(low.grouped(below: 5))..\(high.grouped(below: 5))"
        case .unary(.negate, let operand, _):
            return "-" + operand.grouped(below: 9)
        case .unary(.not, let operand, _):
            return "not " + operand.grouped(below: 3)
        case .binary(let op, let left, let right, _):
            let precedence = Self.precedence(of: op)
            // Left-associative: the right operand groups at equal precedence; `^` the other way.
            let leftLimit = op == .power ? precedence + 1 : precedence
            let rightLimit = op == .power ? precedence : precedence + 1
            return "\(left.grouped(below: leftLimit)) \(op.rawValue) \(right.grouped(below: rightLimit))"
        case .approximately(let left, let right, let tolerance, _):
            let base = "\(left.grouped(below: 5)) ~ \(right.grouped(below: 5))"
            return tolerance.map { "\(base) +- \($0.grouped(below: 5))" } ?? base
        case .field(let value, let name, _):
            return "\(value.grouped(below: 11)).\(name)"
        case .index(let value, let components, _):
            let inner = components.map { component -> String in
                switch component {
                case .at(let index): return index.canonicalForm
                case .slice(let start, let end, let step):
                    let bounds = "\(start?.canonicalForm ?? ""):\(end?.canonicalForm ?? "")"
                    return step.map { "\(bounds):\($0.canonicalForm)" } ?? bounds
                }
            }
            return "\(value.grouped(below: 11))[\(inner.joined(separator: ", "))]"
        case .application(let application):
            var parts = [application.callee]
            parts += application.arguments.map { $0.grouped(below: 11) }
            parts += application.options.map { "\($0.name)=\($0.value.optionForm)" }
            return parts.joined(separator: " ")
        case .conditional(let cases, let otherwise, _):
            let branches = cases.enumerated().map { index, branch in
                "\(index == 0 ? "if" : "elif") \(branch.condition.grouped(below: 1)) then \(branch.value.grouped(below: 1))"
            }
            return branches.joined(separator: " ") + " else " + otherwise.canonicalForm
        case .lambda(let lambda):
            return "fn " + lambda.parameters.map(\.name).joined(separator: " ") + " -> " + lambda.body.canonicalForm
        }
    }

    /// Text as a string literal spells it, without the quotes.
    static func escaped(_ text: String) -> String {
        text.replacingScalars(["\\": "\\\\", "\"": "\\\"", "\n": "\\n", "\t": "\\t", "{": "\\{", "}": "\\}"])
    }

    /// Binding strength, loosest first: conditional values and functions 0 (they reach as far
    /// as they can), or 1, and 2, not 3, comparisons 4, range 5, + - 6, * / 7, unary minus 8,
    /// ^ 9, application 10, postfix and atoms 11.
    var precedence: Int {
        switch self {
        case .conditional, .lambda: return 0
        case .binary(let op, _, _, _): return Self.precedence(of: op)
        case .unary(.not, _, _): return 3
        case .unary(.negate, _, _): return 8
        case .approximately: return 4
        case .range: return 5
        case .application(let application):
            return application.arguments.isEmpty && application.options.isEmpty ? 11 : 10
        default: return 11
        }
    }

    static func precedence(of op: BinaryOperator) -> Int {
        switch op {
        case .or: return 1
        case .and: return 2
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in: return 4
        case .add, .subtract: return 6
        case .multiply, .divide: return 7
        case .power: return 9
        }
    }

    /// The form of an option's value: `low=-1` needs no parentheses, `low=(a + b)` does.
    var optionForm: String {
        if case .unary(.negate, let operand, _) = self, operand.precedence == 11 {
            return "-" + operand.canonicalForm
        }
        return grouped(below: 11)
    }

    /// The canonical form, in parentheses when it binds more loosely than `limit`.
    func grouped(below limit: Int) -> String {
        precedence < limit ? "(\(canonicalForm))" : canonicalForm
    }

    /// Integers without a point; other numbers in Swift's shortest round-tripping spelling.
    static func spell(_ value: Double, isInteger: Bool) -> String {
        if isInteger, value.magnitude < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension Statement {
    public var canonicalForm: String {
        switch self {
        case .binding(let name, _, let value, _):
            return "\(name) = \(value.canonicalForm)"
        case .expression(let value, _):
            return value.canonicalForm
        case .expect(let condition, _):
            return "expect \(condition.canonicalForm)"
        case .function(let definition):
            var head = "def \(definition.name)"
            for parameter in definition.parameters {
                head += " \(parameter.name)"
                if let value = parameter.defaultValue { head += "=\(value.optionForm)" }
            }
            if definition.body.count == 1, case .expression(let body, _) = definition.body[0] {
                return "\(head) = \(body.canonicalForm)"
            }
            return "\(head) do\n" + Self.indented(definition.body) + "\nend"
        case .loop(let variable, _, let sequence, let body, _):
            return "for \(variable) in \(sequence.canonicalForm) do\n" + Self.indented(body) + "\nend"
        case .conditional(let branches, let otherwise, _):
            var text = ""
            for (index, branch) in branches.enumerated() {
                text += "\(index == 0 ? "if" : "elif") \(branch.condition.canonicalForm) do\n" + Self.indented(branch.body) + "\n"
            }
            if !otherwise.isEmpty { text += "else\n" + Self.indented(otherwise) + "\n" }
            return text + "end"
        }
    }

    static func indented(_ statements: [Statement]) -> String {
        statements.map { statement in
            statement.canonicalForm.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "    " + $0 }.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
