import Foundation
import XCTest
@testable import Language

/// `if` (statement and value), `fn` functions, and the prelude's map, filter, zip and range:
/// their parse (canonical forms that parse back), their evaluation, the cache plan, and the
/// diagnostics of the common mistakes.
final class ConditionalAndLambdaTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func session() throws -> Session {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-cond-\(UUID().uuidString)").path
        let session = Session(context: RuntimeContext(outputDirectory: directory) { _ in })
        try session.loadLibrary([Self.root.appendingPathComponent("stdlib/prelude.medsynth").path])
        return session
    }

    /// The values `text` displays, as their inline text.
    func displayed(_ text: String) throws -> [String] {
        let session = try session()
        return try session.interpreter.run(SourceFile(name: "t", text: text)).compactMap { outcome in
            if case .displayed(let value) = outcome { return value.inlineText }
            return nil
        }
    }

    func diagnostic(_ text: String) -> String {
        do {
            try session().interpreter.run(SourceFile(name: "notes.medsynth", text: text))
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func canonical(_ text: String) throws -> String {
        try Parser.parse(SourceFile(name: "t", text: text)).map(\.canonicalForm).joined(separator: "\n")
    }

    func testCanonicalFormsParseBack() throws {
        let cases: [(String, String)] = [
            ("y = if  w>2 then 1 elif w==2 then 2 else 3", "y = if w > 2 then 1 elif w == 2 then 2 else 3"),
            ("f = fn x   y -> x*y+1", "f = fn x y -> x * y + 1"),
            ("show (if a then b else c) title=\"t\"", "show (if a then b else c) title=\"t\""),
            ("z = [fn x -> x, if p then 1 else 2]", "z = [fn x -> x, if p then 1 else 2]"),
            ("g = fn x -> if x > 0 then x else 0 - x", "g = fn x -> if x > 0 then x else 0 - x"),
            ("y = (if a then 1 else 2) + 1", "y = (if a then 1 else 2) + 1"),
            ("if a do\nx = 1\nelif b do\nx = 2\nelse\nx = 3\nend", "if a do\n    x = 1\nelif b do\n    x = 2\nelse\n    x = 3\nend"),
            ("if a do x = 1 end", "if a do\n    x = 1\nend"),
            ("if a do\n  for i in 0..2 do\n    if i > 0 do\n      x = i\n    end\n  end\nend",
             "if a do\n    for i in 0..2 do\n        if i > 0 do\n            x = i\n        end\n    end\nend"),
            ("s = schedule kind=scaled_linear start=0.00085 end=0.012", "s = schedule kind=scaled_linear start=0.00085 end=0.012"),
        ]
        for (written, expected) in cases {
            let form = try canonical(written)
            XCTAssertEqual(form, expected, written)
            XCTAssertEqual(try canonical(form), form, "the canonical form of \(written) parses to itself")
        }
    }

    func testConditionalsEvaluate() throws {
        XCTAssertEqual(try displayed("""
            w = 3
            if w > 2 then "big" elif w > 1 then "medium" else "small"
            w = 2
            if w > 2 then "big" elif w > 1 then "medium" else "small"
            if false then 1 else if true then 2 else 3
            """), [#""big""#, #""medium""#, "2"])
        XCTAssertEqual(try displayed("""
            n = 0
            for i in 0..5 do
                if i == 2 or i == 4 do
                    n = n + 10
                elif i > 3 do
                    n = n + 100
                else
                    n = n + 1
                end
            end
            n
            """), ["123"], "0, 1, 3 add 1; 2 and 4 add 10; 5 adds 100")
        // Only the branch taken runs: the others' errors never happen.
        XCTAssertEqual(try displayed("if true do\n x = 1\nelse\n x = load \"missing.png\"\nend\nx"), ["1"])
        // A binding in a branch is the session's, as a loop's is.
        let session = try session()
        try session.interpreter.run(SourceFile(name: "t", text: "if 1 < 2 do\n kind = \"wide\"\nend"))
        XCTAssertEqual(session.interpreter.globals["kind"]?.inlineText, #""wide""#)
    }

    func testFunctionsWithoutNamesKeepTheValuesTheySaw() throws {
        XCTAssertEqual(try displayed("""
            double = fn x -> x * 2
            double 21
            k = 10
            scale = fn x y -> x * y + k
            k = 100
            scale 2 3
            def make_adder n = fn x -> x + n
            add5 = make_adder 5
            add5 1
            map (fn x -> x ^ 2) [1, 2, 3]
            """), ["42", "16", "6", "[1, 4, 9]"])
    }

    func testPreludeListHelpers() throws {
        XCTAssertEqual(try displayed("""
            range 4
            range 0
            filter (fn x -> x > 1) [3, 1, 2]
            zip [1, 2, 3] ["a", "b"]
            map signed [0, 0.5, 1]
            map (fn row -> sum row) (ones [2, 3])
            count (filter (fn x -> x == 0) (range 10))
            """), ["[0, 1, 2, 3]", "[]", "[3, 2]", #"[[1, "a"], [2, "b"]]"#, "[-1, 0, 1]", "[3, 3]", "1"])
    }

    /// Stable Diffusion's betas, through `end=` (a keyword written as an option): diffusers'
    /// DDPMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012) gives
    /// betas[0] = 8.4999995e-4, betas[499] = 4.8037926e-3, betas[999] = 1.1999999e-2 and
    /// alphas_cumprod[999] = 4.6600951e-3 (diffusers 0.42.1, float32).
    func testScaledLinearMatchesDiffusers() throws {
        let session = try session()
        try session.interpreter.run(SourceFile(name: "t", text: "s = schedule kind=scaled_linear start=0.00085 end=0.012 steps=1000"))
        guard case .schedule(let schedule) = session.interpreter.globals["s"] else { return XCTFail("no schedule") }
        let betas = schedule.betas
        for (index, expected) in [(0, 8.4999995e-4), (499, 4.8037926e-3), (999, 1.1999999e-2)] {
            XCTAssertEqual(betas[index], expected, accuracy: expected * 2e-6, "beta \(index)")
        }
        XCTAssertEqual(schedule.alphaBars[999], 4.6600951e-3, accuracy: 4.66e-3 * 2e-5)
    }

    func testCommonMistakesSayWhatToWrite() {
        XCTAssertEqual(diagnostic("w = 3\nif w > 2 then\n  x = 1\nend"), """
            error: expected a value after 'then'
             --> notes.medsynth:2:14
              |
            2 | if w > 2 then
              |              ^
              = expected a value
              = found the end of the line
              = hint: statements run by a condition are written 'if condition do' ... 'end'; 'if c then a else b' is a value on one line
            """)
        XCTAssertTrue(diagnostic("w = 3\nif w > 2:\n  x = 1").contains("hint: statements run by a condition are written 'if condition do ... end'"))
        XCTAssertTrue(diagnostic("y = if true then 1").contains("a value chosen by a condition needs 'else'"))
        XCTAssertTrue(diagnostic("if true do\n x = 1\nelse if false do\n x = 2\nend\nend").contains("write 'elif condition do'"))
        XCTAssertTrue(diagnostic("x = 1\nelse\n").contains("'else' without an 'if' before it"))
        XCTAssertTrue(diagnostic("if true do\n x = 1\n").contains("the 'if' block has no 'end'"))
        XCTAssertTrue(diagnostic("w = 3\nif w do\n x = 1\nend").contains("an 'if' needs true or false"))
        XCTAssertTrue(diagnostic("t = ones [2]\nif t > 0 do\n x = 1\nend").contains("for a tensor, say which"))
        XCTAssertTrue(diagnostic("f = fn -> 1").contains("expected the function's parameters after 'fn'"))
        XCTAssertTrue(diagnostic("f = fn x => x").contains("expected '->' after the parameters"))
        XCTAssertTrue(diagnostic("f = fn x -> x\nf 1 2").contains("'fn x' takes 1 argument, given 2"))
        XCTAssertTrue(diagnostic("f = fn x x -> x").contains("the parameter 'x' appears twice"))
        XCTAssertTrue(diagnostic("a = zeros [1, 1, 8, 8]\ns = ones [2, 1, 8, 8]\nshow [a, a] + s").contains(
            "hint: an application's arguments stop at '+': this is (show [a, a]) + ...; to + first, write show ([a, a] + ...)"),
            diagnostic("a = zeros [1, 1, 8, 8]\ns = ones [2, 1, 8, 8]\nshow [a, a] + s"))
    }

    func testNeedsMoreInputFollowsIfBlocks() {
        XCTAssertTrue(Parser.needsMoreInput("if a do"))
        XCTAssertTrue(Parser.needsMoreInput("if a do\n x = 1\nelif b do\n x = 2"))
        XCTAssertFalse(Parser.needsMoreInput("if a do\n x = 1\nelif b do\n x = 2\nelse\n x = 3\nend"))
        XCTAssertTrue(Parser.needsMoreInput("y = if a then"))
        XCTAssertTrue(Parser.needsMoreInput("f = fn x ->"))
        XCTAssertFalse(Parser.needsMoreInput("y = if a then 1 else 2"))
        // A value's elif opens no block: the `do` after it is a block's.
        XCTAssertTrue(Parser.needsMoreInput("for i in [1] do\ny = if a then 1 elif b then 2 else 3\nif c do\nz = 1\nend"))
        XCTAssertFalse(Parser.needsMoreInput("for i in [1] do\ny = if a then 1 elif b then 2 else 3\nif c do\nz = 1\nend\nend"))
    }

    /// The cache's view: an `if` binds some of its names; reads in a branch of a name another
    /// branch binds are inputs; an `expect` in a branch makes the statement run every time.
    func testPlans() throws {
        let source = SourceFile(name: "t", text: """
            x = 1
            if x > 0 do
                y = 2
            else
                y = x
                z = 3
            end
            if x > 0 do
                expect x == 1
            end
            f = fn v -> v + x
            loader = fn p -> load p
            img = loader "a.png"
            saver = fn v -> save v "out.png"
            r = saver 1
            def apply g v = g v
            imgs = apply loader "a.png"
            """)
        var analyser = Analyser(registry: .standard)
        let plans = try analyser.plan(try Parser.parse(source), in: source)
        XCTAssertEqual(plans[1].writes, ["y", "z"])
        XCTAssertEqual(plans[1].reads, ["x"])
        XCTAssertTrue(plans[1].isCacheable)
        XCTAssertFalse(plans[2].isCacheable, "an expect in a branch")
        XCTAssertEqual(plans[3].reads, ["x"], "a function reads what it captures when it is made")
        // Calling a function bound to a name does what its body does: read a file named when it
        // runs, or save one; so do the functions it is passed to.
        XCTAssertFalse(plans[5].isCacheable, "img reads a file its key cannot know")
        XCTAssertTrue(plans[5].files.computed)
        XCTAssertEqual(plans[7].sideEffects, ["save"])
        XCTAssertFalse(plans[7].isCacheable)
        XCTAssertTrue(plans[9].files.computed, "a function given loader runs it")
    }
}
