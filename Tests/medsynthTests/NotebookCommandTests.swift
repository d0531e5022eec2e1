import Formats
import Foundation
import XCTest

/// `medsynth run`, `check` and `why` on notebooks, end to end, and a run killed mid-way.
final class NotebookCommandTests: XCTestCase {
    var work = URL(fileURLWithPath: "/")

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-nbcmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: work)
    }

    var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("medsynth")
    }

    func medsynth(_ arguments: [String]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = work
        var environment = ProcessInfo.processInfo.environment
        environment["MEDSYNTH_THREADS"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func write(_ text: String, _ name: String) throws {
        try text.write(to: work.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Without --cache and --report: the report goes beside the notebook, and the cache is the
    /// project's (the nearest .medsynth-cache above the notebook, up to its git repository's
    /// root), else one beside it.
    func testTheCacheAndReportFollowTheNotebook() throws {
        let project = work.appendingPathComponent("project")
        let elsewhere = work.appendingPathComponent("elsewhere")
        for folder in [project.appendingPathComponent(".git"), project.appendingPathComponent(".medsynth-cache"),
                       project.appendingPathComponent("lessons"), elsewhere] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let notebook = "```medsynth {#a}\nx = zeros [4]\n```\n"
        try write(notebook, "project/lessons/one.medsynth")
        try write(notebook, "elsewhere/two.medsynth")
        var first = try medsynth(["run", "project/lessons/one.medsynth"])
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: project.appendingPathComponent("lessons/medsynth-out/one.html").path), first.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: project.appendingPathComponent(".medsynth-cache/index.json").path), "the project's cache")
        XCTAssertFalse(FileManager.default.fileExists(atPath: project.appendingPathComponent("lessons/.medsynth-cache").path))
        first = try medsynth(["run", "elsewhere/two.medsynth"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent(".medsynth-cache/index.json").path), first.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("medsynth-out/two.html").path))
        // The same from inside the project's folder: the same cache, so nothing runs again.
        let again = try medsynth(["run", "\(project.path)/lessons/one.medsynth"])
        XCTAssertTrue(again.output.contains("0 statements ran, 1 from the cache"), again.output)
    }

    func testRunCheckAndWhy() throws {
        try write("""
            # Two cells

            ```medsynth {#data}
            p = phantom n=2 size=32 seed=1
            s = metric ssim p.image p.image
            ```

            ```medsynth {#check}
            expect s ~ 1
            expect count p.image == 2
            ```
            """, "good.medsynth")
        try write("```medsynth {#bad}\nexpect 1 + 1 == 3\n```\n", "bad.medsynth")
        let first = try medsynth(["run", "good.medsynth"])
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.output.contains("2 of 2 expectations held; 4 statements ran, 0 from the cache"), first.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("medsynth-out/good.html").path))
        let second = try medsynth(["run", "good.medsynth"])
        XCTAssertTrue(second.output.contains("0 statements ran, 4 from the cache"), second.output)

        let check = try medsynth(["check", "good.medsynth", "bad.medsynth", "--junit", "junit.xml"])
        XCTAssertEqual(check.status, 1, check.output)
        XCTAssertTrue(check.output.contains("FAIL bad.medsynth, cell bad, line 2: expect 1 + 1 == 3"), check.output)
        XCTAssertTrue(check.output.contains("values: 2 == 3"), check.output)
        XCTAssertTrue(check.output.contains("1 of 2 notebooks passed"), check.output)
        let junit = try String(contentsOf: work.appendingPathComponent("junit.xml"), encoding: .utf8)
        XCTAssertTrue(junit.contains("failures=\"1\""), junit)

        let edited = try String(contentsOf: work.appendingPathComponent("good.medsynth"), encoding: .utf8)
            .replacingOccurrences(of: "seed=1", with: "seed=2")
        try write(edited, "good.medsynth")
        let why = try medsynth(["why", "good.medsynth", "check"])
        XCTAssertEqual(why.status, 0, why.output)
        XCTAssertTrue(why.output.contains("the input 's' changed"), why.output)
        XCTAssertTrue(why.output.contains("the input 'p' changed"), why.output)
        let whyData = try medsynth(["why", "good.medsynth", "data"])
        XCTAssertTrue(whyData.output.contains("the statement changed: was `p = phantom n=2 size=32 seed=1`, is `p = phantom n=2 size=32 seed=2`"), whyData.output)
    }

    /// A training notebook of the course, shortened by --set as CI runs it, writes the same
    /// weights twice from its seeds, wherever it is started from; --set on a parameter the
    /// notebook lacks is refused before anything runs.
    func testATrainingNotebookIsReproducibleFromItsSeeds() throws {
        let notebook = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("notebooks/train/3-segmenter.medsynth").path
        guard FileManager.default.fileExists(atPath: notebook) else { throw XCTSkip("no notebooks/train beside the tests") }
        var checkpoints: [Checkpoint] = []
        for run in ["a", "b"] {
            let models = work.appendingPathComponent("models-\(run)").path
            let result = try medsynth(["run", notebook, "--no-cache", "--report", "report-\(run)",
                                       "--set", "subjects=4", "--set", "steps=3", "--set", "models=\(models)",
                                       "--allow-path", models])
            XCTAssertEqual(result.status, 0, result.output)
            XCTAssertTrue(result.output.contains("4 of 4 expectations held"), result.output)
            checkpoints.append(try Checkpoint(reading: models + "/segmenter.h5"))
        }
        XCTAssertEqual(checkpoints[0].configuration, checkpoints[1].configuration)
        XCTAssertEqual(checkpoints[0].parameters.map(\.path), checkpoints[1].parameters.map(\.path))
        XCTAssertEqual(checkpoints[0].parameters.map(\.tensor), checkpoints[1].parameters.map(\.tensor),
                       "the same seeds give the same weights, bit for bit")
        let wrong = try medsynth(["run", notebook, "--no-cache", "--set", "step=3"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.output.contains("the notebook has no parameter 'step' (it has: subjects, steps, models); did you mean 'steps'?"), wrong.output)
    }

    /// `check` reports every notebook whatever happens to one: a notebook that cannot be read
    /// is that notebook's <error> in the JUnit file, and the others are checked and reported.
    func testCheckReportsEveryNotebookWhateverHappensToOne() throws {
        try write("```medsynth {#ok}\nexpect 1 + 1 == 2\n```\n", "a.medsynth")
        try write("```medsynth {#b cahce=false}\nx = 1\n```\n", "b.medsynth")
        try write("```medsynth {#ok}\nexpect 2 + 2 == 4\n```\n", "c.medsynth")
        let check = try medsynth(["check", "a.medsynth", "b.medsynth", "c.medsynth", "--junit", "junit.xml"])
        XCTAssertEqual(check.status, 1, check.output)
        XCTAssertTrue(check.output.contains("  error: b.medsynth:1: unknown cell option 'cahce'"), check.output)
        XCTAssertTrue(check.output.contains("2 of 3 notebooks passed"), check.output)
        let junit = try String(contentsOf: work.appendingPathComponent("junit.xml"), encoding: .utf8)
        XCTAssertTrue(junit.contains("name=\"line 2: expect 1 + 1 == 2\""), junit)
        XCTAssertTrue(junit.contains("name=\"line 2: expect 2 + 2 == 4\""), junit)
        XCTAssertTrue(junit.contains("<testsuite name=\"b.medsynth\" tests=\"1\" failures=\"0\" errors=\"1\""), junit)
        XCTAssertTrue(junit.contains("<error message=\"error: b.medsynth:1: unknown cell option "), junit)
    }

    /// A notebook that stops on an error is reported as an error in that cell, with the cells
    /// it left unrun, never as "N of N expectations held".
    func testCheckReportsANotebookThatStoppedOnAnErrorAsAnError() throws {
        try write("""
            ```medsynth {#first}
            expect 1 + 1 == 2
            ```

            ```medsynth {#broken}
            x = no_such_verb 3
            ```

            ```medsynth {#later}
            expect 2 + 2 == 4
            ```
            """, "stops.medsynth")
        let check = try medsynth(["check", "stops.medsynth", "--junit", "junit.xml"])
        XCTAssertEqual(check.status, 1, check.output)
        XCTAssertTrue(check.output.contains(
            "ERROR in cell broken (line 5), which stopped the notebook (1 later cell not run); 1 of 1 expectations before it held"),
            check.output)
        XCTAssertEqual(check.output.components(separatedBy: "unknown verb 'no_such_verb'").count - 1, 1,
                       "the error is printed once, in the notebook's line: \(check.output)")
        XCTAssertFalse(check.output.contains("ok:"), check.output)
        XCTAssertFalse(check.output.contains("FAILED: 1 of 1"), check.output)
        XCTAssertTrue(check.output.contains("0 of 1 notebooks passed"), check.output)
        let run = try medsynth(["run", "stops.medsynth", "--no-cache"])
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.output.contains("stopped on the error in cell broken (line 5); 1 of 1 expectations held"), run.output)
    }

    /// The standard library is built into the binary: a copy of medsynth far from the checkout,
    /// with MEDSYNTH_STDLIB unset, runs the course library's functions; MEDSYNTH_STDLIB naming a
    /// folder without the prelude is refused; a folder with only the prelude runs, and a course
    /// function then says that it belongs to a library the session did not load.
    func testTheStandardLibraryTravelsWithTheBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary") }
        let installed = work.appendingPathComponent("bin/medsynth")
        try FileManager.default.createDirectory(at: installed.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: binary, to: installed)
        try write("""
            ```medsynth {#course}
            p = phantom n=1 size=32 seed=3
            m = outline_of p
            expect count m == 1
            ```
            """, "course.medsynth")
        func run(_ environment: [String: String?]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = installed
            process.arguments = ["run", "course.medsynth", "--no-cache"]
            process.currentDirectoryURL = work
            var env = ProcessInfo.processInfo.environment
            env["MEDSYNTH_STDLIB"] = nil
            for (key, value) in environment { env[key] = value }
            process.environment = env
            let pipe = Pipe()
            (process.standardOutput, process.standardError) = (pipe, pipe)
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let builtIn = try run([:])
        XCTAssertEqual(builtIn.status, 0, builtIn.output)
        XCTAssertTrue(builtIn.output.contains("1 of 1 expectations held"), builtIn.output)

        let empty = work.appendingPathComponent("empty-stdlib")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let refused = try run(["MEDSYNTH_STDLIB": empty.path])
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.output.contains("MEDSYNTH_STDLIB=\(empty.path) has no prelude.medsynth"), refused.output)

        let preludeOnly = work.appendingPathComponent("prelude-only")
        try FileManager.default.createDirectory(at: preludeOnly, withIntermediateDirectories: true)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.copyItem(
            at: root.appendingPathComponent("stdlib/prelude.medsynth"), to: preludeOnly.appendingPathComponent("prelude.medsynth"))
        let partial = try run(["MEDSYNTH_STDLIB": preludeOnly.path])
        XCTAssertEqual(partial.status, 1, partial.output)
        XCTAssertTrue(partial.output.contains(
            "'outline_of' is a function of medsynth's standard library (course.medsynth), which this session did not load"), partial.output)
    }

    /// A `check` killed outright (as a crash would end it) leaves a JUnit file that tells the
    /// truth: the notebooks checked before, and the one it stopped on as an error.
    func testAKilledCheckLeavesATruthfulJUnitFile() throws {
        try write("```medsynth {#ok}\nexpect 1 + 1 == 2\n```\n", "a.medsynth")
        try write("""
            ```medsynth {#data}
            p = phantom n=4 size=32 seed=1
            ae = train (autoencoder latent=4 widths=[8, 16] groups=4 seed=1) data=p.image steps=1000000 batch=2 log=10 seed=1
            ```
            """, "b.medsynth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary") }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["check", "a.medsynth", "b.medsynth", "--junit", "junit.xml"]
        process.currentDirectoryURL = work
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let received = LockedText()
        pipe.fileHandleForReading.readabilityHandler = { handle in received.append(handle.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !received.text.contains("checking b.medsynth") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        XCTAssertTrue(received.text.contains("checking b.medsynth"), received.text)
        let junit = try String(contentsOf: work.appendingPathComponent("junit.xml"), encoding: .utf8)
        XCTAssertTrue(junit.contains("name=\"line 2: expect 1 + 1 == 2\""), junit)
        XCTAssertTrue(junit.contains("<error message=\"medsynth stopped while running it\">"), junit)
        XCTAssertTrue(junit.hasSuffix("</testsuites>\n"), junit)
    }

    /// A cache that cannot be created does not stop `run`: one warning, the report, exit 0.
    func testRunWithAnUnusableCacheWarnsOnceAndWritesTheReport() throws {
        try write("```medsynth {#ok}\nx = 2\nexpect x + 1 == 3\n```\n", "n.medsynth")
        try write("a file, not a folder", "file")
        let result = try medsynth(["run", "n.medsynth", "--cache", "file/cache"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output.components(separatedBy: "warning:").count - 1, 1, result.output)
        XCTAssertTrue(result.output.contains("warning: running without the cache: file/cache: cannot create the cache folder: Not a directory"),
                      result.output)
        XCTAssertFalse(result.output.contains("NSCocoaErrorDomain"), result.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("medsynth-out/n.html").path))
        let tooLarge = try medsynth(["run", "n.medsynth", "--cache-size", "\(Int.max)"])
        XCTAssertEqual(tooLarge.status, 64, tooLarge.output)
        XCTAssertTrue(tooLarge.output.contains("--cache-size takes a size in MiB from 0 to 1048576"), tooLarge.output)
    }

    func testAKilledRunLeavesNoHalfWrittenEntry() throws {
        try write("""
            ```medsynth {#data}
            p = phantom n=4 size=32 seed=1
            ```

            ```medsynth {#train}
            ae = train (autoencoder latent=4 widths=[8, 16] groups=4 seed=1) data=p.image steps=1000000 batch=2 log=10 seed=1
            ```
            """, "long.medsynth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary") }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", "long.medsynth"]
        process.currentDirectoryURL = work
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Wait for the training cell to start, then kill the process outright.
        let received = LockedText()
        pipe.fileHandleForReading.readabilityHandler = { handle in received.append(handle.availableData) }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !received.text.contains("cell train") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let output = received.text
        Thread.sleep(forTimeInterval: 0.5)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        XCTAssertTrue(output.contains("cell train"), output)

        // Every entry the index lists is whole (its checksum holds), and a new run reuses the
        // first cell and recomputes the killed one.
        let cache = work.appendingPathComponent(".medsynth-cache")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: cache.appendingPathComponent("index.json"))) as? [String: Any]
        XCTAssertEqual(index?.count, 1, "only the data cell's statement was stored")
        try write("""
            ```medsynth {#data}
            p = phantom n=4 size=32 seed=1
            ```

            ```medsynth {#train}
            ae = train (autoencoder latent=4 widths=[8, 16] groups=4 seed=1) data=p.image steps=2 batch=2 log=10 seed=1
            ```
            """, "long.medsynth")
        let rerun = try medsynth(["run", "long.medsynth"])
        XCTAssertEqual(rerun.status, 0, rerun.output)
        XCTAssertTrue(rerun.output.contains("1 statements ran, 1 from the cache"), rerun.output)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("entries").path)
        XCTAssertEqual(files.filter { !$0.hasSuffix(".safetensors") }, [], "no temporary files are left")
    }
}

/// Text gathered from a pipe on another thread.
final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
