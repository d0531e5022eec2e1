import Foundation
import TestSupport
import XCTest
@testable import Diffusion
@testable import Engine

final class DiffusionModuleTests: XCTestCase {
    func testTheFixtureFolderIsBesideTheTests() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/README.md")
        XCTAssertTrue(FileManager.default.fileExists(atPath: url.path))
    }
}
