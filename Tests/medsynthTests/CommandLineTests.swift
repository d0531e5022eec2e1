import Foundation
import XCTest
@testable import Formats

/// End-to-end tests of the `medsynth` binary built beside the test bundle.
final class CommandLineTests: XCTestCase {
    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs medsynth with `arguments`; `environment` entries are added to (or, when nil, removed
    /// from) this process's environment.
    func medsynth(_ arguments: [String], environment: [String: String?] = [:]) throws -> Run {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let binary = directory.appendingPathComponent("medsynth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("the medsynth binary is not at \(binary.path)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                   error: String(decoding: error, as: UTF8.self))
    }

    func testEverySubcommandHasHelp() throws {
        for command in [[], ["doctor"], ["bench"], ["demo"], ["phantom"]] {
            let run = try medsynth(command + ["--help"])
            XCTAssertEqual(run.status, 0, "\(command) --help: \(run.error)")
            XCTAssertTrue(run.output.contains("USAGE: medsynth"), "\(command) --help printed: \(run.output)")
        }
    }

    func testDoctorReportsLibrariesAndKernels() throws {
        let run = try medsynth(["doctor", "--sgemm-seconds", "0.2"], environment: ["OPENBLAS_CORETYPE": nil])
        XCTAssertEqual(run.status, 0, run.error)
        for label in ["Swift", "AVX-512", "OpenBLAS", "BLAS kernels", "HDF5", "libpng", "readline", "zlib", "threads", "SGEMM"] {
            XCTAssertTrue(run.output.split(separator: "\n").contains { $0.hasPrefix(label + " ") },
                          "doctor output lacks \(label):\n\(run.output)")
        }
        XCTAssertNotNil(run.output.firstMatch(of: /HDF5 +1\.\d+\.\d+\n/), run.output)
        XCTAssertNotNil(run.output.firstMatch(of: /zlib +1\.\d+/), run.output)
        XCTAssertTrue(run.output.contains("GFLOP/s"), run.output)
        // Without a user setting the choice is medsynth's (AVX-512) or OpenBLAS's own.
        XCTAssertTrue(run.output.contains("chosen by medsynth") || run.output.contains("chosen by OpenBLAS"), run.output)
    }

    func testTheUsersCoreTypeWins() throws {
        let run = try medsynth(["doctor", "--sgemm-seconds", "0"], environment: ["OPENBLAS_CORETYPE": "Sandybridge"])
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertTrue(run.output.contains("BLAS kernels  Sandybridge: OPENBLAS_CORETYPE=Sandybridge set by the user"), run.output)
    }

    func testBenchJSON() throws {
        let run = try medsynth(["bench", "sgemm 256", "--repeats", "3", "--json"])
        XCTAssertEqual(run.status, 0, run.error)
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        let results = try XCTUnwrap(report?["results"] as? [[String: Any]])
        XCTAssertFalse(results.isEmpty)
        for result in results {
            XCTAssertTrue((result["name"] as? String)?.hasPrefix("sgemm 256") == true)
            XCTAssertEqual(result["unit"] as? String, "GFLOP/s")
            XCTAssertEqual(result["repeats"] as? Int, 3)
            let (low, median, high) = (result["min"] as! Double, result["median"] as! Double, result["max"] as! Double)
            XCTAssertTrue(low > 1 && low <= median && median <= high, "\(low) \(median) \(high)")
        }
    }

    func testImagingBenchmarksReportPixelRates() throws {
        let run = try medsynth(["bench", "canny", "ssim", "--repeats", "2", "--json"])
        XCTAssertEqual(run.status, 0, run.error)
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        let results = try XCTUnwrap(report?["results"] as? [[String: Any]])
        XCTAssertEqual(results.compactMap { $0["name"] as? String }, ["canny 256x256", "ssim 256x256"])
        XCTAssertTrue(results.allSatisfy { ($0["unit"] as? String) == "Mpixel/s" && ($0["median"] as? Double ?? 0) > 0 })
    }

    func testBenchRejectsUnknownNamesAndBadRepeats() throws {
        let unknown = try medsynth(["bench", "nonesuch"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.error.contains("no benchmark matches nonesuch"), unknown.error)
        let zero = try medsynth(["bench", "--repeats", "0"])
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.error.contains("--repeats must be at least 1"), zero.error)
    }

    func testDemoIsReproducible() throws {
        let first = try medsynth(["demo", "--seed", "3"]), second = try medsynth(["demo", "--seed", "3"])
        XCTAssertEqual(first.status, 0, first.error)
        XCTAssertEqual(first.output, second.output)
        XCTAssertTrue(first.output.contains("[[0, 1, 2], [3, 4, 5]]"), first.output)
        XCTAssertTrue(first.output.contains("add: shapes [2, 3] and [2] cannot be broadcast"), first.output)
        XCTAssertNotEqual(first.output, try medsynth(["demo", "--seed", "4"]).output)
    }

    /// The figures under docs/ are what `medsynth phantom` draws today (the README shows them);
    /// regenerate them with the command in docs/README.md when the phantom changes.
    func testPhantomFiguresAndTheDocsAgree() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-phantom-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try medsynth(["phantom", "--grid", directory + "/grid.png", "--anatomy", directory + "/anatomy.png",
                                "--acdc", directory + "/acdc", "--count", "16"])
        XCTAssertEqual(run.status, 0, run.error)
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs").path
        for (made, committed) in [("grid.png", "phantom-grid.png"), ("anatomy.png", "phantom-anatomy.png")] {
            let fresh = try PNGImage.read(directory + "/" + made), kept = try PNGImage.read(docs + "/" + committed)
            XCTAssertEqual(fresh.shape, kept.shape, committed)
            XCTAssertEqual(fresh.scalars, kept.scalars, "\(committed) is out of date")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/acdc").count, 16)
    }

    func testThePhantomPreviewsInTheTerminal() throws {
        let run = try medsynth(["phantom", "--size", "32"])
        XCTAssertEqual(run.status, 0, run.error)
        let lines = run.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 16, "32 rows as half blocks")
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix("\u{1B}[0m") && $0.contains("▀") })
        let bad = try medsynth(["phantom", "--size", "300"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.error.contains("32...256"), bad.error)
    }
}
