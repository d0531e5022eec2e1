import Foundation
import XCTest

/// The memory budget from the command line: doctor shows it, MEDSYNTH_MAX_MEMORY and
/// --max-memory set it, and a run over it gets the budget's message, not the OOM killer.
extension CommandLineTests {
    func testDoctorShowsTheMemoryBudgetAndItsSource() throws {
        let set = try medsynth(["doctor", "--sgemm-seconds", "0"], environment: ["MEDSYNTH_MAX_MEMORY": "512M"])
        XCTAssertTrue(set.output.contains("memory budget 512.0 MiB (from MEDSYNTH_MAX_MEMORY"), set.output)
        let invalid = try medsynth(["doctor", "--sgemm-seconds", "0"], environment: ["MEDSYNTH_MAX_MEMORY": "lots"])
        XCTAssertTrue(invalid.output.contains("(3/4 of physical memory"), invalid.output)
        XCTAssertTrue(invalid.output.contains("MEDSYNTH_MAX_MEMORY=lots is not a size"), invalid.output)
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
