import Foundation
import XCTest
import FuzzTargets

/// Runs the committed fuzz inputs through their targets in-process (Tests/Fuzz, see its README):
/// the seed corpus must read without error, so the targets are known to reach their readers;
/// each input a fuzzer crashed on must now be refused with an error (or read), not crash.
final class FuzzInputTests: XCTestCase {
    private static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz").path

    /// The inputs in `Tests/Fuzz/<kind>/<target>/`, by target; a folder with no target of
    /// its name fails the test, so that a misspelt folder is not silently skipped.
    private func inputs(_ kind: String) throws -> [(target: FuzzTarget, path: String)] {
        let root = "\(Self.folder)/\(kind)"
        var inputs: [(FuzzTarget, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isFolder), isFolder.boolValue else {
                continue
            }
            let target = try XCTUnwrap(FuzzTarget(rawValue: name), "\(kind)/\(name) names no fuzz target")
            for file in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(name)").sorted()
            where !file.hasPrefix(".") && !file.hasSuffix(".md") {
                inputs.append((target, "\(root)/\(name)/\(file)"))
            }
        }
        return inputs
    }

    private func contents(_ path: String) throws -> [UInt8] {
        [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path), "cannot read \(path)"))
    }

    func testEveryTargetHasSeeds() throws {
        let seeded = Set(try inputs("corpus").map(\.target))
        XCTAssertEqual(seeded, Set(FuzzTarget.allCases), "targets without a seed corpus")
    }

    func testSeedCorpusReadsWithoutError() throws {
        for (target, path) in try inputs("corpus") {
            XCTAssertNoThrow(try target.run(contents(path)), "\(target.rawValue): \(path)")
        }
    }

    func testCrashInputsAreRefusedWithAClearError() throws {
        for (target, path) in try inputs("crashes") {
            do {
                try target.run(contents(path))
            } catch {
                let message = "\(error)"
                XCTAssertFalse(message.isEmpty, "\(target.rawValue): \(path): an empty error")
                XCTAssertFalse(message.contains("NSCocoaErrorDomain"), "\(target.rawValue): \(path): \(message)")
            }
        }
    }
}
