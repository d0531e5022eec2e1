import Foundation
import XCTest
@testable import Language

/// Programs built to exhaust the stack or memory: 10,000 levels of each nesting construct, long
/// operator chains, recursion through deeply nested function bodies, values doubled or wrapped in
/// a loop. Each gets a diagnostic at its place; none may crash (a crash ends the test process).
final class HostileInputTests: XCTestCase {
    /// Each construct that nests, 10,000 deep: (text, the column the diagnostic points at).
    static let deepConstructs: [(String, Int)] = [
        // The bracket one level too deep.
        ("x = " + String(repeating: "[", count: 10_000) + "1" + String(repeating: "]", count: 10_000), 5 + Parser.maximumNesting),
        ("x = " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000), 5 + Parser.maximumNesting),
        ("x = " + String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000), 5 + 4 * Parser.maximumNesting),
        ("x = " + String(repeating: "not ", count: 10_000) + "true", 5 + 4 * Parser.maximumNesting),
        ("x = " + String(repeating: "- ", count: 10_000) + "1", 5 + 2 * Parser.maximumNesting),
        // The innermost 2 is the node one level too deep.
        ("x = " + String(repeating: "2 ^ ", count: 10_000) + "1", 5 + 4 * Parser.maximumNesting),
        ("x = f " + String(repeating: "(f ", count: 10_000) + "1" + String(repeating: ")", count: 10_000), 7 + 3 * Parser.maximumNesting),
        ("x = {a: 1}" + String(repeating: ".a", count: 10_000), 5),
        ("x = [1]" + String(repeating: "[0]", count: 10_000), 5),
        // The 1 in the list of the 100th loop.
        (String(repeating: "for i in [1] do\n", count: 10_000) + String(repeating: "end\n", count: 10_000), 11),
    ]

    func testTenThousandLevelsOfEachConstructGiveTheNestingDiagnostic() {
        for (text, column) in Self.deepConstructs {
            do {
                _ = try Parser.parse(SourceFile(name: "deep.medsynth", text: text))
                XCTFail("\(text.prefix(20))... parsed")
            } catch {
                XCTAssertEqual(error.message, "nesting is too deep (more than 100 levels)", "\(text.prefix(20))...")
                XCTAssertEqual(error.column, column, "\(text.prefix(20))...")
                XCTAssertEqual(error.hint, "bind inner parts to names first, e.g. a = ..., then use a")
            }
        }
    }

    /// A long flat chain (`1 + 1 + ...`) nests one level per operator; the diagnostic says so,
    /// at the operand one level too deep.
    func testALongOperatorChainSaysThatItIsAChain() {
        for (op, operand) in [("+", "1"), ("and", "true"), ("or", "false"), ("*", "2")] {
            let link = " \(op) \(operand)"
            let text = "x = " + operand + String(repeating: link, count: 10_000)
            do {
                _ = try Parser.parse(SourceFile(name: "chain.medsynth", text: text))
                XCTFail("a chain of '\(op)' parsed")
            } catch {
                XCTAssertEqual(error.message, "this chain of '\(op)' is too deep (more than 100 levels): each '\(op)' holds the chain before it")
                // The chain's 99 operators make 100 levels; the operand of the 100th is too deep.
                XCTAssertEqual(error.column, 5 + operand.count + 99 * link.count + op.count + 2, op)
                XCTAssertEqual(error.hint, "split the chain with names, e.g. a = x1 \(op) x2 \(op) ..., then a \(op) ...")
            }
        }
    }

    /// The limit leaves room for any program a person writes: 90 levels of each construct parse,
    /// and every walker of the tree (analyser, interpreter, canonical form) goes through them.
    func testNestingWithinTheLimitParsesChecksAndRuns() throws {
        let interpreter = Interpreter(context: RuntimeContext(outputDirectory: NSTemporaryDirectory()) { _ in })
        let programs = [
            "x = " + String(repeating: "[", count: 90) + "1" + String(repeating: "]", count: 90),
            "x = " + String(repeating: "(", count: 90) + "1" + String(repeating: ")", count: 90),
            "x = " + String(repeating: "- ", count: 90) + "1",
            "x = 0" + String(repeating: " + 1", count: 90),
        ]
        for program in programs {
            let source = SourceFile(name: "deep.medsynth", text: program)
            let statements = try Parser.parse(source)
            XCTAssertTrue(statements[0].canonicalForm.hasPrefix("x = "))
            try interpreter.run(source)
        }
        guard case .number(let sum) = interpreter.globals["x"] else { return XCTFail("x is not a number") }
        XCTAssertEqual(sum, 90)
    }

    /// A function whose body nests deeply, calling itself: the call limit or the stack limit
    /// stops it with a diagnostic, in debug builds (large frames) as in release.
    func testRecursionThroughADeepBodyStopsWithADiagnostic() {
        let interpreter = Interpreter(context: RuntimeContext(outputDirectory: NSTemporaryDirectory()) { _ in })
        let body = String(repeating: "[(", count: 45) + "f n" + String(repeating: ")]", count: 45)
        do {
            try interpreter.run(SourceFile(name: "deep.medsynth", text: "def f n = \(body)\ny = f 1"))
            XCTFail("the recursion ended")
        } catch {
            XCTAssertTrue(
                ["the program recurses too deeply for the stack", "'f' calls itself too deeply (200 calls)"].contains(error.message),
                error.message)
        }
        // The session goes on.
        XCTAssertNoThrow(try interpreter.run(SourceFile(name: "after", text: "z = 1")))
    }

    /// On a thread with a small stack (512 KiB), deep input still ends in a diagnostic.
    func testASmallStackGivesADiagnosticNotACrash() {
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var messages: [String] = []
        let thread = Thread {
            let interpreter = Interpreter(context: RuntimeContext(outputDirectory: NSTemporaryDirectory()) { _ in })
            for text in [
                "x = " + String(repeating: "[", count: 90) + "1" + String(repeating: "]", count: 90),
                "def f n = " + String(repeating: "[(", count: 45) + "f n" + String(repeating: ")]", count: 45) + "\ny = f 1",
            ] {
                do {
                    try interpreter.run(SourceFile(name: "deep.medsynth", text: text))
                    messages.append("no error")
                } catch {
                    messages.append((error as? Diagnostic)?.message ?? "\(error)")
                }
            }
            finished.signal()
        }
        thread.stackSize = 512 * 1024
        thread.start()
        finished.wait()
        XCTAssertEqual(messages.count, 2)
        XCTAssertTrue(messages[0].hasPrefix("nesting is too deep"), messages[0])
        XCTAssertTrue(messages[1].contains("too deep"), messages[1])
    }

    /// A name a million characters long is unknown at once: "did you mean" measures it against
    /// no verb (the edit distance table would have a million rows each).
    func testAHugeUnknownNameIsReportedQuickly() {
        let interpreter = Interpreter(context: RuntimeContext(outputDirectory: NSTemporaryDirectory()) { _ in })
        let start = Date()
        XCTAssertThrowsError(try interpreter.run(SourceFile(name: "long.medsynth", text: "y = " + String(repeating: "a", count: 1_000_000)))) {
            XCTAssertEqual(($0 as? Diagnostic)?.message, "unknown name '\(String(repeating: "a", count: 1_000_000))'")
            XCTAssertNil(($0 as? Diagnostic)?.hint)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testAStringDoubledInALoopStopsAtItsLimit() {
        let interpreter = Interpreter(context: RuntimeContext(outputDirectory: NSTemporaryDirectory()) { _ in })
        do {
            try interpreter.run(SourceFile(name: "double.medsynth", text: "s = \"x\"\nfor i in 1..40 do\n  s = s + s\nend"))
            XCTFail("the string grew without limit")
        } catch {
            XCTAssertEqual(error.message, "the string would be too long (more than 268435456 bytes)")
            XCTAssertEqual(error.line, 3)
        }
        // The failed loop binds nothing: s is what it was before the loop.
        guard case .string(let s) = interpreter.globals["s"] else { return XCTFail("s is not bound") }
        XCTAssertEqual(s, "x")
    }

    func testAListDoubledOrWrappedInALoopStopsAtItsLimit() {
        let interpreter = Interpreter(context: RuntimeContext(outputDirectory: NSTemporaryDirectory()) { _ in })
        do {
            try interpreter.run(SourceFile(name: "double.medsynth", text: "l = [1]\nfor i in 1..40 do\n  l = l + l\nend"))
            XCTFail("the list grew without limit")
        } catch {
            XCTAssertTrue(error.message.hasPrefix("the list would hold too many values (more than 1048576"), error.message)
        }
        do {
            try interpreter.run(SourceFile(name: "wrap.medsynth", text: "w = 1\nfor i in 1..100000 do\n  w = [w]\nend"))
            XCTFail("the list nested without limit")
        } catch {
            XCTAssertEqual(error.message, "lists and records nest too deeply (more than 100 levels)")
        }
        // The failed loop binds nothing: w is still the number it was.
        guard case .number(1) = interpreter.globals["w"] else { return XCTFail("w changed: \(String(describing: interpreter.globals["w"]))") }
        // A list holding itself twice shares its storage: 2^40 values cost nothing to make but
        // forever to walk, so the count includes nested values.
        do {
            try interpreter.run(SourceFile(name: "dag.medsynth", text: "s = [1]\nfor i in 1..40 do\n  s = [s, s]\nend"))
            XCTFail("the shared list grew without limit")
        } catch {
            XCTAssertEqual(error.message, "the list would hold too many values (more than 1048576, counting those in nested lists and records)")
        }
        do {
            try interpreter.run(SourceFile(name: "table.medsynth", text: "t = table {a: linspace 0 1 count=10000000}"))
            XCTFail("the table grew without limit")
        } catch {
            XCTAssertEqual(error.message, "a table holds at most 1048576 cells")
        }
    }
}
