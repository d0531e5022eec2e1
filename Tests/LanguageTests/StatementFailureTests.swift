import Dispatch
import Engine
import Foundation
import XCTest
@testable import Language

/// A statement binds on success only: whatever stops it (an error of any kind, Ctrl-C during a
/// long verb, a failure half-way through a loop), every name keeps the value it had before.
final class StatementFailureTests: XCTestCase {
    func makeSession() -> Session {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-lang-\(UUID().uuidString)").path
        return Session(context: RuntimeContext(outputDirectory: directory, seed: 0) { _ in })
    }

    func number(_ name: String, in session: Session) -> Double? {
        guard case .number(let value) = session.interpreter.globals[name] else { return nil }
        return value
    }

    func testAFailingStatementOfEachKindBindsNothingAndKeepsEarlierNames() {
        let session = makeSession()
        XCTAssertNil(session.run("a = 1\nxs = [10]", name: "setup").diagnostic)
        let failures: [(statement: String, message: String)] = [
            ("a = blurr 2", "unknown verb 'blurr'"),
            ("a = (zeros [2]) + (zeros [3])", "do not broadcast"),
            ("a = xs[4]", "out of range"),
            ("fresh = 2 * \"two\"", "cannot combine"),
        ]
        for failure in failures {
            let report = session.run(failure.statement, name: "t")
            XCTAssertTrue(report.diagnostic?.message.contains(failure.message) == true,
                          "\(failure.statement): \(String(describing: report.diagnostic?.message))")
            XCTAssertEqual(number("a", in: session), 1, failure.statement)
            XCTAssertNil(session.interpreter.globals["fresh"], failure.statement)
        }
        XCTAssertEqual(session.interpreter.globalOrder, ["a", "xs"])
    }

    func testALoopThatFailsHalfWayUndoesItsEarlierIterations() {
        let session = makeSession()
        XCTAssertNil(session.run("a = 0\nxs = [10]", name: "setup").diagnostic)
        // The first pass binds a = 1 and b = 10; the second binds a = 2, then xs[1] fails.
        let report = session.run("for i in [1, 2] do\n  a = i\n  b = xs[i - 1]\nend", name: "loop")
        XCTAssertTrue(report.diagnostic?.message.contains("out of range") == true, String(describing: report.diagnostic))
        XCTAssertEqual(number("a", in: session), 0)
        XCTAssertNil(session.interpreter.globals["b"])
        XCTAssertEqual(session.interpreter.globalOrder, ["a", "xs"])
    }

    func testStatementsBeforeAFailingOneInTheSameEntryKeepTheirBindings() {
        let session = makeSession()
        let report = session.run("c = 1\nd = [1][3]\ne = 2", name: "entry")
        XCTAssertNotNil(report.diagnostic)
        XCTAssertEqual(number("c", in: session), 1)
        XCTAssertNil(session.interpreter.globals["d"])
        XCTAssertNil(session.interpreter.globals["e"], "statements after the failing one do not run")
    }

    /// Runs `statement` in a session where `kept = 7` is bound, with Ctrl-C (the context's flag)
    /// 0.2 s after it starts; returns the session, the diagnostic and the seconds it ran.
    func runInterrupted(_ statement: String) -> (session: Session, diagnostic: Diagnostic?, seconds: Double) {
        let session = makeSession()
        XCTAssertNil(session.run("kept = 7", name: "setup").diagnostic)
        let flag = session.context.cancellation
        let start = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { flag.cancel() }
        let report = session.run(statement, name: "long")
        return (session, report.diagnostic, Date().timeIntervalSince(start))
    }

    func testCtrlCStopsLongVerbsAndTheStatementBindsNothing() {
        // Each takes seconds in a release build, minutes in a debug one, when left to finish;
        // sizes and sigmas are ordinary (a kernel of 4 sigma = 240 pixels fits the image).
        let statements: [(verb: String, statement: String)] = [
            ("blur", "x = blur (zeros [64, 1, 256, 256]) sigma=60"),
            ("edges", "x = edges (zeros [64, 1, 256, 256]) sigma=60"),
            ("holes", "x = holes n=400 size=256 coverage=1 seed=1"),
            ("phantom", "x = phantom n=1000 size=128 seed=1"),
            ("spectrum", "x = spectrum (zeros [4, 1, 1024, 1024])"),
            ("metric", "x = metric ssim (zeros [128, 1, 256, 256]) (zeros [128, 1, 256, 256])"),
        ]
        for (verb, statement) in statements {
            let (session, diagnostic, seconds) = runInterrupted(statement)
            XCTAssertEqual(diagnostic?.message, "\(verb) stopped (Ctrl-C)", statement)
            XCTAssertLessThan(seconds, 10, "\(statement) ran \(seconds) s")
            XCTAssertNil(session.interpreter.globals["x"], statement)
            XCTAssertEqual(number("kept", in: session), 7, statement)
        }
    }

    func testCtrlCStopsALoopOfShortStatementsBetweenPasses() {
        let (session, diagnostic, seconds) = runInterrupted("for i in 1..100000 do\n  kept = i\n  y = blur (zeros [1, 1, 64, 64]) sigma=3\nend")
        XCTAssertTrue(diagnostic?.message.contains("stopped (Ctrl-C)") == true, String(describing: diagnostic))
        XCTAssertLessThan(seconds, 10)
        XCTAssertEqual(number("kept", in: session), 7)
        XCTAssertNil(session.interpreter.globals["y"])
    }

    func testCtrlCStopsALoopOverTheRowsOfALongTensorBeforeItHasSlicedThemAll() {
        // Four million rows: slicing them all before the first pass would take long and much memory.
        let (session, diagnostic, seconds) = runInterrupted("for row in zeros [4000000, 1] do\n  kept = row[0]\nend")
        XCTAssertEqual(diagnostic?.message, "stopped (Ctrl-C)")
        XCTAssertLessThan(seconds, 5)
        XCTAssertEqual(number("kept", in: session), 7)
    }

    func testCtrlCDuringAVerbWithoutChecksStillBindsNothing() {
        // A verb that returns normally while Ctrl-C arrives, as reading a large file would.
        let interrupted = Verb("interrupted", "Returns 1; Ctrl-C arrives while it runs.", category: .values,
                               result: .number, example: "interrupted") { call in
            call.context.cancellation.cancel()
            return .number(1)
        }
        let context = RuntimeContext(outputDirectory: FileManager.default.temporaryDirectory.path) { _ in }
        let session = Session(context: context, registry: VerbRegistry(VerbRegistry.standard.verbs + [interrupted]))
        XCTAssertNil(session.run("kept = 7", name: "setup").diagnostic)
        let report = session.run("kept = interrupted", name: "t")
        XCTAssertEqual(report.diagnostic?.message, "stopped (Ctrl-C)")
        XCTAssertEqual(number("kept", in: session), 7)
    }

    func testTheNextStatementRunsAfterAStoppedOne() {
        let (session, _, _) = runInterrupted("x = phantom n=1000 size=128 seed=1")
        let report = session.run("x = kept + 1", name: "next")
        XCTAssertNil(report.diagnostic, "the flag is cleared for the next statement")
        XCTAssertEqual(number("x", in: session), 8)
    }
}
