import Engine
import Formats
import XCTest
@testable import Language
@testable import Notebook

/// The trust boundary of a notebook run: `load` and `save` stay inside the notebook's folder
/// tree, the cache, the output folder and the folders the user allows.
final class FileAccessTests: XCTestCase {
    var directory = ""
    /// A file outside every folder a notebook in `notebooks/` may use.
    var victim = ""

    override func setUp() {
        directory = FileAccess.canonical(
            FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-access-\(UUID().uuidString)").path)
        for folder in ["notebooks", "elsewhere"] {
            try? FileManager.default.createDirectory(atPath: path(folder), withIntermediateDirectories: true)
        }
        victim = path("elsewhere/victim.h5")
        try? HDF5File.write(to: victim) { file in try file.write(Tensor([1, 2, 3]), to: "/data") }
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ relative: String) -> String { (directory as NSString).appendingPathComponent(relative) }

    /// Runs `code` as the one cell of notebooks/notes.medsynth, confined as `medsynth run` confines it.
    func run(_ code: String, allowing folders: [String] = []) throws -> NotebookRunner.RunResult {
        let notebook = path("notebooks/notes.medsynth")
        try "```medsynth {#cell}\n\(code)\n```\n".write(toFile: notebook, atomically: true, encoding: .utf8)
        var options = NotebookRunner.Options(cacheDirectory: path("cache"), outputDirectory: path("out/figures"), engineVersion: "test")
        options.allowedFolders = folders
        return try NotebookRunner(options: options).run(try NotebookDocument.load(path: notebook))
    }

    func message(_ result: NotebookRunner.RunResult) -> String {
        result.diagnostic.map(String.init(describing:)) ?? "no error"
    }

    func testCanonicalPathsResolveDotsAndLinksAsTheFileSystemDoes() throws {
        XCTAssertEqual(FileAccess.canonical(path("notebooks/../elsewhere/./victim.h5")), victim)
        XCTAssertEqual(FileAccess.canonical(path("notebooks/new/../file.png")), path("notebooks/file.png"))
        try FileManager.default.createSymbolicLink(atPath: path("notebooks/data"), withDestinationPath: path("elsewhere"))
        XCTAssertEqual(FileAccess.canonical(path("notebooks/data/victim.h5")), victim)
        // A link whose target does not exist yet resolves to that target: writing through it
        // would create the file there.
        try FileManager.default.createSymbolicLink(atPath: path("notebooks/dangling.png"), withDestinationPath: "../elsewhere/new.png")
        XCTAssertEqual(FileAccess.canonical(path("notebooks/dangling.png")), path("elsewhere/new.png"))
        // A loop of links resolves to no folder at all.
        try FileManager.default.createSymbolicLink(atPath: path("notebooks/loop"), withDestinationPath: path("notebooks/loop"))
        XCTAssertEqual(FileAccess.canonical(path("notebooks/loop/x")), FileAccess.unresolvable)
        XCTAssertNotNil(FileAccess.confined(to: [path("notebooks")], outputFolders: []).refusal(of: path("notebooks/loop/x"), for: .read))
    }

    func testANotebookCannotReadOutsideItsFolders() throws {
        let result = try run("x = load \"../elsewhere/victim.h5\" dataset=\"/data\"")
        XCTAssertTrue(message(result).contains("a notebook may not read"), message(result))
        XCTAssertTrue(message(result).contains("--allow-path"), message(result))
        // A link inside the notebook's folder does not widen the boundary.
        try FileManager.default.createSymbolicLink(atPath: path("notebooks/data"), withDestinationPath: path("elsewhere"))
        let linked = try run("x = load \"data/victim.h5\" dataset=\"/data\"")
        XCTAssertTrue(message(linked).contains("a notebook may not read"), message(linked))
        let absolute = try run("x = load \"\(victim)\" dataset=\"/data\"")
        XCTAssertTrue(message(absolute).contains("a notebook may not read"), message(absolute))
    }

    func testAnAllowedFolderCanBeReadAndWritten() throws {
        let result = try run("x = load \"../elsewhere/victim.h5\" dataset=\"/data\"\nsave x \"../elsewhere/copy.h5\"", allowing: [path("elsewhere")])
        XCTAssertNil(result.diagnostic, message(result))
        XCTAssertEqual(try HDF5File(reading: path("elsewhere/copy.h5")).readTensor("/data").scalars, [1, 2, 3])
    }

    func testANotebookCannotWriteOutsideItsFolders() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: victim))
        for target in ["../elsewhere/victim.h5", victim, "../elsewhere/new.h5"] {
            let result = try run("save (zeros [2]) \"\(target)\" overwrite=true")
            XCTAssertTrue(message(result).contains("a notebook may not write"), message(result))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: victim)), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("elsewhere/new.h5")))
    }

    func testReplacingAFileNeedsOverwriteExceptInTheOutputFolder() throws {
        XCTAssertNil(try run("save (zeros [2]) \"mine.h5\"").diagnostic)
        let again = try run("save (ones [2]) \"mine.h5\"")
        XCTAssertTrue(message(again).contains("exists"), message(again))
        XCTAssertTrue(message(again).contains("overwrite=true"), message(again))
        XCTAssertEqual(try HDF5File(reading: path("notebooks/mine.h5")).readTensor("/data").scalars, [0, 0])
        XCTAssertNil(try run("save (ones [2]) \"mine.h5\" overwrite=true").diagnostic)
        XCTAssertEqual(try HDF5File(reading: path("notebooks/mine.h5")).readTensor("/data").scalars, [1, 1])
        // The output folder's files are rewritten freely.
        for _ in 0..<2 {
            let result = try run("save (ones [2]) \"../out/figures/x.h5\"")
            XCTAssertNil(result.diagnostic, message(result))
        }
    }

    func testOneCharacterPathsAndFoldersAreFileNamesOrClearErrors() throws {
        // Foundation's deletingLastPathComponent traps on "a", "a/", "." and "./".
        for (path, folder) in [("a", ""), ("a/", ""), (".", ""), ("./", ""), ("/", "/"), ("/a", "/"), ("x/a", "x"), ("ab/c/", "ab"), ("/a//b", "/a")] {
            XCTAssertEqual(PathName.folder(of: path), folder, path)
        }
        let session = Session(context: RuntimeContext(outputDirectory: path("out")))
        let here = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(path("notebooks")))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(here) }
        for target in [".", "./", "..", "/"] {
            let report = session.run("save (zeros [1, 2, 2]) \"\(target)\"", name: "repl")
            XCTAssertTrue(report.diagnostic.map { "\($0)".contains("is a folder") } ?? false, "\(target): \(String(describing: report.diagnostic))")
        }
        XCTAssertTrue(session.run("save (zeros [1, 2, 2]) \"a\"", name: "repl").diagnostic.map { "\($0)".contains("cannot write a tensor") } ?? false)
        XCTAssertNil(session.run("save (zeros [1, 2, 2]) \"b.h5\"", name: "repl").diagnostic)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("notebooks/b.h5")))
    }

    func testTheReplIsUnrestricted() throws {
        let session = Session(context: RuntimeContext(outputDirectory: path("out")))
        XCTAssertNil(session.run("x = load \"\(victim)\" dataset=\"/data\"", name: "repl").diagnostic)
        XCTAssertNil(session.run("save x \"\(victim)\"", name: "repl").diagnostic)
    }
}
