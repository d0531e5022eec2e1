import Foundation
import XCTest
@testable import Diffusion
@testable import Engine

/// A tensor as the fixture scripts in Fixtures/ write it: a shape and row-major values.
struct FixtureTensor: Decodable {
    let shape: [Int]
    let values: [Double]

    var tensor: Tensor { try! Tensor(shape: shape, scalars: values.map { Float($0) }) }
}

/// Decodes a JSON fixture made once by a script in Fixtures/, read from beside this source file
/// so that the tests never need Python.
func loadFixture<Document: Decodable>(_ file: String, as: Document.Type) throws -> Document {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(file)
    return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url))
}

/// Asserts that `actual` has the reference's shape and that every value is within
/// `absolute + relative * |reference|` of it.
func assertMatchesFixture(
    _ actual: Tensor?, _ reference: FixtureTensor, absolute: Double, relative: Double = 0, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard let actual else { return XCTFail("\(what): no value", file: file, line: line) }
    XCTAssertEqual(actual.shape, reference.shape, "\(what): shape", file: file, line: line)
    guard actual.shape == reference.shape else { return }
    for (i, (a, r)) in zip(actual.scalars, reference.values).enumerated()
    where !(Swift.abs(Double(a) - r) <= absolute + relative * Swift.abs(r)) {
        return XCTFail("\(what): value \(i) is \(a), the reference gives \(r)", file: file, line: line)
    }
}

final class DiffusionModuleTests: XCTestCase {
    func testTheFixtureFolderIsBesideTheTests() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/README.md")
        XCTAssertTrue(FileManager.default.fileExists(atPath: url.path))
    }
}
