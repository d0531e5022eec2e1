import Foundation
import Engine
import XCTest
@testable import Language

/// The one driver of source: plans before it runs, keeps the analyser across entries, and
/// follows what the interpreter really bound after an error.
final class ExecutorTests: XCTestCase {
    func source(_ text: String) -> SourceFile { SourceFile(name: "entry", text: text) }

    /// A function defined in one entry is checked against its parameters in the next (the
    /// REPL used to forget the definition and fail only when the call ran).
    func testACallInALaterEntryIsCheckedBeforeAnythingRuns() throws {
        let executor = Executor(interpreter: Interpreter())
        try executor.run(source("def twice x = x * 2"))
        XCTAssertThrowsError(try executor.run(source("a = 1\nb = twice 1 2"))) { error in
            XCTAssertTrue("\(error)".contains("'twice' takes 1 argument, given 2"), "\(error)")
        }
        XCTAssertNil(executor.interpreter.globals["a"], "nothing runs when the analyser refuses a statement")
    }

    /// After a runtime error, names the failed entry would have bound are unknown again: the
    /// analyser follows the interpreter, not what it planned.
    func testAfterAFailureTheAnalyserKnowsOnlyWhatWasBound() throws {
        let executor = Executor(interpreter: Interpreter())
        XCTAssertThrowsError(try executor.run(source("a = 1\nb = [1, 2][5]\nc = 3")))
        XCTAssertEqual(executor.interpreter.globals["a"]?.inlineText, "1")
        XCTAssertThrowsError(try executor.run(source("d = c + 1"))) { error in
            XCTAssertTrue("\(error)".contains("unknown name 'c'"), "\(error)")
        }
        let outcomes = try executor.run(source("d = a + 1"))
        guard case .bound("d", .number(2)) = outcomes.first else { return XCTFail("\(outcomes)") }
    }

    /// A name defined from outside (a cached value put back) is known to the analyser.
    func testADefinedNameIsKnown() throws {
        let executor = Executor(interpreter: Interpreter())
        executor.define("k", .number(4))
        let outcomes = try executor.run(source("y = k * 2"))
        guard case .bound("y", .number(8)) = outcomes.first else { return XCTFail("\(outcomes)") }
    }

    /// A policy decides what runs; between statements a Ctrl-C stops the source.
    func testAPolicyDecidesAndCtrlCStopsBetweenStatements() throws {
        final class Skipping: ExecutionPolicy {
            var ran: [String] = []
            let cancelAfterFirst: CancellationFlag?
            init(cancelAfterFirst: CancellationFlag? = nil) { self.cancelAfterFirst = cancelAfterFirst }
            func decide(_ plan: StatementPlan, in source: SourceFile) -> Executor.Decision {
                plan.writes.contains("skipped") ? .skip : .run(randomPath: ["fixed"])
            }
            func ran(_ plan: StatementPlan, _ outcome: Outcome, in source: SourceFile) {
                ran.append(plan.canonicalForm)
                cancelAfterFirst?.cancel()
            }
        }
        let executor = Executor(interpreter: Interpreter())
        let policy = Skipping()
        try executor.run(source("a = 1\nskipped = 2\nc = randn [2]"), policy: policy)
        XCTAssertEqual(policy.ran, ["a = 1", "c = randn [2]"])
        XCTAssertNil(executor.interpreter.globals["skipped"])

        let flag = CancellationFlag()
        let stopping = Executor(interpreter: Interpreter(context: RuntimeContext(cancellation: flag)))
        let cancelling = Skipping(cancelAfterFirst: flag)
        XCTAssertThrowsError(try stopping.run(source("a = 1\nb = 2"), policy: cancelling)) { error in
            XCTAssertTrue("\(error)".contains("stopped (Ctrl-C) before this statement"), "\(error)")
        }
        XCTAssertEqual(cancelling.ran, ["a = 1"])
    }

    /// A Ctrl-C while the policy decides (the cache hashing a large file) stops the statement it
    /// was deciding about: the interpreter does not clear the flag when a statement starts.
    func testCtrlCWhileThePolicyDecidesStopsThatStatement() throws {
        final class Interrupted: ExecutionPolicy {
            let flag: CancellationFlag
            var ran: [String] = []
            init(_ flag: CancellationFlag) { self.flag = flag }
            func decide(_ plan: StatementPlan, in source: SourceFile) -> Executor.Decision {
                if plan.writes.contains("slow") { flag.cancel() }
                return .run(randomPath: nil)
            }
            func ran(_ plan: StatementPlan, _ outcome: Outcome, in source: SourceFile) { ran.append(plan.canonicalForm) }
        }
        let flag = CancellationFlag()
        let executor = Executor(interpreter: Interpreter(context: RuntimeContext(cancellation: flag)))
        let policy = Interrupted(flag)
        XCTAssertThrowsError(try executor.run(source("a = 1\nslow = 2\nc = 3"), policy: policy)) { error in
            XCTAssertTrue("\(error)".contains("stopped (Ctrl-C) before this statement"), "\(error)")
        }
        XCTAssertEqual(policy.ran, ["a = 1"])
        XCTAssertNil(executor.interpreter.globals["slow"])
    }

    /// After an error the analyser is rebuilt from the interpreter's bindings: a function held
    /// under another name does not bring back its own name's old type, a function defined inside
    /// another does not replace the global one, and a loop that failed inside a function leaves
    /// no locals behind.
    func testTheRebuiltAnalyserAgreesWithTheInterpreter() throws {
        let executor = Executor(interpreter: Interpreter())
        try executor.run(source("def f x = x\nh = f\nf = 2"))
        XCTAssertThrowsError(try executor.run(source("oops")))
        let outcomes = try executor.run(source("k = f + 1"))
        guard case .bound("k", .number(3)) = outcomes.first else { return XCTFail("\(outcomes)") }

        try executor.run(source("def helper a b = a + b\ndef outer x do\n  def helper y = y * 2\n  helper x\nend"))
        let sum = try executor.run(source("s = helper 1 2"))
        guard case .bound("s", .number(3)) = sum.first else { return XCTFail("\(sum)") }

        let fresh = Executor(interpreter: Interpreter())
        try fresh.run(source("a = 1\ndef g x do\n  for i in [1] do\n    y = a + 1\n  end\n  x\nend\na = \"s\""))
        XCTAssertThrowsError(try fresh.run(source("oops")))
        XCTAssertThrowsError(try fresh.run(source("z = 5\nw = x"))) { error in
            XCTAssertTrue("\(error)".contains("unknown name 'x'"), "\(error)")
        }
        XCTAssertNil(fresh.interpreter.globals["z"], "the analyser refuses the whole entry before anything runs")
    }

    /// The REPL reports an `expect` that fails inside a loop, nested loops too.
    func testAFailingExpectationInsideALoopIsReported() {
        let session = Session(context: RuntimeContext())
        let report = session.run("for i in [1, 2] do\n  for j in [i] do\n    expect j < 2\n  end\nend", name: "entry")
        XCTAssertNil(report.diagnostic)
        XCTAssertEqual(report.failedExpectations.map(\.detail), ["2 < 2"])
        XCTAssertEqual(session.expectations.count, 2)
    }

    /// After a reset, a session that takes over a fresh session's library lists only its own
    /// names (the REPL's `:reset` listed the whole library under `:vars`).
    func testAResetSessionTakesOverALibraryAsLibrary() throws {
        let library = Session(context: RuntimeContext())
        _ = library.run("def twice x = x * 2\nscale = 3", name: "library")
        let session = Session(context: RuntimeContext())
        _ = session.run("a = 1", name: "entry")
        session.reset()
        session.adoptLibrary(of: library)
        XCTAssertEqual(session.variables().rows.count, 2, "without library names marked, both library names show")
        // (The library above was loaded with run, not loadLibrary: its names are not library names.)
        let real = Session(context: RuntimeContext())
        let path = NSTemporaryDirectory() + "/executor-library-\(getpid()).medsynth"
        try "def twice x = x * 2\nscale = 3".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try real.loadLibrary([path])
        session.reset()
        session.adoptLibrary(of: real)
        XCTAssertEqual(session.variables().rows.count, 0)
        let outcomes = try session.executor.run(SourceFile(name: "entry", text: "b = twice scale"))
        guard case .bound("b", .number(6)) = outcomes.first else { return XCTFail("\(outcomes)") }
        XCTAssertEqual(session.variables().rows.count, 1)
    }
}
