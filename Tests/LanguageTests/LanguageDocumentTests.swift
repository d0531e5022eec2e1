import XCTest
@testable import Language

/// docs/language.md teaches the language with examples; they run here, in order, in one
/// session with the prelude loaded, and every expect in them must hold.
final class LanguageDocumentTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func session() throws -> Session {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-doc-\(UUID().uuidString)").path
        let session = Session(context: RuntimeContext(outputDirectory: directory, seed: 1) { _ in })
        try session.loadLibrary([Self.root.appendingPathComponent("stdlib/prelude.medsynth").path])
        return session
    }

    func testEveryExampleOfTheLanguagePageRuns() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/language.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let session = try session()
        var examples = 0
        var index = 0
        while index < lines.count {
            guard lines[index] == "```medsynth" else { index += 1; continue }
            var end = index + 1
            while end < lines.count, lines[end] != "```" { end += 1 }
            let report = session.run(lines[(index + 1)..<end].joined(separator: "\n"), name: "docs/language.md", firstLine: index + 2)
            XCTAssertNil(report.diagnostic, "\(report.diagnostic.map(String.init(describing:)) ?? "")")
            for failure in report.failedExpectations { XCTFail(Session.describeFailure(failure)) }
            examples += 1
            index = end + 1
        }
        XCTAssertGreaterThanOrEqual(examples, 6)
        XCTAssertGreaterThanOrEqual(session.expectations.count, 15)
    }

    func testThePageShowsTheDiagnosticItDescribes() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/language.md"), encoding: .utf8)
        let interpreter = Interpreter(context: RuntimeContext { _ in })
        XCTAssertThrowsError(try interpreter.run(SourceFile(name: "notes.medsynth", text: "p = phantom n=2 sede=1"))) { error in
            XCTAssertTrue(text.contains("\(error)"), "docs/language.md should show:\n\(error)")
        }
    }

    func testThePreludeHelpers() throws {
        let session = try session()
        let report = session.run("""
            p = phantom n=2 size=32 seed=1
            expect min (signed p.image) >= -1
            expect unsigned (signed p.image) ~ p.image +- 1e-6
            expect mse [1, 2] [1, 4] == 2
            expect shape (mask_of p) == [2, 4, 32, 32]
            expect edges_of p ~ edges p.image sigma=1 low=0.1 high=0.2
            expect shape (first_n p.image 1) == [1, 1, 32, 32]
            """, name: "t")
        XCTAssertNil(report.diagnostic, "\(report.diagnostic.map(String.init(describing:)) ?? "")")
        XCTAssertEqual(report.failedExpectations.count, 0, report.failedExpectations.map(Session.describeFailure).joined(separator: "\n"))
        XCTAssertEqual(session.expectations.count, 6)
        XCTAssertTrue(session.variables().rows.allSatisfy { row in
            if case .string(let name) = row[0] { return !["signed", "mse"].contains(name) }
            return false
        }, "library functions are not listed as the user's variables")
    }
}

final class CompleterTests: XCTestCase {
    func testCompletesVerbsOptionsNamesCommandsAndPaths() throws {
        let completer = Completer(registry: .standard, names: ["train", "trained_ae"], commands: [":help", ":vars", ":quit"])
        XCTAssertEqual(completer.completions(of: "e = edg"), ["edges"])
        XCTAssertEqual(completer.completions(of: "x = trai"), ["train", "trained_ae"])
        XCTAssertEqual(completer.completions(of: "p = phantom n=2 si"), ["size="])
        XCTAssertEqual(completer.completions(of: "e = edges p.image sigma=1 l"), ["low="])
        XCTAssertEqual(completer.completions(of: ":v"), [":vars"])
        XCTAssertEqual(completer.completions(of: ":help oneh"), ["onehot"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-complete-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("scans"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("scan.nii.gz").path, contents: Data())
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertEqual(completer.completions(of: "x = load \"\(directory.path)/sca"), ["\(directory.path)/scan.nii.gz", "\(directory.path)/scans/"])
    }
}
