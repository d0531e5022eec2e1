import Foundation
import XCTest

/// The memory budget from the command line: doctor shows it, MEDSYNTH_MAX_MEMORY and
/// --max-memory set it, and a run over it gets the budget's message, not the OOM killer.
extension CommandLineTests {
    func testDoctorShowsTheMemoryBudgetAndItsSource() throws {
        let set = try medsynth(["doctor", "--sgemm-seconds", "0"], environment: ["MEDSYNTH_MAX_MEMORY": "512M"])
        XCTAssertTrue(set.output.contains("memory budget 512.0 MiB (from MEDSYNTH_MAX_MEMORY"), set.output)
        let invalid = try medsynth(["doctor", "--sgemm-seconds", "0"], environment: ["MEDSYNTH_MAX_MEMORY": "lots"])
        XCTAssertTrue(invalid.output.contains("(3/4 of "), invalid.output)
        XCTAssertTrue(invalid.output.contains("MEDSYNTH_MAX_MEMORY=lots is not a size"), invalid.output)
    }

    /// Under `ulimit -v` an allocation past the limit would end the process, so the default
    /// budget stays below it: 3/4 of 4,000,000 KiB is 2.9 GiB.
    func testTheDefaultBudgetStaysBelowTheAddressSpaceLimit() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("medsynth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary beside the tests") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v 4000000 && exec '\(binary.path)' doctor --sgemm-seconds 0"]
        var environment = ProcessInfo.processInfo.environment
        environment["MEDSYNTH_MAX_MEMORY"] = nil
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertTrue(text.contains("memory budget 2.9 GiB (3/4 of the address-space limit (ulimit -v)"), text)
    }

    func testMaxMemoryLimitsARunAndMustBeASize() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let notebook = directory.appendingPathComponent("big.medsynth").path
        try "x = phantom n=1000 size=256\n".write(toFile: notebook, atomically: true, encoding: .utf8)
        let report = directory.appendingPathComponent("out").path
        let limited = try medsynth(["run", notebook, "--no-cache", "--report", report, "--max-memory", "100M"])
        XCTAssertEqual(limited.status, 1)
        XCTAssertTrue((limited.output + limited.error).contains("[1000, 1, 256, 256] needs 250.0 MiB, over the memory budget of 100.0 MiB"),
                      limited.output + limited.error)
        let invalid = try medsynth(["run", notebook, "--no-cache", "--report", report, "--max-memory", "12Q"])
        XCTAssertNotEqual(invalid.status, 0)
        XCTAssertTrue(invalid.error.contains("--max-memory takes a size such as 8G, 512M or a number of bytes, not '12Q'"), invalid.error)
    }
}
