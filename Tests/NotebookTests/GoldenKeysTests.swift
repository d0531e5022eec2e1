import Foundation
import XCTest
@testable import Language
@testable import Notebook

/// The cache keys of three course notebooks, recorded: a change to how the runner plans, keys
/// or chains statements that was meant to change no key shows here. A change meant to change
/// keys regenerates the record (MEDSYNTH_UPDATE_GOLDEN=1) and says why in its commit.
final class GoldenKeysTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let notebooks = ["00-quickstart", "03-forward-diffusion", "05-conditioning-experiment"]

    /// "notebook cell:line" → key, from a dry run (nothing runs; every key is computed).
    static func keys() throws -> [String: String] {
        var keys: [String: String] = [:]
        for name in notebooks {
            var options = NotebookRunner.Options(cacheDirectory: nil, outputDirectory: NSTemporaryDirectory(), engineVersion: "golden")
            options.libraries = StandardLibrary.builtIn
            options.dryRun = true
            let document = try NotebookDocument.load(path: root.appendingPathComponent("notebooks/\(name).medsynth").path)
            let result = try NotebookRunner(options: options).run(document)
            XCTAssertNil(result.diagnostic, "\(name): \(result.diagnostic.map(String.init(describing:)) ?? "")")
            for record in result.cells.flatMap(\.statements) {
                keys["\(name) \(record.cell):\(record.line)"] = record.key
            }
        }
        return keys
    }

    func testTheCourseNotebooksKeepTheirKeys() throws {
        let path = Self.root.appendingPathComponent("Tests/NotebookTests/Fixtures/golden-keys.json").path
        let keys = try Self.keys()
        XCTAssertGreaterThan(keys.count, 60)
        if ProcessInfo.processInfo.environment["MEDSYNTH_UPDATE_GOLDEN"] == "1" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(keys).write(to: URL(fileURLWithPath: path))
        }
        let recorded = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        for place in Set(keys.keys).union(recorded.keys).sorted() where keys[place] != recorded[place] {
            XCTFail("\(place): key \(keys[place] ?? "missing"), recorded \(recorded[place] ?? "missing")")
        }
    }
}
