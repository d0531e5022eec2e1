import XCTest
@testable import Language
@testable import Notebook

/// Values nested 10,000 deep where a notebook takes medsynth source outside its cells: a
/// parameter in the front matter, and a `--set` value on the command line. Each is refused with
/// the parser's nesting diagnostic, and the message stays short.
final class NotebookNestingTests: XCTestCase {
    static let deepList = String(repeating: "[", count: 10_000) + "1" + String(repeating: "]", count: 10_000)
    static let notebook = "---\nparameters:\n  steps: 2\n---\n\n```medsynth\ny = steps\n```\n"

    func testADeepFrontMatterParameterIsRefused() {
        let text = "---\nparameters:\n  steps: \(Self.deepList)\n---\n\n```medsynth\ny = steps\n```\n"
        do {
            _ = try NotebookDocument(text: text, path: "deep.medsynth")
            XCTFail("the notebook was accepted")
        } catch {
            XCTAssertEqual(
                error.description,
                "error: deep.medsynth:3: the parameter 'steps' has no valid value: nesting is too deep (more than 100 levels)")
        }
    }

    func testADeepSetValueIsRefused() throws {
        let document = try NotebookDocument(text: Self.notebook, path: "deep.medsynth")
        var options = NotebookRunner.Options(cacheDirectory: nil, outputDirectory: NSTemporaryDirectory(), engineVersion: "test")
        options.parameterValues = ["steps": Self.deepList]
        XCTAssertThrowsError(try NotebookRunner(options: options).parameters(of: document)) { error in
            XCTAssertEqual(
                (error as? NotebookError)?.description,
                "error: deep.medsynth: the parameter 'steps' has no valid value: nesting is too deep (more than 100 levels)")
        }
    }

    /// A statement nested as deep as the parser allows goes through every walker of the runner:
    /// the analyser, the cache key's syntax and canonical form, the interpreter, the cache.
    func testAStatementNestedToTheLimitRunsThroughTheRunner() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-nesting-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let depth = Parser.maximumNesting - 2
        let deep = String(repeating: "[", count: depth) + "phantom n=1 size=32 seed=1" + String(repeating: "]", count: depth)
        let document = try NotebookDocument(text: "```medsynth\ny = \(deep)\nexpect (count y) == 1\n```\n", path: "deep.medsynth")
        let options = NotebookRunner.Options(
            cacheDirectory: (directory as NSString).appendingPathComponent("cache"), outputDirectory: directory, engineVersion: "test")
        for _ in 0..<2 {
            let result = try NotebookRunner(options: options).run(document)
            XCTAssertNil(result.diagnostic)
            XCTAssertTrue(result.succeeded)
        }
    }

    /// A value that parses but is no literal is quoted in the message, shortened.
    func testALongNonLiteralIsQuotedShortened() {
        let value = Array(repeating: "a", count: 100).joined(separator: " + ")
        let problem = NotebookDocument.Parameter.validate(name: "steps", value: value)
        XCTAssertEqual(
            problem,
            "the parameter 'steps' needs a literal value (a number, a \"string\", true/false, or a list of them), not '"
                + value.prefix(60) + "…'")
    }
}
