import Foundation
import XCTest
import FuzzTargets

/// Runs the committed fuzz inputs through their targets in-process (Tests/Fuzz, see its README):
/// the seed corpus must read without error, so the targets are known to reach their readers;
/// each input a fuzzer crashed on must now be refused with an error (or read), not crash, hang
/// or run out of memory.
final class FuzzInputTests: XCTestCase {
    private static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz").path

    /// The inputs in `Tests/Fuzz/<kind>/<target>/`, by target; a folder with no target of
    /// its name fails the test, so that a misspelt folder is not silently skipped.
    private func inputs(_ kind: String) throws -> [(target: FuzzTarget, path: String)] {
        let root = "\(Self.folder)/\(kind)"
        var inputs: [(FuzzTarget, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isFolder), isFolder.boolValue else {
                continue
            }
            let target = try XCTUnwrap(FuzzTarget(rawValue: name), "\(kind)/\(name) names no fuzz target")
            for file in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(name)").sorted()
            where !file.hasPrefix(".") && !file.hasSuffix(".md") {
                inputs.append((target, "\(root)/\(name)/\(file)"))
            }
        }
        return inputs
    }

    private func contents(_ path: String) throws -> [UInt8] {
        [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path), "cannot read \(path)"))
    }

    func testEveryTargetHasSeeds() throws {
        let seeded = Set(try inputs("corpus").map(\.target))
        XCTAssertEqual(seeded, Set(FuzzTarget.allCases), "targets without a seed corpus")
    }

    func testSeedCorpusReadsWithoutError() throws {
        for (target, path) in try inputs("corpus") {
            XCTAssertNoThrow(try target.run(contents(path)), "\(target.rawValue): \(path)")
        }
    }

    /// Each input runs in its own `medsynth-fuzz TARGET FILE` process (the replayer built
    /// beside this test bundle): one that still crashes a reader fails its own assertion here
    /// instead of taking every other test down with it. Without address sanitizer a heap
    /// overflow may pass unseen; scripts/fuzz.sh replays these inputs under it too.
    func testCrashInputsAreRefusedWithAClearError() throws {
        let replayer = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("medsynth-fuzz")
        guard FileManager.default.isExecutableFile(atPath: replayer.path) else {
            throw XCTSkip("no medsynth-fuzz binary at \(replayer.path)")
        }
        for (target, path) in try inputs("crashes") {
            let outcome = try replay(path, through: target, with: replayer)
            let context = "\(target.rawValue): \(path)"
            guard let outcome else {
                XCTFail("\(context): still running after \(Self.replayTimeLimit) s (killed)")
                continue
            }
            guard outcome.reason == .exit, outcome.status == 0 else {
                let ending = outcome.reason == .exit ? "exit status \(outcome.status)" : "signal \(outcome.status)"
                XCTFail("\(context): the reader crashed (\(ending)):\n\(outcome.output.prefix(2000))")
                continue
            }
            // One line: the file, then the reader's error (naming the file the reader was
            // given) or that it read without one. Foundation's texts are no message for a user.
            XCTAssertTrue(outcome.output.hasPrefix("\(path): "), "\(context): \(outcome.output)")
            XCTAssertFalse(outcome.output.contains("NSCocoaErrorDomain"), "\(context): \(outcome.output)")
        }
    }

    /// How long one input may take: the fuzzer's timeout, and some.
    private static let replayTimeLimit = 20.0

    /// The replayer's exit and output for one input, or nil if it ran past the time limit.
    private func replay(_ path: String, through target: FuzzTarget, with replayer: URL) throws
        -> (reason: Process.TerminationReason, status: Int32, output: String)? {
        let process = Process()
        process.executableURL = replayer
        process.arguments = [target.rawValue, path]
        // Its scratch folder inside ours: a crashing replay cannot remove its own.
        let scratch = NSTemporaryDirectory() + "/medsynth-fuzz-replay-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        process.environment = ProcessInfo.processInfo.environment.merging(["MEDSYNTH_FUZZ_SCRATCH": scratch]) { $1 }
        // A file rather than a pipe: a crash's backtrace could fill a pipe nobody reads yet.
        let outputPath = NSTemporaryDirectory() + "/medsynth-fuzz-replay-\(UUID().uuidString).txt"
        guard FileManager.default.createFile(atPath: outputPath, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: outputPath])
        }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(Self.replayTimeLimit)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        let text = String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        return (process.terminationReason, process.terminationStatus, text)
    }
}
