import Foundation
import XCTest

/// A scripted session with the REPL over a pseudo-terminal (util-linux `script` provides it):
/// completion, history, an error and recovery, Ctrl-C during training, a failing or stopped
/// statement of every kind leaving the earlier names intact, Ctrl-C at the prompt, :vars.
final class ReplTests: XCTestCase {
    /// A statement that fails or is stopped, what the REPL prints for it, and whether Ctrl-C is
    /// sent (after `interruptAfter` seconds) while it runs. Each tries to rebind `kept`.
    struct Failure {
        var name: String
        var statement: String
        var output: String
        var interruptAfter: TimeInterval? = nil
    }

    /// One row per kind of failure; the session must survive each with `kept` unchanged.
    static let failures: [Failure] = [
        Failure(name: "unknown verb", statement: "kept = blurr p.image", output: "did you mean 'blur'?"),
        Failure(name: "shape mismatch", statement: "kept = (zeros [2]) + (zeros [3])", output: "do not broadcast"),
        Failure(name: "runtime error", statement: "kept = xs[7]", output: "out of range"),
        Failure(name: "a loop failing half-way", statement: "for i in [1, 2] do\nkept = i\nz = xs[i + 1]\nend", output: "out of range"),
        // The crash classes of issue 13: each was a trap, a stack overflow or an abort.
        Failure(name: "a huge number", statement: "kept = reshape (zeros [2, 3]) [1e30]", output: "needs whole numbers"),
        Failure(name: "NaN as an index", statement: "kept = xs[0/0]", output: "expected a whole number"),
        Failure(name: "an overflowing shape", statement: "kept = zeros [1073741824, 1073741824, 1073741824]", output: "too large to count"),
        Failure(name: "deep nesting", statement: "kept = " + String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300),
                output: "nesting is too deep"),
        Failure(name: "over the memory budget", statement: "kept = phantom n=100000 size=256", output: "over the memory budget"),
        // Each of these runs for seconds (minutes in a debug build) unless stopped.
        Failure(name: "Ctrl-C during blur", statement: "kept = blur (zeros [256, 1, 256, 256]) sigma=60",
                output: "blur stopped (Ctrl-C)", interruptAfter: 0.5),
        Failure(name: "Ctrl-C during holes", statement: "kept = holes n=400 size=256 coverage=1 seed=1",
                output: "holes stopped (Ctrl-C)", interruptAfter: 0.5),
        Failure(name: "Ctrl-C during phantom", statement: "kept = phantom n=1000 size=128 seed=1",
                output: "phantom stopped (Ctrl-C)", interruptAfter: 0.5),
    ]

    /// A running `medsynth repl` under a pseudo-terminal.
    final class Terminal: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        private let lock = NSLock()
        private var buffer = Data()

        init(binary: URL, history: String, out: String, cache: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            // -q quiet, -f flush at once, -e the child's exit status, -c the command. script runs
            // the command with $SHELL -c; `exec` replaces that shell by medsynth, or a shell that
            // stays (dash does) receives the Ctrl-C too and, after medsynth's :quit, exits 130.
            let command = "exec " + [binary.path, "repl", "--history", history, "--out", out, "--cache", cache, "--max-memory", "2G"].map { "'\($0)'" }.joined(separator: " ")
            process.arguments = ["-qfec", command, "/dev/null"]
            var environment = ProcessInfo.processInfo.environment
            environment["TERM"] = "dumb"
            environment["SHELL"] = "/bin/sh"  // the same shell here as on a CI machine without SHELL
            environment["MEDSYNTH_THREADS"] = "1"
            process.environment = environment
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            output.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self else { return }
                self.lock.lock()
                self.buffer.append(data)
                self.lock.unlock()
            }
            try process.run()
        }

        var text: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: buffer, as: UTF8.self)
        }

        func send(_ keys: String) {
            input.fileHandleForWriting.write(Data(keys.utf8))
        }

        /// Waits until the output since `offset` contains `needle`; false on timeout.
        @discardableResult
        func wait(for needle: String, after offset: Int = 0, timeout: TimeInterval = 60) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let all = text
                if all.count > offset, all.dropFirst(offset).contains(needle) { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }

        /// Waits for the session to end by itself (after :quit); false on timeout.
        func waitForExit(timeout: TimeInterval = 30) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            return !process.isRunning
        }

        func finish() {
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { process.terminate() }
            output.fileHandleForReading.readabilityHandler = nil
        }
    }

    func testAScriptedSession() throws {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let binary = directory.appendingPathComponent("medsynth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary at \(binary.path)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("util-linux script is missing") }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let history = work.appendingPathComponent("history").path
        let cache = work.appendingPathComponent("cache").path
        let terminal = try Terminal(binary: binary, history: history, out: work.appendingPathComponent("figures").path, cache: cache)
        defer { terminal.finish() }
        XCTAssertTrue(terminal.wait(for: "medsynth> "), "no prompt:\n\(terminal.text)")

        // Completion: "phan" + Tab becomes "phantom"; the statement then runs.
        var mark = terminal.text.count
        terminal.send("p = phan\t n=2 size=32 seed=1\n")
        XCTAssertTrue(terminal.wait(for: "medsynth> ", after: mark), terminal.text)
        XCTAssertTrue(terminal.text.dropFirst(mark).contains("phantom"), "Tab did not complete:\n\(terminal.text)")

        // An expression shows its value.
        mark = terminal.text.count
        terminal.send("count p.image\n")
        XCTAssertTrue(terminal.wait(for: "\n2\r\n", after: mark) || terminal.wait(for: "\n2\n", after: mark, timeout: 1), terminal.text)

        // An error is reported with its place and a hint, and the session goes on.
        mark = terminal.text.count
        terminal.send("e = edgse p.image\n")
        XCTAssertTrue(terminal.wait(for: "did you mean 'edges'?", after: mark), terminal.text)
        mark = terminal.text.count
        terminal.send("e = edges p.image\n")
        terminal.send("max e\n")
        XCTAssertTrue(terminal.wait(for: "1\r\n", after: mark), terminal.text)

        // History: Up recalls the last entry ("max e"); Enter runs it again.
        mark = terminal.text.count
        terminal.send("\u{1b}[A\n")
        XCTAssertTrue(terminal.wait(for: "max e", after: mark), "Up did not recall the last entry:\n\(terminal.text)")

        // Multi-line input while a bracket is open.
        mark = terminal.text.count
        terminal.send("xs = [1,\n2, 3]\ncount xs\n")
        XCTAssertTrue(terminal.wait(for: "3\r\n", after: mark), terminal.text)

        // Ctrl-C during training stops it at the next step; the session goes on.
        mark = terminal.text.count
        terminal.send("ae = train (autoencoder seed=1) data=p.image steps=100000 batch=2 log=1\n")
        XCTAssertTrue(terminal.wait(for: "step/s", after: mark), "training did not start:\n\(terminal.text)")
        terminal.send("\u{03}")
        XCTAssertTrue(terminal.wait(for: "training stopped (Ctrl-C)", after: mark), terminal.text)
        mark = terminal.text.count
        terminal.send("1 + 1\n")
        XCTAssertTrue(terminal.wait(for: "2\r\n", after: mark), terminal.text)

        // Whatever stops a statement, it binds nothing and the names bound before stay as they were.
        mark = terminal.text.count
        terminal.send("kept = 41 + 1\n")
        XCTAssertTrue(terminal.wait(for: "medsynth> ", after: mark), terminal.text)
        for failure in Self.failures {
            mark = terminal.text.count
            terminal.send(failure.statement + "\n")
            if let delay = failure.interruptAfter {
                Thread.sleep(forTimeInterval: delay)
                terminal.send("\u{03}")
            }
            XCTAssertTrue(terminal.wait(for: failure.output, after: mark), "\(failure.name): no '\(failure.output)':\n\(terminal.text)")
            XCTAssertTrue(terminal.wait(for: "medsynth> ", after: mark), "\(failure.name): no prompt after it:\n\(terminal.text)")
            mark = terminal.text.count
            terminal.send("kept\n")
            XCTAssertTrue(terminal.wait(for: "42\r\n", after: mark), "\(failure.name) changed kept:\n\(terminal.text)")
        }

        // Ctrl-C at the prompt abandons the line being typed; the session goes on.
        mark = terminal.text.count
        terminal.send("kept = 0 +")
        Thread.sleep(forTimeInterval: 0.3)
        terminal.send("\u{03}")
        Thread.sleep(forTimeInterval: 0.3)
        terminal.send("kept + 1\n")
        XCTAssertTrue(terminal.wait(for: "43\r\n", after: mark), "Ctrl-C at the prompt:\n\(terminal.text)")

        // Ctrl-C in the middle of a multi-line entry drops it and shows a fresh prompt; the next
        // multi-line entry is read whole.
        mark = terminal.text.count
        terminal.send("ys = [1,\n")
        XCTAssertTrue(terminal.wait(for: "... ", after: mark), terminal.text)
        mark = terminal.text.count
        terminal.send("\u{03}")
        XCTAssertTrue(terminal.wait(for: "medsynth> ", after: mark), "no fresh prompt after Ctrl-C in an entry:\n\(terminal.text)")
        mark = terminal.text.count
        terminal.send("zs = [5,\n6, 7]\ncount zs\n")
        XCTAssertTrue(terminal.wait(for: "3\r\n", after: mark), "the entry after Ctrl-C:\n\(terminal.text)")

        // :vars lists names, types and shapes; the stopped statements bound nothing.
        mark = terminal.text.count
        terminal.send(":vars\n")
        XCTAssertTrue(terminal.wait(for: "xs", after: mark), terminal.text)
        let vars = String(terminal.text.dropFirst(mark))
        XCTAssertTrue(vars.contains("[2, 1, 32, 32]"), vars)
        XCTAssertFalse(vars.contains(" ae "), vars)
        XCTAssertFalse(vars.contains(" z "), vars)

        // :run runs a notebook with the cache, through a cell or to its end, and binds its names
        // here; :cache describes the cache.
        let notebook = work.appendingPathComponent("two cells.medsynth").path
        try "```medsynth {#one}\nq = phantom n=2 size=32 seed=3\n```\n\n```medsynth {#two}\nr = count q.image\n```\n"
            .write(toFile: notebook, atomically: true, encoding: .utf8)
        // :load binds the front matter's parameters before it runs the cells.
        let parameters = work.appendingPathComponent("parameters.medsynth").path
        try "---\nparameters:\n  steps: 7\n---\n```medsynth\ntwice = steps * 2\n```\n".write(toFile: parameters, atomically: true, encoding: .utf8)
        // A path with a space is quoted; a missing file is an error and the session goes on.
        let steps: [(keys: String, output: String)] = [
            (":load \"\(parameters)\"\n", "ran 1 cell of \(parameters)"),
            ("twice + 1\n", "\n15\r\n"),
            (":run \"\(work.path)/none.medsynth\" one\n", "none.medsynth: no such file"),
            (":run \"\(notebook)\n", "error: a quote is not closed"),
            (":run \"\(notebook)\" one\n", "ran 1 of 2 cells of \(notebook)"),
            ("", "0 of 1 statements from the cache; bound: q\r\n"),
            (":run \"\(notebook)\"\n", "ran 2 of 2 cells of \(notebook)"),
            ("", "1 of 2 statements from the cache; bound: q, r\r\n"),
            ("r + 1\n", "\n3\r\n"),  // r = count q.image = 2 subjects
            (":cache\n", "two cells.medsynth: 2 entries"),
            (":cache clear\n", "removed 2 entries"),
            (":cache\n", ": 0 entries"),
        ]
        for step in steps {
            mark = step.keys.isEmpty ? mark : terminal.text.count
            terminal.send(step.keys)
            XCTAssertTrue(terminal.wait(for: step.output, after: mark), "no '\(step.output)' after '\(step.keys)':\n\(terminal.text)")
        }

        // :quit ends the session by itself; closing the input only afterwards keeps `script` from
        // sending the child an end-of-file while :quit is still being handled.
        terminal.send(":quit\n")
        XCTAssertTrue(terminal.waitForExit(), ":quit did not end the session:\n\(terminal.text)")
        terminal.finish()
        let reason = terminal.process.terminationReason == .exit ? "exit status" : "signal"
        XCTAssertEqual(terminal.process.terminationStatus, 0, "ended by \(reason) \(terminal.process.terminationStatus):\n\(terminal.text)")
        let saved = (try? String(contentsOfFile: history, encoding: .utf8)) ?? "(no history file)"
        XCTAssertTrue(saved.contains("max e"), "the history file holds the entries: \(saved)")
    }
}
