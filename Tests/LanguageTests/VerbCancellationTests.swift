import Engine
import Foundation
import XCTest
@testable import Language

/// Ctrl-C during any verb, generated from the verb registry so that a new verb is covered by
/// itself: each verb's example runs with the cancellation flag set as the verb starts (as if
/// Ctrl-C came at once). A verb that loops stops at its first check and one that does not
/// finishes; either way the statement fails with "stopped (Ctrl-C)" and binds nothing.
final class VerbCancellationTests: XCTestCase {
    /// The verb whose calls set the flag as they start; the others run as usual.
    final class Interrupting: @unchecked Sendable {
        var verbName: String?
    }

    func testCtrlCDuringEveryVerbsExampleBindsNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-cancel-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(directory)
        defer {
            _ = FileManager.default.changeCurrentDirectoryPath(previous)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let interrupting = Interrupting()
        let verbs = VerbRegistry.standard.verbs.map { verb in
            var interruptible = verb
            interruptible.run = { call in
                if interrupting.verbName == verb.name { call.context.cancellation.cancel() }
                return try verb.run(&call)
            }
            return interruptible
        }
        let session = Session(context: RuntimeContext(outputDirectory: directory) { _ in }, registry: VerbRegistry(verbs))
        // The names the examples use (as VerbTests.testEveryVerbsExampleRuns binds them).
        try VerbExamples.writeFiles(in: directory)
        let setup = session.run(VerbExamples.setup, name: "setup")
        XCTAssertNil(setup.diagnostic)
        let namesBefore = session.interpreter.globalOrder
        let valuesBefore = namesBefore.map { session.interpreter.globals[$0]?.summary }
        for verb in VerbRegistry.standard.verbs {
            interrupting.verbName = verb.name
            let report = session.run(verb.example, name: "example of \(verb.name)")
            XCTAssertTrue(report.diagnostic?.message.contains("stopped (Ctrl-C)") == true,
                          "\(verb.name): \(verb.example) gave \(String(describing: report.diagnostic?.message))")
            XCTAssertEqual(session.interpreter.globalOrder, namesBefore, "\(verb.name) bound a name")
            XCTAssertEqual(namesBefore.map { session.interpreter.globals[$0]?.summary }, valuesBefore, "\(verb.name) changed a name")
        }
    }
}
