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
    func medsynth(_ arguments: [String], environment: [String: String?] = [:], workingDirectory: URL? = nil) throws -> Run {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let binary = directory.appendingPathComponent("medsynth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("the medsynth binary is not at \(binary.path)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
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

    /// --version names the commit the binary was built from: HEAD's, or one of its ancestors
    /// when the tree has moved on since the build.
    func testVersionNamesTheCommit() throws {
        let run = try medsynth(["--version"])
        XCTAssertEqual(run.status, 0, run.error)
        let line = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(line.hasPrefix("0.1.0 (commit "), line)
        let commit = String(line.dropFirst("0.1.0 (commit ".count).dropLast())
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) else {
            XCTAssertEqual(commit, "unknown", "built outside a git checkout")
            return
        }
        XCTAssertTrue(commit.count == 40 && commit.allSatisfy(\.isHexDigit), commit)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", root.path, "merge-base", "--is-ancestor", commit, "HEAD"]
        try git.run()
        git.waitUntilExit()
        XCTAssertEqual(git.terminationStatus, 0, "\(commit) is not HEAD or an ancestor of it")
    }

    /// `medsynth course DIR` copies the course (from the checkout, for a build inside it) into a
    /// new folder: the notebooks, their models and the training notebooks, byte for byte; it
    /// never writes into a folder that holds anything, and says where a course folder is wrong.
    func testCourseCopiesTheCourseAndNeverOverwrites() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-course-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let target = work.appendingPathComponent("my course")
        let run = try medsynth(["course", target.path], environment: ["MEDSYNTH_COURSE": root.appendingPathComponent("notebooks").path])
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertTrue(run.output.contains("copied the course (9 notebooks, "), run.output)
        let notebooks = root.appendingPathComponent("notebooks")
        for file in ["00-quickstart.medsynth", "08-your-data.medsynth", "README.md", "models/ldm-mask-edges.h5", "train/6-spade.medsynth"] {
            XCTAssertEqual(FileManager.default.contents(atPath: target.appendingPathComponent(file).path),
                           FileManager.default.contents(atPath: notebooks.appendingPathComponent(file).path), file)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.appendingPathComponent("medsynth-out").path), "reports stay behind")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.path), ["my course"], "no staging folder is left")

        // A folder with anything in it is left as it was.
        try "my notes".write(to: target.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let again = try medsynth(["course", target.path], environment: ["MEDSYNTH_COURSE": notebooks.path])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.error.contains("error: \(target.path) is not empty: copy the course into a new folder"), again.error)
        XCTAssertFalse(again.error.contains("Usage:"), again.error)
        XCTAssertEqual(try String(contentsOf: target.appendingPathComponent("notes.txt"), encoding: .utf8), "my notes")

        let wrong = try medsynth(["course", work.appendingPathComponent("other").path], environment: ["MEDSYNTH_COURSE": work.path])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.error.contains("MEDSYNTH_COURSE=\(work.path) is not a course folder"), wrong.error)
    }

    /// An empty folder that exists (the current folder, a mount point) is filled in place: it
    /// stays the same folder, so a shell inside it still sees the course. The copies are the
    /// student's to edit whatever the installation's modes and links, and no staging folder is
    /// left anywhere.
    func testCourseFillsAnEmptyFolderInPlaceWithFilesTheStudentCanEdit() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-course-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        // An installation whose notebooks are read-only and whose model is a link elsewhere.
        let installed = work.appendingPathComponent("installed"), linked = work.appendingPathComponent("linked.h5")
        try FileManager.default.createDirectory(at: installed.appendingPathComponent("models"), withIntermediateDirectories: true)
        try "```medsynth {#a}\nexpect 1 == 1\n```\n".write(
            to: installed.appendingPathComponent("00-quickstart.medsynth"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: installed.appendingPathComponent("00-quickstart.medsynth").path)
        try Data([1, 2, 3]).write(to: linked)
        try FileManager.default.createSymbolicLink(atPath: installed.appendingPathComponent("models/m.h5").path, withDestinationPath: "../../linked.h5")

        let target = work.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let identity = try FileManager.default.attributesOfItem(atPath: target.path)[.systemFileNumber] as? Int
        let run = try medsynth(["course", "."], environment: ["MEDSYNTH_COURSE": installed.path], workingDirectory: target)
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: target.path)[.systemFileNumber] as? Int, identity,
                       "the same folder, not a new one renamed over it")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target.path).sorted(), ["00-quickstart.medsynth", "models"])
        let notebook = target.appendingPathComponent("00-quickstart.medsynth").path
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: notebook)[.posixPermissions] as? Int).map { $0 & 0o200 }, 0o200,
                       "the student can edit the copy")
        let model = target.appendingPathComponent("models/m.h5").path
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: model), "a file, not a link")
        XCTAssertEqual(FileManager.default.contents(atPath: model), Data([1, 2, 3]))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: work.path).contains { $0.contains("partial") })
    }

    /// The man page is roff made from the commands' own help: every visible subcommand has a
    /// section, and no text line starts with a dot (roff would take it for a request).
    func testTheManPageCoversEverySubcommand() throws {
        let run = try medsynth(["generate-manual"])
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertTrue(run.output.hasPrefix(".TH MEDSYNTH 1 "), String(run.output.prefix(80)))
        for command in ["repl", "run", "check", "course", "preview", "diff", "why", "export", "doctor", "bench", "demo", "phantom"] {
            XCTAssertTrue(run.output.contains("\n.SS \(command)\n"), "no section for \(command)")
        }
        XCTAssertFalse(run.output.contains(".SS generate-manual"), "the hidden command is not listed")
        let requests: Set<String> = [".TH", ".SH", ".SS", ".nf", ".fi", ".PP", ".TP", ".B"]
        for line in run.output.split(separator: "\n") where line.hasPrefix(".") || line.hasPrefix("'") {
            XCTAssertTrue(requests.contains(String(line.split(separator: " ")[0])), "a text line roff reads as a request: \(line)")
        }
    }

    func testDoctorFailsWhenTheStandardLibraryIsNotUsable() throws {
        let run = try medsynth(["doctor", "--sgemm-seconds", "0"], environment: ["MEDSYNTH_STDLIB": "/nonexistent-stdlib"])
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.output.contains("stdlib        not usable: MEDSYNTH_STDLIB=/nonexistent-stdlib is not a folder"), run.output)
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
        XCTAssertTrue(run.output.contains("\nstdlib        built in (prelude.medsynth, course.medsynth)\n")
                      || ProcessInfo.processInfo.environment["MEDSYNTH_STDLIB"] != nil, run.output)
        XCTAssertTrue(run.output.contains("\nformats       PNG (.png): reads a tensor; writes a tensor\n"), run.output)
        XCTAssertTrue(run.output.contains("\n              DICOM (.dcm or .dicom): reads a tensor\n"), run.output)
        // Without a user setting the choice is medsynth's (AVX-512) or OpenBLAS's own.
        XCTAssertTrue(run.output.contains("chosen by medsynth") || run.output.contains("chosen by OpenBLAS"), run.output)
    }

    func testOpenBLASRunsEachCallOnOneCoreAndSaysWhenTheUsersSettingIsNotFollowed() throws {
        let one = try medsynth(["doctor", "--sgemm-seconds", "0.05"],
                               environment: ["MEDSYNTH_THREADS": "1", "OPENBLAS_NUM_THREADS": nil, "OMP_NUM_THREADS": nil])
        XCTAssertEqual(one.status, 0, one.error)
        XCTAssertTrue(one.output.contains("engine 1 (MEDSYNTH_THREADS), OpenBLAS 1 per call\n"), one.output)
        let users = try medsynth(["doctor", "--sgemm-seconds", "0.05"],
                                 environment: ["MEDSYNTH_THREADS": "2", "OPENBLAS_NUM_THREADS": "4", "OMP_NUM_THREADS": nil])
        XCTAssertTrue(users.output.contains(
            "engine 2 (MEDSYNTH_THREADS), OpenBLAS 1 per call (OPENBLAS_NUM_THREADS=4 is not followed: MEDSYNTH_THREADS sets the cores)"),
            users.output)
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

    /// A diffusion workload reports its time per run in milliseconds. (The autoencoder step, not
    /// the DDIM run, which takes seconds.)
    func testDiffusionWorkloadsReportMilliseconds() throws {
        let run = try medsynth(["bench", "autoencoder train step", "--repeats", "1", "--profile", "--profile-runs", "1", "--json"])
        XCTAssertEqual(run.status, 0, run.error)
        let report = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        let result = try XCTUnwrap((report?["results"] as? [[String: Any]])?.first)
        // The roofline counts the run's products, the profile cuts its time into kinds.
        let roofline = try XCTUnwrap(report?["roofline"] as? [String: Any])
        XCTAssertTrue((roofline["sgemmName"] as? String)?.hasPrefix("sgemm 1024") == true)
        let figure = try XCTUnwrap((roofline["figures"] as? [[String: Any]])?.first)
        let profile = try XCTUnwrap((report?["profiles"] as? [[String: Any]])?.first)
        let gflop = try XCTUnwrap(figure["gflopPerRun"] as? Double)
        XCTAssertGreaterThan(gflop, 1)
        XCTAssertEqual(profile["gflopPerRun"] as? Double, gflop)
        // Without --profile, one recorded run counts the same products.
        let unprofiled = try medsynth(["bench", "autoencoder train step", "--repeats", "1", "--json"])
        let counted = try JSONSerialization.jsonObject(with: Data(unprofiled.output.utf8)) as? [String: Any]
        XCTAssertEqual(((counted?["roofline"] as? [String: Any])?["figures"] as? [[String: Any]])?.first?["gflopPerRun"] as? Double,
                       gflop, "one count of the same products")
        XCTAssertEqual((counted?["profiles"] as? [Any])?.count, 0)
        let rows = try XCTUnwrap(profile["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.reduce(0) { $0 + ($1["share"] as? Double ?? 0) }, 1, accuracy: 1e-6, "the kinds add up to the run")
        XCTAssertEqual(Set(rows.compactMap { $0["kind"] as? String }).isSuperset(of: ["conv2d", "conv2d backward", "optimizer"]), true)
        XCTAssertEqual(result["name"] as? String, "autoencoder train step b32")
        XCTAssertEqual(result["unit"] as? String, "ms")
        XCTAssertEqual(result["repeats"] as? Int, 1)
        let median = try XCTUnwrap(result["median"] as? Double), seconds = try XCTUnwrap(result["secondsPerRun"] as? Double)
        XCTAssertTrue(median > 1, "a batch-32 train step in \(median) ms")
        XCTAssertEqual(median, seconds * 1000, accuracy: 1e-9 * median)
        XCTAssertEqual((report?["comparisons"] as? [Any])?.count, 0)
    }

    /// --pytorch end to end, with a stand-in for benchmarks/torch_reference.py that reports a
    /// known median of 250 ms: the ratio must be medsynth's median / 250 ms, and the script must
    /// be asked for the selected workload with the same repeats.
    func testPyTorchComparisonWithAStandInScript() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = directory + "/fake_reference.sh"
        try """
            echo "$@" > "\(directory)/arguments"
            echo '{"torch": "0.0+fake", "threads": 2, "results": [{"name": "autoencoder train step b32", \
            "median_seconds": 0.25, "min_seconds": 0.2, "max_seconds": 0.3, "repeats": 1}]}'
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let arguments = ["bench", "autoencoder train step", "--repeats", "1", "--pytorch", "--python", "bash", "--pytorch-script", script]

        let json = try medsynth(arguments + ["--json"])
        XCTAssertEqual(json.status, 0, json.error)
        let passed = try String(contentsOfFile: directory + "/arguments", encoding: .utf8)
        XCTAssertTrue(passed.hasPrefix("--json --repeats 1 --threads "), passed)
        XCTAssertTrue(passed.hasSuffix(" autoencoder train step b32\n"), passed)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        XCTAssertEqual(report["pytorch"] as? String, "0.0+fake")
        let median = try XCTUnwrap((report["results"] as? [[String: Any]])?.first?["median"] as? Double)
        let comparisons = try XCTUnwrap(report["comparisons"] as? [[String: Any]])
        XCTAssertEqual(comparisons.count, 1)
        let comparison = comparisons[0]
        XCTAssertEqual(comparison["name"] as? String, "autoencoder train step b32")
        XCTAssertEqual(comparison["medsynthMedianMilliseconds"] as? Double, median)
        XCTAssertEqual(comparison["pytorchMedianMilliseconds"] as? Double, 250)
        XCTAssertEqual(comparison["pytorchMinMilliseconds"] as? Double, 200)
        XCTAssertEqual(comparison["pytorchMaxMilliseconds"] as? Double, 300)
        XCTAssertEqual(try XCTUnwrap(comparison["ratio"] as? Double), median / 250, accuracy: 1e-12 * median)

        let table = try medsynth(arguments)
        XCTAssertEqual(table.status, 0, table.error)
        XCTAssertTrue(table.output.contains("PyTorch 0.0+fake, 2 threads"), table.output)
        let row = try XCTUnwrap(table.output.split(separator: "\n").first { $0.hasPrefix("autoencoder train step b32") })
        let ratio = try XCTUnwrap(Double(row.split(separator: " ").last!), String(row))
        let ours = try XCTUnwrap(Double(row.split(separator: " ", omittingEmptySubsequences: true)[4]), String(row))
        XCTAssertTrue(row.contains(" ms ") && row.contains("250.00 ms (200.00-300.00)"), String(row))
        XCTAssertEqual(ratio, ours / 250, accuracy: 0.006, String(row))
    }

    func testPyTorchComparisonErrorsAreClear() throws {
        let missing = try medsynth(["bench", "autoencoder", "--pytorch", "--pytorch-script", "/nonexistent/torch_reference.py"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.error.contains("/nonexistent/torch_reference.py does not exist"), missing.error)
        let untimed = try medsynth(["bench", "sgemm 256", "--pytorch"])
        XCTAssertNotEqual(untimed.status, 0)
        XCTAssertTrue(untimed.error.contains("none of them is selected"), untimed.error)
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
            let fresh = try PNGImage(reading: directory + "/" + made).pixels, kept = try PNGImage(reading: docs + "/" + committed).pixels
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
