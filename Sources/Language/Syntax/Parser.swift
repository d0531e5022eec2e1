/// A recursive-descent parser for the grammar in docs/grammar.md; each function below parses
/// the rule of the same name there.
public struct Parser {
    private let source: SourceFile
    private let tokens: [Token]
    private var position = 0
    /// Brackets open around the current expression: commas separate a verb's arguments only
    /// outside brackets (`show a, b` has two arguments; `[f a, b]` is a list of two).
    private var bracketDepth = 0
    /// Constructs open around the current token: brackets, operators' operands, blocks.
    private var nesting = 0
    /// The stack the parser recurses on: on a thread with a small one, nesting ends sooner.
    private let stack = StackLimit()

    /// How deeply constructs may nest below a statement: brackets, operators, blocks and each
    /// link of a chain like `a + b + c` count a level. Every walker of the syntax tree (the
    /// analyser, the interpreter, canonical forms, the notebook's cache key) recurses once per
    /// level, so this bound keeps them all within their stack; people write a dozen levels.
    /// (The parser needs about 8 KiB of stack per level in a release build and 40 KiB in a
    /// debug build, so 100 levels stay well inside a main thread's 8 MiB.)
    public static let maximumNesting = 100

    private init(source: SourceFile, tokens: [Token]) {
        self.source = source
        self.tokens = tokens
    }

    /// The statements of a source file.
    public static func parse(_ source: SourceFile) throws(Diagnostic) -> [Statement] {
        var parser = Parser(source: source, tokens: try Lexer.tokens(of: source))
        return try parser.program()
    }

    /// Whether `text` stops in the middle of a statement: inside brackets, a `do` block without
    /// its `end`, or after an operator. The REPL keeps reading lines while this holds.
    public static func needsMoreInput(_ text: String) -> Bool {
        guard let tokens = try? Lexer.tokens(of: SourceFile(name: "<input>", text: text)) else {
            return false
        }
        var brackets = 0
        var blocks = 0
        // The `do` after an `elif` condition continues the `if`'s block; it opens none.
        var afterElif = false
        var last: Token.Kind?
        for (index, token) in tokens.enumerated() {
            // A keyword directly followed by `=` names an option (`end=0.02`), as the parser
            // reads it: it opens or closes no block.
            let next = tokens[min(index + 1, tokens.count - 1)]
            if case .keyword = token.kind, next.kind == .symbol(.assign), !next.followsSpace { continue }
            switch token.kind {
            case .symbol(.leftParen), .symbol(.leftBracket), .symbol(.leftBrace): brackets += 1
            case .symbol(.rightParen), .symbol(.rightBracket), .symbol(.rightBrace): brackets -= 1
            case .keyword(.elif): afterElif = true
            case .keyword(.then): afterElif = false  // a value's elif: no `do` follows it
            case .keyword(.do):
                if afterElif { afterElif = false } else { blocks += 1 }
            case .keyword(.end): blocks -= 1
            default: break
            }
            if token.kind != .newline, token.kind != .end { last = token.kind }
        }
        if brackets > 0 || blocks > 0 { return true }
        switch last {
        case .symbol(let symbol):
            return ![.rightParen, .rightBracket, .rightBrace].contains(symbol)
        case .keyword(let keyword):
            return [.and, .or, .not, .in, .expect, .def, .for, .if, .then, .else, .fn].contains(keyword)
        default:
            return false
        }
    }

    // MARK: Token access

    private var current: Token { tokens[position] }
    private var previous: Token { tokens[max(0, position - 1)] }

    private func peek(_ ahead: Int) -> Token {
        tokens[min(position + ahead, tokens.count - 1)]
    }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func check(_ symbol: Token.Symbol) -> Bool { current.kind == .symbol(symbol) }
    private func check(_ keyword: Token.Keyword) -> Bool { current.kind == .keyword(keyword) }

    private mutating func match(_ symbol: Token.Symbol) -> Bool {
        guard check(symbol) else { return false }
        advance()
        return true
    }

    private mutating func match(_ keyword: Token.Keyword) -> Bool {
        guard check(keyword) else { return false }
        advance()
        return true
    }

    private func error(_ message: String, at token: Token? = nil, expected: String? = nil, hint: String? = nil) -> Diagnostic {
        let token = token ?? current
        return Diagnostic(message, at: token.span, in: source, expected: expected, found: token.readableName, hint: hint)
    }

    private mutating func expect(_ symbol: Token.Symbol, _ context: String) throws(Diagnostic) -> Token {
        guard check(symbol) else {
            throw error("expected '\(symbol.rawValue)' \(context)", expected: "'\(symbol.rawValue)'")
        }
        return advance()
    }

    private mutating func expectName(_ context: String) throws(Diagnostic) -> (String, SourceSpan) {
        guard case .name(let name) = current.kind else {
            var hint: String?
            if case .keyword(let keyword) = current.kind {
                hint = "'\(keyword.rawValue)' is a keyword and cannot be a name"
            }
            throw error("expected a name \(context)", expected: "a name", hint: hint)
        }
        let span = advance().span
        return (name, span)
    }

    // MARK: Statements

    private mutating func program() throws(Diagnostic) -> [Statement] {
        var statements: [Statement] = []
        skipSeparators()
        while current.kind != .end {
            if check(.end) {
                throw error("'end' without a 'do' block to close")
            }
            for stray in [Token.Keyword.elif, .else, .then] where check(stray) {
                throw error("'\(stray.rawValue)' without an 'if' before it", hint: "write 'if condition do ... else ... end', or 'if c then a else b' for a value")
            }
            statements.append(try statement())
            try endOfStatement()
        }
        return statements
    }

    private mutating func skipSeparators() {
        while current.kind == .newline { advance() }
    }

    /// After a statement: a line break, `;`, the end of input, or (inside a block) `end`.
    private mutating func endOfStatement() throws(Diagnostic) {
        switch current.kind {
        case .newline: skipSeparators()
        case .end, .keyword(.end), .keyword(.elif), .keyword(.else): break
        default:
            var hint: String?
            if case .symbol(.assign) = current.kind {
                hint = "only a name can be assigned to; '==' compares"
            } else if case .symbol(.leftBracket) = current.kind, current.followsSpace {
                hint = "to index, write the bracket right after the value: x[0]"
            }
            throw error("expected the end of the statement", expected: "a line break or ';'", hint: hint)
        }
    }

    private mutating func statement() throws(Diagnostic) -> Statement {
        let start = current.span
        switch current.kind {
        case .keyword(.def):
            return .function(try functionDefinition())
        case .keyword(.for):
            return try loop()
        case .keyword(.if):
            return try conditional()
        case .keyword(.expect):
            advance()
            let condition = try expression().expression
            return .expect(condition, span: start.through(condition.span))
        case .name(let name) where peek(1).kind == .symbol(.assign):
            advance()
            advance()
            if current.kind == .newline || current.kind == .end {
                throw error("expected a value after '='", expected: "an expression")
            }
            let value = try expression().expression
            return .binding(name: name, nameSpan: start, value: value, span: start.through(value.span))
        default:
            let value = try expression().expression
            return .expression(value, span: value.span)
        }
    }

    private mutating func functionDefinition() throws(Diagnostic) -> FunctionDefinition {
        try enterNested()
        defer { leaveNested() }
        let start = advance().span
        let (name, nameSpan) = try expectName("after 'def'")
        var parameters: [FunctionDefinition.Parameter] = []
        while case .name(let parameter) = current.kind {
            let span = advance().span
            var defaultValue: Expression?
            // `sigma=1.0`, written without spaces like an option, gives a default; a `=` after
            // a space starts the body.
            if check(.assign), !current.followsSpace {
                advance()
                defaultValue = try optionValue().expression
            }
            if parameters.contains(where: { $0.name == parameter }) {
                throw Diagnostic("the parameter '\(parameter)' appears twice", at: span, in: source)
            }
            parameters.append(.init(name: parameter, span: span, defaultValue: defaultValue))
        }
        if match(.assign) {
            let body = try expression().expression
            return FunctionDefinition(
                name: name, nameSpan: nameSpan, parameters: parameters,
                body: [.expression(body, span: body.span)], span: start.through(body.span))
        }
        guard match(.do) else {
            throw error(
                "expected '=' or 'do' to start the body of '\(name)'", expected: "'=' expression, or 'do' ... 'end'")
        }
        let body = try block(opening: start, what: "def \(name)")
        return FunctionDefinition(name: name, nameSpan: nameSpan, parameters: parameters, body: body, span: start.through(previous.span))
    }

    private mutating func loop() throws(Diagnostic) -> Statement {
        try enterNested()
        defer { leaveNested() }
        let start = advance().span
        let (variable, variableSpan) = try expectName("after 'for'")
        guard match(.in) else {
            throw error("expected 'in' after 'for \(variable)'", expected: "'in'")
        }
        let sequence = try expression().expression
        guard match(.do) else {
            throw error("expected 'do' to start the loop's body", expected: "'do'")
        }
        let body = try block(opening: start, what: "for")
        return .loop(variable: variable, variableSpan: variableSpan, sequence: sequence, body: body, span: start.through(previous.span))
    }

    /// `if c do ... elif c do ... else ... end`; or `if c then a else b`, a value, displayed.
    private mutating func conditional() throws(Diagnostic) -> Statement {
        try enterNested()
        defer { leaveNested() }
        let start = advance().span
        var condition = try expression()
        if check(.then) {
            let value = try conditionalValue(start: start, firstCondition: condition)
            return .expression(value.expression, span: value.span)
        }
        var branches: [ConditionalBranch] = []
        var otherwise: [Statement] = []
        while true {
            guard match(.do) else {
                throw error(
                    "expected 'do' after the condition", expected: "'do'",
                    hint: "statements run by a condition are written 'if condition do ... end'; 'if c then a else b' is a value")
            }
            branches.append(ConditionalBranch(condition: condition.expression, body: try branchBody(opening: start)))
            if match(.elif) {
                condition = try expression()
                continue
            }
            if match(.else) {
                if check(.if) {
                    throw error("'else if' opens a second 'if'", hint: "write 'elif condition do'")
                }
                otherwise = try branchBody(opening: start)
                guard check(.end) else {
                    throw error("expected 'end' to close the 'if' after its 'else' branch", expected: "'end'")
                }
            }
            advance()
            return .conditional(branches: branches, otherwise: otherwise, span: start.through(previous.span))
        }
    }

    /// The statements of one branch of an `if`, up to (not including) `elif`, `else` or `end`.
    private mutating func branchBody(opening: SourceSpan) throws(Diagnostic) -> [Statement] {
        var statements: [Statement] = []
        skipSeparators()
        while !check(.end), !check(.elif), !check(.else) {
            if current.kind == .end {
                throw Diagnostic("the 'if' block has no 'end'", at: opening, in: source, hint: "close the block with 'end'")
            }
            statements.append(try statement())
            try endOfStatement()
        }
        return statements
    }

    /// `if c then a elif d then b else e`, the `if` and first condition already read when
    /// `firstCondition` is given.
    private mutating func conditionalValue(start: SourceSpan, firstCondition: Parsed? = nil) throws(Diagnostic) -> Parsed {
        var condition: Parsed
        if let firstCondition {
            condition = firstCondition
        } else {
            try enterNested()
            advance()
            condition = try expression()
        }
        defer { if firstCondition == nil { leaveNested() } }
        var cases: [ConditionalCase] = []
        var parts: [Parsed] = []
        while true {
            guard match(.then) else {
                throw error(
                    "expected 'then' after the condition", expected: "'then'",
                    hint: "a value chosen by a condition is 'if c then a else b'")
            }
            if current.kind == .newline || current.kind == .end {
                throw error(
                    "expected a value after 'then'", expected: "a value",
                    hint: "statements run by a condition are written 'if condition do' ... 'end'; 'if c then a else b' is a value on one line")
            }
            let value = try expression()
            cases.append(ConditionalCase(condition: condition.expression, value: value.expression))
            parts += [condition, value]
            if match(.elif) {
                condition = try expression()
                continue
            }
            guard match(.else) else {
                throw error("a value chosen by a condition needs 'else'", expected: "'elif' or 'else'", hint: "if c then a else b")
            }
            let otherwise = try expression()
            return try node(.conditional(cases, otherwise: otherwise.expression, start.through(otherwise.span)), over: parts + [otherwise])
        }
    }

    /// `fn x y -> body`.
    private mutating func lambda() throws(Diagnostic) -> Parsed {
        try enterNested()
        defer { leaveNested() }
        let start = advance().span
        var parameters: [(name: String, span: SourceSpan)] = []
        while case .name(let name) = current.kind {
            let span = advance().span
            if parameters.contains(where: { $0.name == name }) {
                throw Diagnostic("the parameter '\(name)' appears twice", at: span, in: source)
            }
            parameters.append((name, span))
        }
        if parameters.isEmpty {
            throw error("expected the function's parameters after 'fn'", expected: "a name", hint: "fn x -> x * 2")
        }
        guard match(.arrow) else {
            throw error("expected '->' after the parameters", expected: "'->'", hint: "fn x -> x * 2")
        }
        let body = try expression()
        return try node(.lambda(Lambda(parameters: parameters, body: body.expression, span: start.through(body.span))), over: body)
    }

    /// Statements up to and including `end`.
    private mutating func block(opening: SourceSpan, what: String) throws(Diagnostic) -> [Statement] {
        var statements: [Statement] = []
        skipSeparators()
        while !check(.end) {
            if current.kind == .end {
                throw Diagnostic(
                    "the '\(what)' block has no 'end'", at: opening, in: source,
                    hint: "close the block with 'end'")
            }
            statements.append(try statement())
            try endOfStatement()
        }
        advance()
        return statements
    }

    // MARK: Expressions, loosest binding first

    private mutating func expression() throws(Diagnostic) -> Parsed {
        if check(.if) { return try conditionalValue(start: current.span) }
        if check(.fn) { return try lambda() }
        return try or()
    }

    private mutating func or() throws(Diagnostic) -> Parsed {
        var left = try and()
        while match(.or) {
            let right = try and()
            left = try link(.or, left, right)
        }
        return left
    }

    private mutating func and() throws(Diagnostic) -> Parsed {
        var left = try not()
        while match(.and) {
            let right = try not()
            left = try link(.and, left, right)
        }
        return left
    }

    private mutating func not() throws(Diagnostic) -> Parsed {
        if check(.not) {
            try enterNested()
            let start = advance().span
            let operand = try not()
            leaveNested()
            return try node(.unary(.not, operand.expression, start.through(operand.span)), over: operand)
        }
        return try comparison()
    }

    private static let comparisons: [Token.Symbol: BinaryOperator] = [
        .equal: .equal, .notEqual: .notEqual, .less: .less, .lessEqual: .lessEqual,
        .greater: .greater, .greaterEqual: .greaterEqual,
    ]

    private mutating func comparison() throws(Diagnostic) -> Parsed {
        let left = try range()
        if case .symbol(let symbol) = current.kind, let op = Self.comparisons[symbol] {
            advance()
            let right = try range()
            return try node(.binary(op, left.expression, right.expression, left.span.through(right.span)), over: left, right)
        }
        if match(.in) {
            let right = try range()
            return try node(.binary(.in, left.expression, right.expression, left.span.through(right.span)), over: left, right)
        }
        if match(.approximately) {
            let right = try range()
            var tolerance: Parsed?
            if match(.plusMinus) {
                tolerance = try range()
            }
            return try node(
                .approximately(left.expression, right.expression, tolerance: tolerance?.expression, left.span.through(tolerance?.span ?? right.span)),
                over: [left, right] + (tolerance.map { [$0] } ?? []))
        }
        if check(.assign) {
            switch left.expression {
            case .index, .field:
                throw error(
                    "only a name can be bound with '='",
                    hint: "values do not change in place; bind the result to a name, e.g. y = ...")
            default:
                throw error("'=' binds a name at the start of a statement", hint: "to compare, write '=='")
            }
        }
        return left
    }

    private mutating func range() throws(Diagnostic) -> Parsed {
        let left = try additive()
        if match(.range) {
            let right = try additive()
            return try node(.range(left.expression, right.expression, left.span.through(right.span)), over: left, right)
        }
        return left
    }

    private mutating func additive() throws(Diagnostic) -> Parsed {
        var left = try multiplicative()
        while check(.plus) || check(.minus) {
            let op: BinaryOperator = advance().kind == .symbol(.plus) ? .add : .subtract
            let right = try multiplicative()
            left = try link(op, left, right)
        }
        return left
    }

    private mutating func multiplicative() throws(Diagnostic) -> Parsed {
        var left = try unary()
        while check(.times) || check(.divide) {
            let op: BinaryOperator = advance().kind == .symbol(.times) ? .multiply : .divide
            let right = try unary()
            left = try link(op, left, right)
        }
        return left
    }

    private mutating func unary() throws(Diagnostic) -> Parsed {
        if check(.minus) {
            try enterNested()
            let start = advance().span
            let operand = try unary()
            leaveNested()
            return try node(.unary(.negate, operand.expression, start.through(operand.span)), over: operand)
        }
        return try power()
    }

    private mutating func power() throws(Diagnostic) -> Parsed {
        let base = try application()
        if check(.power) {
            try enterNested()
            advance()
            let exponent = try unary()
            leaveNested()
            return try node(.binary(.power, base.expression, exponent.expression, base.span.through(exponent.span)), over: base, exponent)
        }
        return base
    }

    /// A name followed on the same line by something that can start an argument applies the
    /// name as a verb or function; otherwise this is a postfix expression.
    private mutating func application() throws(Diagnostic) -> Parsed {
        guard case .name(let callee) = current.kind, startsArgument(at: 1) else {
            return try postfix()
        }
        let calleeSpan = advance().span
        var arguments: [Parsed] = []
        var options: [(name: String, nameSpan: SourceSpan, value: Parsed)] = []
        var end = calleeSpan
        while true {
            if bracketDepth == 0, check(.comma), startsArgument(at: 1) {
                advance()
            }
            guard startsArgument(at: 0) else { break }
            if let name = optionName(at: 0) {
                let nameSpan = advance().span
                advance()
                let value = try optionValue()
                if options.contains(where: { $0.name == name }) {
                    throw Diagnostic("the option '\(name)' is given twice", at: nameSpan, in: source)
                }
                options.append((name, nameSpan, value))
                end = value.span
            } else {
                let argument = try postfix()
                if !options.isEmpty {
                    throw Diagnostic(
                        "a positional argument after an option", at: argument.span, in: source,
                        hint: "put '\(source.text(of: argument.span))' before the options")
                }
                arguments.append(argument)
                end = argument.span
            }
        }
        let application = Application(
            callee: callee, calleeSpan: calleeSpan, arguments: arguments.map(\.expression),
            options: options.map { NamedArgument(name: $0.name, nameSpan: $0.nameSpan, value: $0.value.expression) },
            span: calleeSpan.through(end))
        return try node(.application(application), over: arguments + options.map(\.value))
    }

    /// Whether the token `ahead` of the current one can begin an argument of an application.
    private func startsArgument(at ahead: Int) -> Bool {
        if optionName(at: ahead) != nil { return true }
        let token = peek(ahead)
        switch token.kind {
        case .name, .number, .percent, .string, .template, .keyword(.true), .keyword(.false): return true
        case .symbol(.leftParen), .symbol(.leftBrace): return true
        case .symbol(.leftBracket): return token.followsSpace
        default: return false
        }
    }

    /// The option named by the token `ahead` of the current one, when it is written `name=`
    /// (no space before the `=`). A keyword counts too: `end=0.02` can mean nothing else, and
    /// `schedule` has an option of that name.
    private func optionName(at ahead: Int) -> String? {
        let next = peek(ahead + 1)
        guard next.kind == .symbol(.assign), !next.followsSpace else { return nil }
        switch peek(ahead).kind {
        case .name(let name): return name
        case .keyword(let keyword): return keyword.rawValue
        default: return nil
        }
    }

    /// An option's value: a postfix expression, or a negated one (`low=-1`).
    private mutating func optionValue() throws(Diagnostic) -> Parsed {
        if check(.minus) {
            let start = advance().span
            let operand = try postfix()
            return try node(.unary(.negate, operand.expression, start.through(operand.span)), over: operand)
        }
        return try postfix()
    }

    private mutating func postfix() throws(Diagnostic) -> Parsed {
        var value = try primary()
        while true {
            if check(.dot) {
                advance()
                let (name, span) = try expectName("after '.'")
                value = try node(.field(value.expression, name, value.span.through(span)), over: value)
            } else if check(.leftBracket), !current.followsSpace {
                try enterNested()
                advance()
                bracketDepth += 1
                var components: [IndexComponent] = []
                var parts: [Parsed] = [value]
                repeat {
                    let (component, bounds) = try indexComponent()
                    components.append(component)
                    parts += bounds
                } while match(.comma)
                bracketDepth -= 1
                let close = try expect(.rightBracket, "to close the index")
                leaveNested()
                value = try node(.index(value.expression, components, value.span.through(close.span)), over: parts)
            } else {
                return value
            }
        }
    }

    /// One component of an index, with the expressions it holds.
    private mutating func indexComponent() throws(Diagnostic) -> (IndexComponent, [Parsed]) {
        let start = check(.colon) ? nil : try expression()
        guard match(.colon) else {
            guard let start else { throw error("expected an index", expected: "a number or a slice a:b") }
            return (.at(start.expression), [start])
        }
        let end = check(.colon) || check(.comma) || check(.rightBracket) ? nil : try expression()
        var step: Parsed?
        if match(.colon) {
            step = check(.comma) || check(.rightBracket) ? nil : try expression()
        }
        return (.slice(start: start?.expression, end: end?.expression, step: step?.expression), [start, end, step].compactMap { $0 })
    }

    private mutating func primary() throws(Diagnostic) -> Parsed {
        let token = current
        switch token.kind {
        case .number(let value, let isInteger):
            advance()
            return try node(.number(value, isInteger: isInteger, token.span))
        case .percent(let value):
            advance()
            return try node(.percent(value, token.span))
        case .string(let value):
            advance()
            return try node(.string(value, token.span))
        case .template(let pieces):
            advance()
            var parts: [TemplatePart] = []
            var holes: [Parsed] = []
            for piece in pieces {
                switch piece {
                case .text(let text):
                    parts.append(.text(text))
                case .hole(let tokens, let written, let formatSpan, let span):
                    let hole = try holeExpression(tokens)
                    var format: TextFormat?
                    if let written, let formatSpan {
                        do {
                            format = try TextFormat(parsing: written)
                        } catch {
                            throw Diagnostic(
                                "\(error)", at: formatSpan, in: source,
                                expected: "a format such as 03, .2f, 8.3e, >10 or .1%")
                        }
                    }
                    parts.append(.value(hole.expression, format: format, span: span))
                    holes.append(hole)
                }
            }
            return try node(.template(parts, token.span), over: holes)
        case .keyword(.true), .keyword(.false):
            advance()
            return try node(.bool(token.kind == .keyword(.true), token.span))
        case .name(let name):
            advance()
            return try node(.name(name, token.span))
        case .symbol(.leftParen):
            try enterNested()
            advance()
            bracketDepth += 1
            let inner = try expression()
            bracketDepth -= 1
            _ = try expect(.rightParen, "to close the '(' opened here")
            leaveNested()
            return inner
        case .symbol(.leftBracket):
            try enterNested()
            advance()
            bracketDepth += 1
            var elements: [Parsed] = []
            while !check(.rightBracket) {
                elements.append(try expression())
                if !match(.comma) { break }
            }
            bracketDepth -= 1
            let close = try expect(.rightBracket, "to close the list")
            leaveNested()
            return try node(.list(elements.map(\.expression), token.span.through(close.span)), over: elements)
        case .symbol(.leftBrace):
            try enterNested()
            advance()
            bracketDepth += 1
            var fields: [(name: String, value: Parsed)] = []
            while !check(.rightBrace) {
                let (name, span) = try expectName("for a record field")
                if fields.contains(where: { $0.name == name }) {
                    throw Diagnostic("the field '\(name)' appears twice", at: span, in: source)
                }
                _ = try expect(.colon, "after the field name")
                fields.append((name, try expression()))
                if !match(.comma) { break }
            }
            bracketDepth -= 1
            let close = try expect(.rightBrace, "to close the record")
            leaveNested()
            return try node(
                .record(fields.map { ($0.name, $0.value.expression) }, token.span.through(close.span)), over: fields.map(\.value))
        case .end, .newline:
            throw error("the statement ends too early", expected: "a value")
        case .keyword(let keyword):
            throw error("'\(keyword.rawValue)' cannot start a value", expected: "a value")
        default:
            throw error("expected a value", expected: "a value")
        }
    }

    /// The expression of a string's hole, from the tokens the lexer made of it, nested one
    /// level below the string and read as inside brackets.
    private mutating func holeExpression(_ tokens: [Token]) throws(Diagnostic) -> Parsed {
        var inner = Parser(source: source, tokens: tokens)
        inner.nesting = nesting + 1
        inner.bracketDepth = 1
        guard inner.nesting <= Self.maximumNesting else { throw tooDeep(at: tokens[0].span) }
        let parsed = try inner.expression()
        guard inner.current.kind == .end else {
            throw inner.error("expected '}' to end the value in the string", expected: "'}' or ':' and a format")
        }
        return parsed
    }

    // MARK: Nesting

    /// An expression with its height: the levels from it down to its deepest leaf, a leaf being
    /// 1. Operators chain in loops (`a + b + c + ...`) and build trees deeper than the parser's
    /// own recursion, so the height is counted as each node is made.
    private struct Parsed {
        var expression: Expression
        var height: Int
        var span: SourceSpan { expression.span }
    }

    /// A node over its children, one level above the tallest; a node deeper than
    /// `maximumNesting` below the statement is an error at its span.
    private func node(_ expression: Expression, over children: Parsed...) throws(Diagnostic) -> Parsed {
        try node(expression, over: children)
    }

    private func node(_ expression: Expression, over children: [Parsed]) throws(Diagnostic) -> Parsed {
        let height = 1 + (children.map(\.height).max() ?? 0)
        guard nesting + height <= Self.maximumNesting else { throw tooDeep(at: expression.span) }
        return Parsed(expression: expression, height: height)
    }

    /// One more link of a left-associative chain (`a + b + c`, `p and q and r`): the new
    /// node holds the chain so far, so a chain of more than `maximumNesting` operators is too
    /// deep like any other nesting, and the message says why a flat-looking line is.
    private func link(_ op: BinaryOperator, _ left: Parsed, _ right: Parsed) throws(Diagnostic) -> Parsed {
        let expression = Expression.binary(op, left.expression, right.expression, left.span.through(right.span))
        if nesting + 1 + left.height > Self.maximumNesting, left.height >= right.height, case .binary = left.expression {
            throw Diagnostic(
                "this chain of '\(op.rawValue)' is too deep (more than \(Self.maximumNesting) levels): each '\(op.rawValue)' holds the chain before it",
                at: right.span, in: source,
                hint: "split the chain with names, e.g. a = x1 \(op.rawValue) x2 \(op.rawValue) ..., then a \(op.rawValue) ...")
        }
        return try node(expression, over: left, right)
    }

    /// Opens a construct nested in the current one (a bracket, an operator's operand, a block)
    /// at the current token; one too many is an error there, before the parser recurses.
    private mutating func enterNested() throws(Diagnostic) {
        nesting += 1
        guard nesting <= Self.maximumNesting else { throw tooDeep(at: current.span) }
        guard stack.hasRoom else {
            throw Diagnostic(
                "nesting is too deep for this thread's stack (\(nesting) levels)", at: current.span, in: source,
                hint: "bind inner parts to names first, e.g. a = ..., then use a")
        }
    }

    private mutating func leaveNested() {
        nesting -= 1
    }

    private func tooDeep(at span: SourceSpan) -> Diagnostic {
        Diagnostic(
            "nesting is too deep (more than \(Self.maximumNesting) levels)", at: span, in: source,
            hint: "bind inner parts to names first, e.g. a = ..., then use a")
    }
}
