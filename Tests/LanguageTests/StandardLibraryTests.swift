import Foundation
import XCTest
@testable import Language

/// The standard library built into the binary is stdlib/ as it is in the repository, byte for
/// byte, and MEDSYNTH_STDLIB replaces it only with a folder that has a prelude.
final class StandardLibraryTests: XCTestCase {
    static let stdlib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("stdlib")

    func testTheBuiltInLibraryIsTheRepositorysStdlibFolder() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.stdlib.path).filter { $0.hasSuffix(".medsynth") }
        let onDisk = StandardLibrary.ordered(try LibrarySource.files(names.map { Self.stdlib.appendingPathComponent($0).path }))
        XCTAssertEqual(StandardLibrary.builtIn.map(\.name), ["prelude.medsynth"] + names.filter { $0 != "prelude.medsynth" }.sorted())
        XCTAssertEqual(StandardLibrary.builtIn.map(\.text), onDisk.map(\.text), "rebuild: the embedded stdlib is stale")
        let selection = try StandardLibrary.selected(environment: [:])
        XCTAssertEqual(selection.sources, StandardLibrary.builtIn)
        XCTAssertEqual(selection.description, "built in (\(StandardLibrary.builtIn.map(\.name).joined(separator: ", ")))")
    }

    func testMEDSYNTH_STDLIBNamesAFolderWithAPrelude() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stdlib-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertThrowsError(try StandardLibrary.selected(environment: ["MEDSYNTH_STDLIB": folder.path])) { error in
            XCTAssertTrue("\(error)".contains("MEDSYNTH_STDLIB=\(folder.path) has no prelude.medsynth"), "\(error)")
        }
        let missing = folder.appendingPathComponent("missing").path
        XCTAssertThrowsError(try StandardLibrary.selected(environment: ["MEDSYNTH_STDLIB": missing])) { error in
            XCTAssertTrue("\(error)".contains("MEDSYNTH_STDLIB=\(missing) is not a folder"), "\(error)")
        }
        try "def twice x = x * 2\n".write(to: folder.appendingPathComponent("prelude.medsynth"), atomically: true, encoding: .utf8)
        try "def thrice x = x * 3\n".write(to: folder.appendingPathComponent("a.medsynth"), atomically: true, encoding: .utf8)
        let selection = try StandardLibrary.selected(environment: ["MEDSYNTH_STDLIB": folder.path])
        XCTAssertEqual(selection.sources.map(\.name), ["prelude.medsynth", "a.medsynth"])
        XCTAssertEqual(selection.sources.map(\.origin), [folder.appendingPathComponent("prelude.medsynth").path,
                                                         folder.appendingPathComponent("a.medsynth").path])
        XCTAssertTrue(selection.description.hasPrefix("MEDSYNTH_STDLIB=\(folder.path) "), selection.description)
    }

    /// A session without the library: a library function is unknown, and the message says it
    /// belongs to the standard library rather than guessing at a spelling.
    func testALibraryFunctionInASessionWithoutTheLibraryNamesTheLibrary() throws {
        let session = Session(context: RuntimeContext(outputDirectory: NSTemporaryDirectory() + "medsynth-stdlib-tests") { _ in })
        let diagnostic = try XCTUnwrap(session.run("m = outline_of 1", name: "test").diagnostic)
        XCTAssertTrue("\(diagnostic)".contains("unknown verb 'outline_of'"), "\(diagnostic)")
        XCTAssertTrue("\(diagnostic)".contains("a function of medsynth's standard library (course.medsynth), which this session did not load"),
                      "\(diagnostic)")
        try session.loadLibrary(sources: StandardLibrary.builtIn)
        XCTAssertNil(session.run("m = outline_of 1", name: "test").diagnostic.flatMap { "\($0)".contains("unknown verb") ? $0 : nil })
        XCTAssertNil(StandardLibrary.hint(forUnknown: "no_such_function"))
    }
}
