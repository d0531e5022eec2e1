import XCTest
@testable import Language

/// The lexer and parser: tokens, trees in canonical form, and where statements end.
final class SyntaxTests: XCTestCase {
    func kinds(_ text: String) throws -> [Token.Kind] {
        try Lexer.tokens(of: SourceFile(name: "t", text: text)).map(\.kind)
    }

    func testNumbersRangesPercentagesAndStrings() throws {
        XCTAssertEqual(try kinds("1e-3 0.5..1 5% 1_000"), [
            .number(0.001, isInteger: false), .number(0.5, isInteger: false), .symbol(.range),
            .number(1, isInteger: true), .percent(5), .number(1000, isInteger: true), .end,
        ])
        XCTAssertEqual(try kinds(#""a\"b\n" -- a comment"#), [.string("a\"b\n"), .end])
        XCTAssertEqual(try kinds("a <= b +- c ± d"), [
            .name("a"), .symbol(.lessEqual), .name("b"), .symbol(.plusMinus), .name("c"), .symbol(.plusMinus), .name("d"), .end,
        ])
    }

    func testLineBreaksEndStatementsOutsideBracketsOnly() throws {
        XCTAssertEqual(try kinds("a\n[1,\n2]; b"), [
            .name("a"), .newline, .symbol(.leftBracket), .number(1, isInteger: true), .symbol(.comma),
            .number(2, isInteger: true), .symbol(.rightBracket), .newline, .name("b"), .end,
        ])
    }

    func testSpaceBeforeABracketIsRecorded() throws {
        let tokens = try Lexer.tokens(of: SourceFile(name: "t", text: "x[0] f [0]"))
        XCTAssertFalse(tokens[1].followsSpace)
        XCTAssertTrue(tokens[5].followsSpace)
    }

    func parse(_ text: String) throws -> [Statement] {
        try Parser.parse(SourceFile(name: "t", text: text))
    }

    func canonical(_ text: String) throws -> String {
        try parse(text).map(\.canonicalForm).joined(separator: "\n")
    }

    /// Golden canonical forms: precedence, applications, options, indexing, blocks.
    func testCanonicalForms() throws {
        let cases: [(String, String)] = [
            ("x=1+2*3", "x = 1 + 2 * 3"),
            ("(1 + 2) * 3", "(1 + 2) * 3"),
            ("1 - (2 - 3)", "1 - (2 - 3)"),
            ("2 ^ 3 ^ 2", "2 ^ 3 ^ 2"),
            ("-x ^ 2", "-x ^ 2"),
            ("e = edges   train.image sigma=1.0 low=0.1 high=0.2 -- comment",
             "e = edges train.image sigma=1.0 low=0.1 high=0.2"),
            ("metric ssim (decode ae x) test.image", "metric ssim (decode ae x) test.image"),
            ("show a, b, c title=\"t\"", "show a b c title=\"t\""),
            ("show [f a, b]", "show [f a, b]"),
            ("x[0:4, :, ::2]", "x[0:4, :, ::2]"),
            ("y = x[-1]", "y = x[-1]"),
            ("f [0]", "f [0]"),
            ("resize x low=-1", "resize x low=-1"),
            ("expect s ~ 0.91 +- 0.02", "expect s ~ 0.91 +- 0.02"),
            ("expect s ~ 0.91 ± 5%", "expect s ~ 0.91 +- 5%"),
            ("expect x in 0.8..1.0", "expect x in 0.8..1.0"),
            ("expect not a and b or c", "expect not a and b or c"),
            ("r = {a: 1, b: [1, 2]}", "r = {a: 1, b: [1, 2]}"),
            ("def f x y=2 = x * y", "def f x y=2 = x * y"),
            ("def g x do\n  y = x + 1\n  y * 2\nend", "def g x do\n    y = x + 1\n    y * 2\nend"),
            ("for i in 0..3 do print i end", "for i in 0..3 do\n    print i\nend"),
            ("z = (decode ae x) + 1", "z = decode ae x + 1"),
            ("a = train (unet latent=4) data=z steps=10", "a = train (unet latent=4) data=z steps=10"),
            ("1e-3", "0.001"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(try canonical(input), expected, "canonical form of \(input)")
            // The canonical form parses back to itself.
            XCTAssertEqual(try canonical(expected), expected, "reparse of \(expected)")
        }
    }

    func testLayoutAndCommentsDoNotChangeTheCanonicalForm() throws {
        XCTAssertEqual(
            try canonical("m  =  onehot   t.label   classes=4   -- masks"),
            try canonical("m = onehot t.label classes=4"))
    }

    func testApplicationTree() throws {
        let statements = try parse("x = train ae data=t.image steps=3")
        guard case .binding(let name, _, .application(let application), _) = statements[0] else {
            return XCTFail("not a binding of an application: \(statements)")
        }
        XCTAssertEqual(name, "x")
        XCTAssertEqual(application.callee, "train")
        XCTAssertEqual(application.arguments.map(\.canonicalForm), ["ae"])
        XCTAssertEqual(application.options.map(\.name), ["data", "steps"])
        XCTAssertEqual(application.options.map(\.value.canonicalForm), ["t.image", "3"])
    }

    func testSpansPointAtTheSource() throws {
        let source = SourceFile(name: "t", text: "a = 1\nb = edges a sigma=2")
        let statements = try Parser.parse(source)
        guard case .binding(_, let nameSpan, .application(let application), _) = statements[1] else { return XCTFail() }
        XCTAssertEqual(source.text(of: nameSpan), "b")
        XCTAssertEqual(source.text(of: application.span), "edges a sigma=2")
        XCTAssertEqual(source.location(of: application.options[0].nameSpan.start).line, 2)
        XCTAssertEqual(source.location(of: application.options[0].nameSpan.start).column, 13)
    }

    func testNeedsMoreInput() {
        XCTAssertTrue(Parser.needsMoreInput("x = [1,"))
        XCTAssertTrue(Parser.needsMoreInput("for i in 0..2 do"))
        XCTAssertTrue(Parser.needsMoreInput("def f x do\n  x + 1"))
        XCTAssertTrue(Parser.needsMoreInput("x = 1 +"))
        XCTAssertFalse(Parser.needsMoreInput("x = 1 + 2"))
        XCTAssertFalse(Parser.needsMoreInput("for i in 0..2 do print i end"))
        XCTAssertFalse(Parser.needsMoreInput("x = f(y)"))
        XCTAssertFalse(Parser.needsMoreInput(#"x = "unterminated"#), "a lexical error is reported, not waited on")
    }

    func testSourceLocationsOfCellsStartAtTheirLine() {
        let source = SourceFile(name: "n", text: "a\nbc", firstLine: 10)
        XCTAssertEqual(source.location(of: 3).line, 11)
        XCTAssertEqual(source.location(of: 3).column, 2)
        XCTAssertEqual(source.line(11), "bc")
    }

    func testGrammarDocumentNamesTheParsersRules() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let grammar = try String(contentsOf: root.appendingPathComponent("docs/grammar.md"), encoding: .utf8)
        let parser = try String(contentsOf: root.appendingPathComponent("Sources/Language/Syntax/Parser.swift"), encoding: .utf8)
        let rules = grammar.split(separator: "\n").compactMap { line -> String? in
            guard let match = line.firstMatch(of: /^([a-z][A-Za-z]*) +=/) else { return nil }
            return String(match.1)
        }
        XCTAssertGreaterThanOrEqual(rules.count, 20, "rules found: \(rules)")
        // Two rules are spelled out inside their parents: separators in `endOfStatement`,
        // arguments in `application`.
        for rule in rules where !["separator", "argument"].contains(rule) {
            XCTAssertTrue(parser.contains("func \(rule)("), "docs/grammar.md names '\(rule)', which Parser.swift lacks")
        }
    }
}
