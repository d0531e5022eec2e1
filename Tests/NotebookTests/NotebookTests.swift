import Engine
import Formats
import Imaging
import XCTest
@testable import Language
@testable import Notebook

/// The notebook format, the runner and its cache.
final class NotebookTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-notebook-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var cacheDirectory: String { (directory as NSString).appendingPathComponent("cache") }

    func run(
        _ text: String, name: String = "notes.medsynth", force: Set<String> = [], parameters: [String: String] = [:],
        lastCell: String? = nil, dryRun: Bool = false, cache: String? = nil, allowingError: Bool = false
    ) throws -> NotebookRunner.RunResult {
        let path = (directory as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var options = NotebookRunner.Options(
            cacheDirectory: cache ?? cacheDirectory, outputDirectory: (directory as NSString).appendingPathComponent("figures"),
            engineVersion: "test")
        options.force = force
        options.parameterValues = parameters
        options.lastCell = lastCell
        options.dryRun = dryRun
        let result = try NotebookRunner(options: options).run(try NotebookDocument.load(path: path))
        if !allowingError { XCTAssertNil(result.diagnostic, "\(result.diagnostic.map(String.init(describing:)) ?? "")") }
        return result
    }

    /// The statements that ran, as "label: statement".
    func executed(_ result: NotebookRunner.RunResult) -> [String] {
        result.executed.map { "\($0.cell): \($0.canonicalForm)" }
    }

    func tensor(_ result: NotebookRunner.RunResult, cell: String) -> [Float] {
        for output in result.cells.first(where: { $0.cell.label == cell })?.outputs ?? [] {
            if case .text(let text) = output { return text.split(separator: " ").compactMap { Float($0.trimmingCharacters(in: CharacterSet(charactersIn: "[],"))) } }
        }
        return []
    }

    /// Key parts for entries stored directly, not by a run.
    static let noParts = KeyParts(statement: "", defaults: [], inputs: [:], files: [:], random: "", settings: "", engine: "")

    /// A cache key (64 hexadecimal digits) for a short name, for entries stored directly.
    static func key(_ name: String) -> String { SHA256.hex(name) }

    /// The values `cache` holds under `key` for a statement binding `names`, or nil.
    func values(_ cache: TensorCache, _ key: String, binding names: [String]) -> [(name: String, value: Value)]? {
        guard case .found(let values) = cache.values(for: key, binding: .exactly(names)) else { return nil }
        return values
    }

    static let notebook = """
        ---
        title: A test
        seed: 3
        ---
        # Noise

        ```medsynth {#a}
        x = randn [4]
        ```

        Prose between cells.

        ```medsynth {#b}
        y = x * 2
        ```

        ```medsynth {#c}
        z = randn [4]
        ```

        ```medsynth {#d}
        w = y + 1
        expect w ~ x * 2 + 1
        w
        ```
        """

    /// A Ctrl-C left over from an earlier run (the REPL's :run shares its session's flag) does
    /// not stop the next run.
    func testAnEarlierCtrlCDoesNotStopTheNextRun() throws {
        let path = (directory as NSString).appendingPathComponent("again.medsynth")
        try Self.notebook.write(toFile: path, atomically: true, encoding: .utf8)
        let options = NotebookRunner.Options(cacheDirectory: nil, outputDirectory: directory + "/figures", engineVersion: "test")
        options.cancellation.cancel()
        let result = try NotebookRunner(options: options).run(try NotebookDocument.load(path: path))
        XCTAssertNil(result.diagnostic)
        XCTAssertEqual(result.bindings.map(\.name), ["x", "y", "z", "w"])
    }

    func testARunThroughACellStopsThereAndHandsOverItsBindings() throws {
        let partial = try run(Self.notebook, lastCell: "b")
        XCTAssertEqual(partial.cells.map(\.cell.label), ["a", "b"])
        XCTAssertEqual(partial.bindings.map(\.name), ["x", "y"], "cells c and d did not run")
        let whole = try run(Self.notebook)
        XCTAssertEqual(executed(whole), ["c: z = randn [4]", "d: w = y + 1", "d: expect w ~ x * 2 + 1", "d: w"])
        XCTAssertEqual(whole.bindings.map(\.name), ["x", "y", "z", "w"])
        guard case .tensor(let y)? = whole.bindings.first(where: { $0.name == "y" })?.value,
              case .tensor(let x)? = whole.bindings.first(where: { $0.name == "x" })?.value
        else { return XCTFail("x and y are tensors") }
        XCTAssertEqual(y.scalars, x.scalars.map { $0 * 2 })
    }

    func testALoopThatNeverRanLeavesItsNamesToTheirEarlierBinding() throws {
        func notebook(_ start: Int) -> String {
            """
            ```medsynth {#a}
            image = \(start)
            ```

            ```medsynth {#b}
            gs = []
            for g in gs do
              image = g * 2
              s = image + 1
            end
            ```

            ```medsynth {#c}
            seen = image + 0
            seen
            ```
            """
        }
        XCTAssertEqual(tensor(try run(notebook(1)), cell: "c"), [1])
        // Only a's value changed: the loop (which reads nothing of it) comes from the cache, and
        // c, which reads the image a bound, recomputes.
        let edited = try run(notebook(5))
        XCTAssertEqual(executed(edited), ["a: image = 5", "c: seen = image + 0", "c: seen"])
        XCTAssertEqual(tensor(edited, cell: "c"), [5])
    }

    func testTheFormat() throws {
        let document = try NotebookDocument(text: Self.notebook, path: "n.medsynth")
        XCTAssertEqual(document.frontMatter.title, "A test")
        XCTAssertEqual(document.frontMatter.seed, 3)
        XCTAssertEqual(document.cells.map(\.label), ["a", "b", "c", "d"])
        XCTAssertEqual(document.cells[0].firstLine, 8)
        XCTAssertEqual(document.blocks.count, 6)
    }

    func testOnlyARegularFileOfSaneSizeIsReadAsANotebook() throws {
        func message(_ path: String) -> String {
            do {
                _ = try NotebookDocument.load(path: path)
                return "read"
            } catch {
                return "\(error)"
            }
        }
        let pipe = (directory as NSString).appendingPathComponent("pipe.medsynth")
        XCTAssertEqual(mkfifo(pipe, 0o600), 0)
        XCTAssertEqual(message(pipe), "error: \(pipe): is a named pipe (FIFO), not a regular file; medsynth reads only regular files")
        XCTAssertEqual(message(directory), "error: \(directory): is a directory, not a file")
        XCTAssertEqual(message(directory + "/none.medsynth"), "error: \(directory)/none.medsynth: no such file")
        // A sparse file just over the limit: refused after reading the limit, not held whole.
        let huge = (directory as NSString).appendingPathComponent("huge.medsynth")
        XCTAssertTrue(FileManager.default.createFile(atPath: huge, contents: nil))
        XCTAssertEqual(truncate(huge, off_t(NotebookDocument.maximumBytes + 1)), 0)
        XCTAssertEqual(message(huge), "error: \(huge): is larger than a notebook may be (64 MiB)")
        let latin1 = (directory as NSString).appendingPathComponent("latin1.medsynth")
        try Data([0x78, 0x20, 0x3d, 0x20, 0xe9]).write(to: URL(fileURLWithPath: latin1))
        XCTAssertEqual(message(latin1), "error: \(latin1): is not UTF-8 text")
    }

    func testMalformedNotebooksNameTheirLine() {
        let cases: [(String, String)] = [
            ("---\nseed: x\n---\n", "error: n.medsynth:2: seed must be a whole number >= 0, not 'x'"),
            ("---\nsed: 1\n---\n", "error: n.medsynth:2: unknown front matter key 'sed'; did you mean 'seed'?"),
            ("---\nseed: 1\n", "error: n.medsynth:1: the front matter opened here has no closing '---'"),
            ("text\n```medsynth {#a}\nx = 1\n", "error: n.medsynth:2: the cell opened here has no closing ```"),
            ("```medsynth {#a}\nx = 1\n```\n```medsynth {#a}\ny = 1\n```\n", "error: n.medsynth:4: the label 'a' is used by an earlier cell"),
            ("```medsynth {#a cahce=false}\nx = 1\n```\n", "error: n.medsynth:1: unknown cell option 'cahce'; did you mean 'cache'?"),
            ("```medsynth label\nx = 1\n```\n", "error: n.medsynth:1: a cell's attributes are written {#label key=value}, not 'label'"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try NotebookDocument(text: text, path: "n.medsynth")) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
    }

    func testARunTwiceRecomputesNothing() throws {
        let first = try run(Self.notebook)
        XCTAssertEqual(executed(first), ["a: x = randn [4]", "b: y = x * 2", "c: z = randn [4]", "d: w = y + 1", "d: expect w ~ x * 2 + 1", "d: w"])
        XCTAssertEqual(first.expectations.map(\.passed), [true])
        let second = try run(Self.notebook)
        XCTAssertEqual(executed(second), [])
        XCTAssertEqual(second.cells.map(\.cacheStatus), ["cached", "cached", "cached", "cached"])
        XCTAssertEqual(tensor(second, cell: "d"), tensor(first, cell: "d"))
        XCTAssertEqual(second.expectations.map(\.passed), [true])
        // The dependency graph: each statement's edges to the statements whose names it reads.
        XCTAssertEqual(second.cells.flatMap(\.statements).map(\.dependsOn), [[], ["a:8"], [], ["b:14"], ["a:8", "d:22"], ["d:22"]])
    }

    func testEditingOneCellRecomputesItAndWhatDependsOnIt() throws {
        _ = try run(Self.notebook)
        // Layout and comments do not count.
        let relaid = Self.notebook.replacingOccurrences(of: "y = x * 2", with: "y  =  x*2   -- doubled")
        XCTAssertEqual(executed(try run(relaid)), [])
        let edited = Self.notebook.replacingOccurrences(of: "y = x * 2", with: "y = x * 3")
            .replacingOccurrences(of: "expect w ~ x * 2 + 1", with: "expect w ~ x * 3 + 1")
        XCTAssertEqual(executed(try run(edited)), ["b: y = x * 3", "d: w = y + 1", "d: expect w ~ x * 3 + 1", "d: w"])
    }

    func testForcingACellRecomputesIt() throws {
        _ = try run(Self.notebook)
        XCTAssertEqual(executed(try run(Self.notebook, force: ["c"])), ["c: z = randn [4]"])
    }

    func testInsertingACellKeepsEveryOtherCellsRandomNumbers() throws {
        let before = try run(Self.notebook)
        let inserted = Self.notebook.replacingOccurrences(of: "Prose between cells.", with: """
            Prose between cells.

            ```medsynth {#new}
            v = randn [4]
            v
            ```
            """)
        let after = try run(inserted)
        XCTAssertEqual(executed(after), ["new: v = randn [4]", "new: v"], "nothing else recomputes")
        XCTAssertEqual(tensor(after, cell: "d"), tensor(before, cell: "d"))
        // Without the cache, too: the streams are named by cell and binding, not by position.
        try? FileManager.default.removeItem(atPath: cacheDirectory)
        XCTAssertEqual(tensor(try run(inserted), cell: "d"), tensor(before, cell: "d"))
        XCTAssertNotEqual(tensor(after, cell: "new"), tensor(after, cell: "d"))
    }

    /// A call reads what its function reads when it runs: rebinding a global the function
    /// uses, in a later cell, recomputes the call (it used to serve the old value).
    func testACallRecomputesWhenAGlobalItsFunctionReadsChanges() throws {
        func notebook(_ k: Int) -> String {
            """
            ```medsynth {#a}
            k = 2
            def inner x = x * k
            def f x = inner x
            ```

            ```medsynth {#b}
            k = \(k)
            ```

            ```medsynth {#c}
            y = f 1
            y
            ```
            """
        }
        XCTAssertEqual(tensor(try run(notebook(3)), cell: "c"), [3])
        let edited = try run(notebook(4))
        // (Definitions always run: they compute nothing to keep.)
        XCTAssertEqual(executed(edited), ["a: def inner x = x * k", "a: def f x = inner x", "b: k = 4", "c: y = f 1", "c: y"])
        XCTAssertEqual(tensor(edited, cell: "c"), [4])
    }

    /// However a function is reached (named alone, passed on, held in a value, bound under
    /// another name before it is redefined, defined in a loop), a statement that runs it is keyed
    /// by what it reads: editing that recomputes the statement (each case served a stale value).
    func testEveryWayOfReachingAFunctionKeysWhatItReads() throws {
        let cases: [(setup: String, use: String, expected: [Float])] = [
            ("def g k=1 = k + a", "y = g", [4]),
            ("def f x = x + a\ndef apply g x = g x", "y = apply f 1", [4]),
            ("def f x = x + a\nh = [f][0]", "y = h 1", [4]),
            ("b = 10\ndef f x = x + a\ng = f\ndef f x = x + b", "y = g 1", [4]),
            ("for i in [1] do\n  def f x = x + a\nend", "y = f 1", [4]),
        ]
        for (setup, use, expected) in cases {
            func notebook(_ a: Int) -> String {
                "```medsynth {#a}\na = 1\n\(setup)\n```\n\n```medsynth {#b}\na = \(a)\n```\n\n```medsynth {#c}\n\(use)\ny\n```\n"
            }
            _ = try run(notebook(2))
            let edited = try run(notebook(3))
            XCTAssertEqual(tensor(edited, cell: "c"), expected, "\(setup) / \(use)")
            XCTAssertTrue(executed(edited).contains("c: \(use)"), "\(setup) / \(use): \(executed(edited))")
            try? FileManager.default.removeItem(atPath: cacheDirectory)
        }
    }

    /// A call of a function that writes a file, or reads one whose path it computes, runs every
    /// time, as the function's statements would.
    func testACallDoesWhatItsFunctionDoes() throws {
        let notebook = """
            ```medsynth {#a}
            def w x = save x "o.png" overwrite=true
            y = w (zeros [8, 8])
            ```
            """
        _ = try run(notebook)
        let output = (directory as NSString).appendingPathComponent("o.png")
        try FileManager.default.removeItem(atPath: output)
        XCTAssertEqual(executed(try run(notebook)), ["a: def w x = save x \"o.png\" overwrite=true", "a: y = w (zeros [8, 8])"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: output))
    }

    /// A dry run (`medsynth why`) keys what follows a cached loop by the names the loop really
    /// bound: after a full run, every key is the run's and every statement is cached.
    func testADryRunAfterALoopThatNeverRanFindsEverythingCached() throws {
        let notebook = """
            ```medsynth {#a}
            a = 1
            xs = [1, 2]
            for i in xs[0:0] do
              a = 2
            end
            y = a + 1
            ```
            """
        let run = try self.run(notebook)
        let dry = try self.run(notebook, dryRun: true)
        XCTAssertEqual(dry.cells[0].statements.map(\.key), run.cells[0].statements.map(\.key))
        XCTAssertEqual(Set(dry.cells[0].statements.map(\.source)), [.cached])
    }

    /// An `expect` inside a loop counts, every run (it was dropped: a failing one passed
    /// `check`); the loop is never taken from the cache, so a cached run reports it too.
    func testExpectationsInsideALoopCountEveryRun() throws {
        let notebook = """
            ```medsynth {#a}
            total = 0
            for i in [1, 2] do
              total = total + i
              expect i == 2
            end
            ```
            """
        let path = (directory as NSString).appendingPathComponent("notes.medsynth")
        try notebook.write(toFile: path, atomically: true, encoding: .utf8)
        let options = NotebookRunner.Options(cacheDirectory: cacheDirectory, outputDirectory: directory, engineVersion: "test")
        for _ in 0..<2 {
            let result = try NotebookRunner(options: options).run(try NotebookDocument.load(path: path))
            XCTAssertEqual(result.expectations.map(\.passed), [false, true])
            XCTAssertEqual(result.expectations.first?.detail, "1 == 2")
            XCTAssertFalse(result.succeeded)
        }
    }

    /// A value put back from the cache does not change how later cells are checked (the second,
    /// cached run of an unchanged notebook used to refuse it).
    func testACachedRunChecksLaterCellsAsTheFirstDid() throws {
        let notebook = """
            ```medsynth {#a}
            f = 3
            def f x = x + 1
            img = 0
            img = zeros [2, 3]
            ```

            ```medsynth {#b}
            z = f 2
            first = img[0]
            z
            ```
            """
        _ = try run(notebook)
        let again = try run(notebook)
        XCTAssertEqual(tensor(again, cell: "b"), [3])
    }

    /// A new seed recomputes the statements that draw random numbers and what reads them, and
    /// nothing else; new default tolerances recompute only comparisons that use them.
    func testANewSeedOrToleranceRecomputesOnlyWhatUsesIt() throws {
        func notebook(seed: Int, tolerance: String = "1e-6") -> String {
            """
            ---
            seed: \(seed)
            tolerance: \(tolerance)
            ---
            ```medsynth {#a}
            a = zeros [2] + 1
            b = randn [2]
            c = b * 2
            d = a * 3
            expect d ~ [3, 3]
            expect d ~ [3, 3] +- 0.1
            ```
            """
        }
        _ = try run(notebook(seed: 1))
        XCTAssertEqual(executed(try run(notebook(seed: 2))), ["a: b = randn [2]", "a: c = b * 2"])
        XCTAssertEqual(executed(try run(notebook(seed: 2, tolerance: "1e-3"))), ["a: expect d ~ [3, 3]"])
    }

    /// A cell inserted without a label, or a labelled one binding the same name, does not move
    /// the random streams of a labelled cell.
    func testInsertingACellThatBindsTheSameNameKeepsLabelledCellsNumbers() throws {
        let before = try run(Self.notebook)
        let inserted = Self.notebook.replacingOccurrences(of: "Prose between cells.", with: """
            Prose between cells.

            ```medsynth
            z = randn [4]
            ```

            ```medsynth {#other}
            z = randn [4]
            ```
            """)
        let after = try run(inserted)
        XCTAssertEqual(executed(after), ["cell-2: z = randn [4]", "other: z = randn [4]"], "nothing else recomputes")
        XCTAssertEqual(tensor(after, cell: "c"), tensor(before, cell: "c"))
    }

    func testACorruptedEntryIsRecomputed() throws {
        let first = try run(Self.notebook)
        let key = first.cells[2].statements[0].key
        let entry = (cacheDirectory as NSString).appendingPathComponent("entries/\(key).safetensors")
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: entry))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: entry))
        let second = try run(Self.notebook)
        XCTAssertEqual(executed(second), ["c: z = randn [4]"])
        XCTAssertEqual(second.warnings, ["warning: the cache entry for cell 'c' is missing or damaged (its file does not match its checksum); recomputing"])
        // Recomputed to the same values, and stored again.
        XCTAssertEqual(executed(try run(Self.notebook)), [])
    }

    func testLeftoversOfAKilledWriteAreNeverRead() throws {
        _ = try run(Self.notebook)
        let entries = (cacheDirectory as NSString).appendingPathComponent("entries")
        func file(_ name: String, age: TimeInterval = 0) -> String {
            let path = (entries as NSString).appendingPathComponent(name)
            _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))
            try? FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
            return path
        }
        // What a write killed half-way leaves: a temporary file (its writer, beyond Linux's
        // largest process id, is gone) and an entry the index never got, an hour old.
        let temporary = file(".\(Self.key("a")).safetensors.4194999-ff.tmp")
        let orphan = file(String(repeating: "0", count: 64) + ".safetensors", age: 3600)
        // An entry of cache format 1 (HDF5) the index no longer lists goes too.
        let formerOrphan = file(String(repeating: "2", count: 64) + ".h5", age: 3600)
        // What a run sharing the cache may be writing at this moment: they stay.
        let beingWritten = file(".\(Self.key("b")).safetensors.\(getppid())-ee.tmp")
        let justWritten = file(String(repeating: "1", count: 64) + ".safetensors")
        let cache = try TensorCache(directory: cacheDirectory)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary))
        XCTAssertFalse(FileManager.default.fileExists(atPath: orphan))
        XCTAssertFalse(FileManager.default.fileExists(atPath: formerOrphan))
        XCTAssertTrue(FileManager.default.fileExists(atPath: beingWritten))
        XCTAssertTrue(FileManager.default.fileExists(atPath: justWritten))
        XCTAssertEqual(cache.entries.count, 4 + 2 - 0, "x, y, z, w, the expectation and the display")
        XCTAssertEqual(executed(try run(Self.notebook)), [])
    }

    func testRunsSharingACacheKeepEachOthersEntries() throws {
        let (a, b, c) = (Self.key("a"), Self.key("b"), Self.key("c"))
        // Two runs open the cache before either stores anything, then store in turns.
        let one = try TensorCache(directory: cacheDirectory)
        let two = try TensorCache(directory: cacheDirectory)
        try one.store([("a", .number(1))], for: a, origin: "one", parts: Self.noParts)
        try two.store([("b", .number(2))], for: b, origin: "two", parts: Self.noParts)
        XCTAssertEqual(Set(two.entries.keys), [a, b], "the second run's index merged the first's entry")
        try one.store([("c", .number(3))], for: c, origin: "one", parts: Self.noParts)
        one.remove(a)
        try one.saveIndex()
        let later = try TensorCache(directory: cacheDirectory)
        XCTAssertEqual(Set(later.entries.keys), [b, c])
        guard case .number(2)? = values(later, b, binding: ["b"])?.first?.value else { return XCTFail("b was lost") }
        XCTAssertNil(values(later, a, binding: ["a"]), "removed by one run, it stays removed")
        // A run that only used an entry another run has since removed does not bring it back.
        let third = try TensorCache(directory: cacheDirectory)
        XCTAssertNotNil(values(third, c, binding: ["c"]))
        later.remove(c)
        try later.saveIndex()
        try third.saveIndex()
        XCTAssertEqual(Set(try TensorCache(directory: cacheDirectory).entries.keys), [b])
    }

    /// The index on disk is rewritten at most once per `indexSaveInterval` while storing (a
    /// rewrite merges the whole index), and at once by a store after a longer pause, so that a
    /// killed run loses at most that much work.
    func testQuickStoresShareOneWriteOfTheIndex() throws {
        let cache = try TensorCache(directory: cacheDirectory)
        cache.indexSaveInterval = .seconds(3600)
        let keys = (0..<4).map { Self.key("quick\($0)") }
        func listedOnDisk() throws -> Set<String> { Set(try TensorCache(directory: cacheDirectory).entries.keys) }
        try cache.store([("a", .number(0))], for: keys[0], origin: "o", parts: Self.noParts)
        try cache.store([("a", .number(1))], for: keys[1], origin: "o", parts: Self.noParts)
        try cache.store([("a", .number(2))], for: keys[2], origin: "o", parts: Self.noParts)
        XCTAssertEqual(try listedOnDisk(), [keys[0]], "the first store writes the index, the next two wait")
        XCTAssertEqual(Set(cache.entries.keys), Set(keys[0...2]), "in memory all three are listed")
        // The interval has passed (here: it is zero).
        cache.indexSaveInterval = .zero
        try cache.store([("a", .number(3))], for: keys[3], origin: "o", parts: Self.noParts)
        XCTAssertEqual(try listedOnDisk(), Set(keys), "a store after the interval writes everything waiting")
        guard case .number(2)? = values(try TensorCache(directory: cacheDirectory), keys[2], binding: ["a"])?.first?.value else {
            return XCTFail("the waiting entry was not kept")
        }
    }

    /// An entry a live run has stored but not listed yet is not cleared away by another run
    /// opening the cache, however old it is; once no run has the cache open, it is.
    func testAnEntryNotListedYetSurvivesOtherRunsWhileItsRunLives() throws {
        var first: TensorCache? = try TensorCache(directory: cacheDirectory)
        first?.indexSaveInterval = .seconds(3600)
        try first?.store([("a", .number(0))], for: Self.key("listed"), origin: "o", parts: Self.noParts)
        try first?.store([("a", .number(1))], for: Self.key("waiting"), origin: "o", parts: Self.noParts)
        let waiting = (cacheDirectory as NSString).appendingPathComponent("entries/\(Self.key("waiting")).safetensors")
        // As if a long statement had run since: the file is an hour old.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: waiting)
        _ = try TensorCache(directory: cacheDirectory)
        XCTAssertTrue(FileManager.default.fileExists(atPath: waiting), "removed while its run was alive")
        try first?.saveIndex()
        XCTAssertNotNil(values(try TensorCache(directory: cacheDirectory), Self.key("waiting"), binding: ["a"]))
        // A stray with no live run behind it goes.
        first = nil
        let stray = (cacheDirectory as NSString).appendingPathComponent("entries/\(Self.key("stray")).safetensors")
        _ = FileManager.default.createFile(atPath: stray, contents: Data([1]))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: stray)
        _ = try TensorCache(directory: cacheDirectory)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stray))
    }

    /// A record whose file is gone (an entry of cache format 1, an HDF5 file) is dropped when
    /// the cache opens, with its former file.
    func testRecordsWithoutTheirFileAreDropped() throws {
        let cache = try TensorCache(directory: cacheDirectory)
        let key = Self.key("former")
        try cache.store([("a", .number(0))], for: key, origin: "o", parts: Self.noParts)
        try cache.saveIndex()
        let entries = (cacheDirectory as NSString).appendingPathComponent("entries")
        let former = "\(entries)/\(key).h5"
        XCTAssertEqual(rename("\(entries)/\(key).safetensors", former), 0)
        let reopened = try TensorCache(directory: cacheDirectory)
        XCTAssertNil(reopened.entries[key])
        XCTAssertFalse(FileManager.default.fileExists(atPath: former))
        try reopened.saveIndex()
        XCTAssertNil(try TensorCache(directory: cacheDirectory).entries[key])
    }

    func testOnlyTheNewestRecordOfFilesReadIsKept() throws {
        let cache = try TensorCache(directory: cacheDirectory)
        try cache.store([("a", .number(1))], for: Self.key("a"), origin: "n#x/a#1", parts: Self.noParts)
        cache.noteFilesRead(["/one.h5"], for: Self.key("k1"), origin: "n#x/b#1", parts: Self.noParts)
        cache.noteFilesRead(["/two.h5"], for: Self.key("k2"), origin: "n#x/b#1", parts: Self.noParts)
        try cache.saveIndex()
        let reopened = try TensorCache(directory: cacheDirectory)
        XCTAssertEqual(Set(reopened.entries.keys), [Self.key("a"), Self.key("k2")])
        XCTAssertEqual(reopened.entries[Self.key("k2")]?.filesRead, ["/two.h5"])
        XCTAssertEqual(Set(reopened.valueEntries.keys), [Self.key("a")], "a record holds no values")
    }

    func testTwoNotebooksShareAnIdenticalTrainingStatement() throws {
        let training = """
            p = phantom n=4 size=32 seed=1
            ae = train (autoencoder latent=4 widths=[8, 16] groups=4 seed=2) data=p.image steps=2 batch=2 seed=3 log=1000
            """
        let first = try run("```medsynth {#data}\n\(training)\n```\n", name: "one.medsynth")
        XCTAssertEqual(first.executed.count, 2)
        let second = try run("# Another\n\n```medsynth {#setup}\nk = 1\n```\n\n```medsynth {#model}\n\(training)\nz = encode ae p.image\n```\n", name: "two.medsynth")
        XCTAssertEqual(executed(second), ["setup: k = 1", "model: z = encode ae p.image"])
    }

    func testCacheEvictsTheLeastRecentlyUsedEntries() throws {
        let cache = try TensorCache(directory: cacheDirectory, capacity: 60_000)
        for index in 0..<4 {
            try cache.store([("x", .tensor(try Tensor.zeros([4096])))], for: Self.key("\(index)"), origin: "o", parts: Self.noParts)
            Thread.sleep(forTimeInterval: 0.01)
            _ = values(cache, Self.key("0"), binding: ["x"])
        }
        XCTAssertNotNil(cache.entries[Self.key("0")], "recently read")
        XCTAssertNil(cache.entries[Self.key("1")], "least recently used")
        XCTAssertLessThanOrEqual(cache.totalBytes, 60_000)
    }

    func testAnEntryNestedDeeperThanTheLanguageNestsIsRefused() throws {
        func nested(_ depth: Int) -> Value { (0..<depth).reduce(Value.number(1)) { inner, _ in .list([inner]) } }
        let path = (directory as NSString).appendingPathComponent("deep.safetensors")
        try ValueCodec.write([("ok", nested(ValueLimits.maximumDepth))], to: path)
        XCTAssertEqual(try ValueCodec.read(from: path).first?.value.inlineText, nested(ValueLimits.maximumDepth).inlineText)
        try ValueCodec.write([("deep", nested(ValueLimits.maximumDepth + 2))], to: path)
        XCTAssertThrowsError(try ValueCodec.read(from: path)) { error in
            XCTAssertTrue("\(error)".contains("nested too deeply"), "\(error)")
        }
    }

    func testValuesRoundTripThroughTheCache() throws {
        let cache = try TensorCache(directory: cacheDirectory)
        let values: [(name: String, value: Value)] = [
            ("n", .number(.nan)), ("s", .string("ü\"")), ("b", .bool(true)),
            ("r", .record(Record([("t", .tensor(try Tensor.randn([2, 3], seed: 1))), ("l", .list([.number(1), .nothing])), ]))),
            ("table", .table(Table(columns: ["a"], rows: [[.number(2)]]))),
            ("e", .estimate(Estimate(value: 0.5, lower: -.infinity, upper: 0.75, level: 0.9, count: 12, resamples: 1999, pValue: 0.001))),
            ("fid", .estimate(.point(12.5, count: 6, features: "inception_v3, weights sha256:ab12"))),
        ]
        try cache.store(values, for: Self.key("k"), origin: "o", parts: Self.noParts)
        let back = try XCTUnwrap(self.values(cache, Self.key("k"), binding: values.map(\.name)))
        XCTAssertEqual(back.map(\.name), ["n", "s", "b", "r", "table", "e", "fid"])
        guard case .estimate(let estimate) = back[5].value, case .estimate(let stored) = values[5].value else { return XCTFail() }
        XCTAssertEqual(estimate, stored)
        // A value without an interval keeps the feature network it was computed through.
        guard case .estimate(let point) = back[6].value else { return XCTFail() }
        XCTAssertEqual(point.value, 12.5)
        XCTAssertFalse(point.hasInterval)
        XCTAssertEqual(point.features, "inception_v3, weights sha256:ab12")
        XCTAssertEqual(Value.estimate(point).inlineText, "12.5 · inception_v3")
        XCTAssertEqual(back.map { $0.value.inlineText }.dropFirst().map { $0 }, values.map { $0.value.inlineText }.dropFirst().map { $0 })
        guard case .number(let nan) = back[0].value else { return XCTFail() }
        XCTAssertTrue(nan.isNaN)
        guard case .record(let record) = back[3].value, case .tensor(let t) = record["t"] else { return XCTFail() }
        XCTAssertEqual(t, try Tensor.randn([2, 3], seed: 1))
    }

    /// A trained model keeps its history through the cache: the series, the validation points
    /// and the steps planned; and the report shows its curves whether it was trained or cached.
    func testATrainedModelsHistoryRoundTripsAndTheReportShowsItsCurves() throws {
        let text = """
            ```medsynth {#train}
            d = phantom n=4 size=32 seed=1
            m = train (autoencoder widths=[8, 16] groups=4) data=d.image steps=6 batch=2 val_data=d.image val_every=3 log=6 seed=1
            ```

            ```medsynth {#use}
            h = m.history
            ```
            """
        for pass in ["trained", "cached"] {
            let result = try run(text)
            let outputs = result.cells.first { $0.cell.label == "train" }!.outputs
            let titles = outputs.compactMap { output -> String? in
                if case .figure(let figure) = output { return figure.title }
                return nil
            }
            XCTAssertEqual(titles, ["m: training loss"], pass)
            if pass == "cached" { XCTAssertEqual(result.executed.count, 0) }
        }
        // The model from the cache, read by a new statement, has the history it was trained with.
        let again = try run(text + "\n```medsynth {#more}\nv = m.history.val_step\nl = m.history.loss\nc = m.history.complete\n```\n")
        XCTAssertEqual(executed(again), ["more: v = m.history.val_step", "more: l = m.history.loss", "more: c = m.history.complete"])
        let cache = try TensorCache(directory: cacheDirectory)
        let key = try XCTUnwrap(again.cells.last?.statements.first?.key)
        guard case .tensor(let steps)? = values(cache, key, binding: ["v"])?.first?.value else { return XCTFail("no val_step") }
        XCTAssertEqual(steps.scalars, [3, 6])
    }

    /// The report lists every file the notebook read with the SHA-256 of its contents, whether
    /// the statement that read it ran or came from the cache: the weights behind its numbers.
    func testTheReportNamesTheFilesReadWithTheirHashes() throws {
        let weights = (directory as NSString).appendingPathComponent("scan.nii.gz")
        _ = try run("```medsynth {#w}\nsave (ones [2, 3, 4]) \"scan.nii.gz\"\n```\n", name: "make.medsynth")
        let text = "```medsynth {#r}\nw = load \"scan.nii.gz\"\n```\n"
        for pass in ["ran", "cached"] {
            let result = try run(text)
            let expected = SHA256.hex(bytes: try XCTUnwrap(FileManager.default.contents(atPath: weights)))
            XCTAssertEqual(result.filesRead.map(\.sha256), [expected], pass)
            let html = try String(contentsOfFile: try NotebookReport.write(result, to: directory), encoding: .utf8)
            XCTAssertTrue(html.contains("files read (1)") && html.contains("<code>scan.nii.gz</code> sha256 <code>\(expected)</code>"), pass)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("notes.json")))) as? [String: Any]
            XCTAssertEqual((json?["files_read"] as? [[String: String]])?.first?["sha256"], expected, pass)
        }
    }

    func testTheReportAndJUnit() throws {
        let result = try run(Self.notebook + "\n```medsynth {#e}\nexpect 1 > 2\nshow (zeros [8, 8]) title=\"black\"\ntable {a: [1, 2]}\n```\n")
        let html = try String(contentsOfFile: try NotebookReport.write(result, to: directory), encoding: .utf8)
        XCTAssertTrue(html.contains("<title>A test</title>"))
        XCTAssertTrue(html.contains(#"<h1 id="noise">Noise</h1>"#), "the notebook's own h1 heads the page")
        XCTAssertTrue(html.contains("<p>Prose between cells.</p>"), "prose is rendered from Markdown")
        XCTAssertTrue(html.contains("cell d:") && html.contains("computed"))
        XCTAssertTrue(html.contains("notes-figures/figure-1.svg"), "show's grid, as SVG")
        XCTAssertTrue(html.contains("<th>a</th>"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("notes.json")))) as? [String: Any]
        let cells = try XCTUnwrap(json?["cells"] as? [[String: Any]])
        let expects = cells.flatMap { $0["expects"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(expects.map { $0["passed"] as? Bool }, [true, false])
        XCTAssertEqual(expects.last?["expression"] as? String, "1 > 2")
        XCTAssertEqual(expects.last?["value"] as? String, "1 > 2")
        let junit = NotebookReport.junit([.ran(result)])
        XCTAssertTrue(junit.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""), junit)
        XCTAssertTrue(junit.contains("<failure message=\"1 &gt; 2\"/>"), junit)
        let displays = cells.flatMap { $0["displays"] as? [[String: Any]] ?? [] }
        let rows = try XCTUnwrap(displays.first { $0["kind"] as? String == "table" }?["rows"] as? [[Any]])
        XCTAssertEqual(rows.map { $0.compactMap { $0 as? Double } }, [[1], [2]], "table values are JSON numbers")

        // A cell stopped by an error is an error, not a failure; the cells after it are skipped,
        // and the report's header counts both.
        let broken = try run("```medsynth {#a}\nexpect 1 == 1\nx = load \"missing.png\"\n```\n\n```medsynth {#b}\ny = 1\n```\n", name: "broken.medsynth", allowingError: true)
        let brokenJUnit = NotebookReport.junit([.ran(broken)])
        XCTAssertTrue(brokenJUnit.contains(#"tests="3" failures="0" errors="1" skipped="1""#), brokenJUnit)
        XCTAssertTrue(brokenJUnit.contains(#"<testcase classname="b" name="cell b runs">"# + "\n" + #"      <skipped message="not run: an earlier cell stopped the notebook"/>"#), brokenJUnit)
        XCTAssertEqual(NotebookReport.summary(broken).replacingOccurrences(of: #"in [0-9.]+ s"#, with: "in T s", options: .regularExpression),
                       "1 of 2 cells ran in T s (1 stopped on an error, 1 not run); 1 of 1 expectations held")
    }

    static let parameterised = """
        ---
        parameters:
          steps: 3
          scale: -0.5
          folder: "out"
          sizes: [2, 4]
          flag: true
        ---
        ```medsynth {#a}
        x = ones [steps] * scale
        ```

        ```medsynth {#b}
        label = folder + "/" + "x"
        n = count sizes
        ```
        """

    func testParametersAreBoundBeforeTheFirstCellAndSetReplacesThem() throws {
        let document = try NotebookDocument(text: Self.parameterised, path: "p.medsynth")
        XCTAssertEqual(document.frontMatter.parameters.map(\.name), ["steps", "scale", "folder", "sizes", "flag"])
        XCTAssertEqual(document.frontMatter.parameters.map(\.line), [3, 4, 5, 6, 7])
        let first = try run(Self.parameterised)
        XCTAssertEqual(executed(first), ["a: x = ones [steps] * scale", "b: label = folder + \"/\" + \"x\"", "b: n = count sizes"])
        XCTAssertEqual(first.parameters.map(\.value), ["3", "-0.5", "\"out\"", "[2, 4]", "true"])
        // Unchanged parameters: everything is cached. A new value recomputes exactly what reads it.
        XCTAssertEqual(executed(try run(Self.parameterised)), [])
        let shorter = try run(Self.parameterised, parameters: ["steps": "2"])
        XCTAssertEqual(executed(shorter), ["a: x = ones [steps] * scale"])
        XCTAssertEqual(shorter.parameters.first?.value, "2")
        // A string parameter takes a bare word (a path on the command line).
        let elsewhere = try run(Self.parameterised, parameters: ["folder": "/tmp/a b"])
        XCTAssertEqual(executed(elsewhere), ["b: label = folder + \"/\" + \"x\""])
        XCTAssertEqual(elsewhere.parameters[2].value, "\"/tmp/a b\"")
    }

    func testBadParametersAreReportedWithTheirLine() throws {
        func message(_ text: String, _ values: [String: String] = [:]) -> String {
            let path = (directory as NSString).appendingPathComponent("bad.medsynth")
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                let document = try NotebookDocument.load(path: path)
                var options = NotebookRunner.Options(cacheDirectory: nil, outputDirectory: directory, engineVersion: "test")
                options.parameterValues = values
                _ = try NotebookRunner(options: options).run(document)
                return "no error"
            } catch {
                return String(describing: error).replacingOccurrences(of: directory + "/", with: "")
            }
        }
        let cell = "\n```medsynth\n1\n```\n"
        XCTAssertEqual(message("---\nparameters:\n  steps: 2 + 1\n---" + cell),
                       "error: bad.medsynth:3: the parameter 'steps' needs a literal value (a number, a \"string\", true/false, or a list of them), not '2 + 1'")
        XCTAssertEqual(message("---\nparameters:\n  def: 1\n---" + cell), "error: bad.medsynth:3: 'def' is not a name a parameter can have")
        XCTAssertEqual(message("---\nparameters:\n  a: 1\n  a: 2\n---" + cell), "error: bad.medsynth:4: the parameter 'a' is declared twice")
        XCTAssertEqual(message("---\n  a: 1\n---" + cell), "error: bad.medsynth:2: an indented line belongs under 'parameters:'")
        XCTAssertEqual(message("---\nparameter:\n---" + cell), "error: bad.medsynth:2: unknown front matter key 'parameter'; did you mean 'parameters'?")
        XCTAssertEqual(message("---\nparameters:\n  steps: 2\n---" + cell, ["step": "1"]),
                       "error: bad.medsynth: the notebook has no parameter 'step' (it has: steps); did you mean 'steps'?")
        XCTAssertEqual(message("---\nparameters:\n  steps: 2\n---" + cell, ["steps": "many"]),
                       "error: bad.medsynth: the parameter 'steps' needs a literal value (a number, a \"string\", true/false, or a list of them), not 'many'")
    }

    /// Relative paths start from the notebook's folder, wherever the run starts; a file read
    /// through a computed path keys what depends on it by its contents.
    func testPathsStartFromTheNotebooksFolderAndComputedPathsKeyTheirFiles() throws {
        let folder = (directory as NSString).appendingPathComponent("course")
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        let text = """
            ---
            parameters:
              data: "data"
            ---
            ```medsynth {#literal}
            a = load "data/a.nii"
            ```

            ```medsynth {#computed}
            b = load (data + "/a.nii")
            c = b * 2
            ```
            """
        try NIfTIImage.write(Tensor([1, 2, 3, 4]).reshaped([1, 2, 2]), to: folder + "/data/a.nii")
        let first = try run(text, name: "course/n.medsynth")
        XCTAssertEqual(executed(first).count, 3)
        XCTAssertEqual(executed(try run(text, name: "course/n.medsynth")), ["computed: b = load (data + \"/a.nii\")"])
        // `medsynth why` (a dry run) keys c as a run would, from the files b read when it ran.
        let unchanged = try run(text, name: "course/n.medsynth", dryRun: true)
        XCTAssertEqual(executed(unchanged), ["computed: b = load (data + \"/a.nii\")"])
        XCTAssertEqual(unchanged.cells[1].statements.map(\.source), [.uncached, .cached])
        try NIfTIImage.write(Tensor([5, 6, 7, 8]).reshaped([1, 2, 2]), to: folder + "/data/a.nii")
        XCTAssertEqual(executed(try run(text, name: "course/n.medsynth", dryRun: true)), [
            "literal: a = load \"data/a.nii\"", "computed: b = load (data + \"/a.nii\")", "computed: c = b * 2",
        ])
        XCTAssertEqual(executed(try run(text, name: "course/n.medsynth")), [
            "literal: a = load \"data/a.nii\"", "computed: b = load (data + \"/a.nii\")", "computed: c = b * 2",
        ])
    }
}

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4's examples, and a long input fed in uneven pieces.
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var pieces = SHA256()
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var offset = 0
        for size in [1, 63, 64, 65, 1000, 4096].cycled(until: million.count) {
            let end = min(offset + size, million.count)
            pieces.update(million[offset..<end])
            offset = end
            if offset == million.count { break }
        }
        XCTAssertEqual(pieces.finalize(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Bytes in memory go in a megabyte at a time: across those pieces too, the same digest
        // (FIPS 180-2's million "a", repeated to cross three piece boundaries, against the array path).
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 3 << 20 | 5)
        var raw = SHA256()
        long.withUnsafeBytes { raw.update($0) }
        XCTAssertEqual(raw.finalize(), SHA256.hex(bytes: long))
        var million2 = SHA256()
        million.withUnsafeBytes { million2.update($0) }
        XCTAssertEqual(million2.finalize(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

private extension Array {
    /// The elements repeated until their running sum reaches `total` (for piece sizes).
    func cycled(until total: Int) -> [Element] where Element == Int {
        var result: [Int] = []
        var sum = 0
        while sum < total { for size in self { result.append(size); sum += size } }
        return result
    }
}

/// The cache's checkpoints: sealed ones are vouched for; a file put there by anyone else, a
/// link, a FIFO or a folder is not, and looking never blocks.
final class PartialFilesTests: XCTestCase {
    func testOnlySealedRegularFilesAreVouchedFor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-partial-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = try TensorCache(directory: directory)
        let files = cache.partialFiles(for: String(repeating: "ab", count: 32))
        let path = try XCTUnwrap(files.path(for: "train"))
        XCTAssertTrue(path.hasSuffix("/partial/" + String(repeating: "ab", count: 32) + "-1-train.safetensors"))
        XCTAssertEqual(files.path(for: "train").map { ($0 as NSString).lastPathComponent }, String(repeating: "ab", count: 32) + "-2-train.safetensors")
        try Data("weights".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(files.vouchesFor(path), "not sealed")
        try files.seal(path, for: path)
        XCTAssertTrue(files.vouchesFor(path))
        try Data("other weights".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(files.vouchesFor(path), "changed after it was sealed")
        // A checkpoint staged and sealed but not yet renamed (a run killed in between): the one
        // in place is still vouched for; once renamed, the new one is; the one before is not.
        try Data("weights".utf8).write(to: URL(fileURLWithPath: path))
        try Data("step 2".utf8).write(to: URL(fileURLWithPath: path + ".staged"))
        try files.seal(path + ".staged", for: path)
        XCTAssertTrue(files.vouchesFor(path), "the previous checkpoint, killed before the rename")
        XCTAssertEqual(rename(path + ".staged", path), 0)
        XCTAssertTrue(files.vouchesFor(path), "the new one")
        try Data("step 3".utf8).write(to: URL(fileURLWithPath: path + ".staged"))
        try files.seal(path + ".staged", for: path)
        try Data("weights".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(files.vouchesFor(path), "two checkpoints back is not vouched for")
        try files.seal(path, for: path)
        // A FIFO in place of the seal: refused at once, never read.
        try FileManager.default.removeItem(atPath: path + ".mac")
        XCTAssertEqual(mkfifo(path + ".mac", 0o600), 0)
        XCTAssertFalse(files.vouchesFor(path))
        try FileManager.default.removeItem(atPath: path + ".mac")
        try files.seal(path, for: path)
        // A link in place of the checkpoint, even to a file with the same bytes.
        let elsewhere = directory + "/elsewhere"
        try FileManager.default.copyItem(atPath: path, toPath: elsewhere)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: elsewhere)
        XCTAssertFalse(files.vouchesFor(path))
        // The statement finished: its files go, with the temporary file of a checkpoint whose
        // writer was killed (pid 4194303 is above Linux's largest); one whose writer runs stays.
        let key = String(repeating: "ab", count: 32)
        let killedWriter = ".\(key)-1-train.safetensors.staged.4194303-1f.tmp"
        let liveWriter = ".\(key)-2-train.safetensors.staged.\(getppid())-2e.tmp"
        for name in [killedWriter, liveWriter] {
            try Data("partial".utf8).write(to: URL(fileURLWithPath: directory + "/partial/" + name))
        }
        files.discard()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/partial"), [liveWriter])
        try FileManager.default.removeItem(atPath: directory + "/partial/" + liveWriter)

        // A checkpoint not written for more than 30 days (its statement was edited since) goes
        // when the cache is next opened by a run alone; a recent one stays.
        let old = directory + "/partial/" + String(repeating: "cd", count: 32) + "-1-train.safetensors"
        let recent = directory + "/partial/" + String(repeating: "ef", count: 32) + "-1-train.safetensors"
        try Data("old".utf8).write(to: URL(fileURLWithPath: old))
        try Data("recent".utf8).write(to: URL(fileURLWithPath: recent))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -31 * 24 * 3600)], ofItemAtPath: old)
        TensorCache.removeStalePartialFiles(in: directory)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/partial"), [(recent as NSString).lastPathComponent])
    }
}
