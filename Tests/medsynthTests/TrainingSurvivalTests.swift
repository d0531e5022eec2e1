import Foundation
import XCTest

/// A notebook's training survives its run: stopped by SIGINT or SIGTERM, or killed outright, it
/// continues from the cache's checkpoint when the notebook runs again, to the same weights as a
/// run never stopped, and a stopped run does not replace the last complete report.
final class TrainingSurvivalTests: XCTestCase {
    var work = URL(fileURLWithPath: "/")

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-survive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: work)
    }

    var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("medsynth")
    }

    /// Trains 2,000 steps (a few seconds: the signal must come while it trains, even on a busy
    /// machine), checkpointing every 20, and saves the weights it ends with.
    static let notebook = """
        ```medsynth {#data}
        d = phantom n=8 size=32 seed=1
        ```

        ```medsynth {#train}
        m = train (autoencoder latent=4 widths=[8, 16] groups=4 seed=1) data=d.image steps=2000 batch=2 log=20 seed=1 every=20
        ```

        ```medsynth {#keep}
        save m "weights.safetensors" overwrite=true
        ```
        """

    /// Runs `medsynth run` in `folder` and sends `signal` once the progress passes step 120
    /// (nil: lets it finish); returns the exit status and everything it printed.
    func run(in folder: URL, signal: Int32?) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary") }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", "train.medsynth"]
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["MEDSYNTH_THREADS"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let received = LockedText()
        pipe.fileHandleForReading.readabilityHandler = { handle in received.append(handle.availableData) }
        try process.run()
        if let signal {
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, process.isRunning, !received.text.contains(" 120/2") {
                Thread.sleep(forTimeInterval: 0.01)
            }
            kill(process.processIdentifier, signal)
        }
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.1)
        pipe.fileHandleForReading.readabilityHandler = nil
        return (process.terminationStatus, received.text + String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func folder(_ name: String) throws -> URL {
        let folder = work.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.notebook.write(to: folder.appendingPathComponent("train.medsynth"), atomically: true, encoding: .utf8)
        return folder
    }

    /// The step a rerun said it resumed at.
    func resumedStep(_ output: String) -> Int? {
        guard let range = output.range(of: #"resuming at step (\d+) of 2000"#, options: .regularExpression) else { return nil }
        return Int(output[range].split(separator: " ")[3])
    }

    func testAKilledOrStoppedRunResumesToTheWeightsOfARunNeverStopped() throws {
        let whole = try folder("whole")
        let uninterrupted = try run(in: whole, signal: nil)
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.output)
        let expected = try Data(contentsOf: whole.appendingPathComponent("weights.safetensors"))

        for (name, signal) in [("killed", SIGKILL), ("interrupted", SIGINT), ("terminated", SIGTERM)] {
            let folder = try folder(name)
            let stopped = try run(in: folder, signal: signal)
            XCTAssertNotEqual(stopped.status, 0, "\(name): \(stopped.output)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("weights.safetensors").path), name)
            if signal != SIGKILL {
                XCTAssertTrue(stopped.output.contains("training stopped (Ctrl-C) after"), "\(name): \(stopped.output)")
                XCTAssertTrue(stopped.output.contains("the cache keeps its checkpoint"), "\(name): \(stopped.output)")
            }
            let rerun = try run(in: folder, signal: nil)
            XCTAssertEqual(rerun.status, 0, "\(name): \(rerun.output)")
            let step = try XCTUnwrap(resumedStep(rerun.output), "\(name) did not resume: \(rerun.output)")
            XCTAssertGreaterThanOrEqual(step, 100, name)
            XCTAssertLessThan(step, 2000, name)
            XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("weights.safetensors")), expected,
                           "\(name): resumed at step \(step), the weights differ from a run never stopped")
            let partial = folder.appendingPathComponent(".medsynth-cache/partial")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: partial.path), [], "\(name): the finished statement's checkpoint is gone")
        }
    }

    /// A checkpoint put in the cache's folder by someone else is not used: the run starts over.
    func testAForgedCheckpointInTheCacheIsNotUsed() throws {
        let folder = try folder("forged")
        let stopped = try run(in: folder, signal: SIGINT)
        XCTAssertNotEqual(stopped.status, 0, stopped.output)
        let partial = folder.appendingPathComponent(".medsynth-cache/partial")
        let mac = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: partial.path).first { $0.hasSuffix(".mac") })
        try Data(String(repeating: "0", count: 64).utf8).write(to: partial.appendingPathComponent(mac))
        let rerun = try run(in: folder, signal: nil)
        XCTAssertEqual(rerun.status, 0, rerun.output)
        XCTAssertTrue(rerun.output.contains("is not one it wrote; starting at step 0"), rerun.output)
        XCTAssertNil(resumedStep(rerun.output))
    }

    /// A run stopped after a complete one writes its report beside the complete report.
    func testAStoppedRunKeepsTheLastCompleteReport() throws {
        let folder = try folder("reports")
        XCTAssertEqual(try run(in: folder, signal: nil).status, 0)
        let report = folder.appendingPathComponent("medsynth-out/train.html")
        let complete = try Data(contentsOf: report)
        try Self.notebook.replacingOccurrences(of: "steps=2000", with: "steps=2001")
            .write(to: folder.appendingPathComponent("train.medsynth"), atomically: true, encoding: .utf8)
        let stopped = try run(in: folder, signal: SIGTERM)
        XCTAssertTrue(stopped.output.contains("the last complete report stays at"), stopped.output)
        XCTAssertEqual(try Data(contentsOf: report), complete)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("medsynth-out/train.stopped.html").path))
    }
}
