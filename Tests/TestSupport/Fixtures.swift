import Engine
import Foundation
import XCTest

/// A tensor as the fixture scripts in a test target's Fixtures/ folder write it: a shape and
/// row-major values.
public struct FixtureTensor: Decodable, Sendable {
    public let shape: [Int]
    public let values: [Double]

    public var tensor: Tensor { try! Tensor(shape: shape, scalars: values.map { Float($0) }) }
}

/// A fixture file of cases: the generator's note and the cases.
public struct FixtureDocument<Case: Decodable>: Decodable {
    public let cases: [Case]
}

/// The URL of `file` in the Fixtures/ folder beside the calling test's source file. The caller's
/// `#filePath` is the default on purpose: this file lives in TestSupport, not beside the fixtures.
public func fixtureURL(_ file: String, besides caller: String = #filePath) -> URL {
    URL(fileURLWithPath: caller).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(file)
}

/// Decodes a JSON fixture made once by a script in Fixtures/, read from beside the calling test
/// so that the tests never need Python.
public func loadFixture<Document: Decodable>(
    _ file: String, as: Document.Type, besides caller: String = #filePath
) throws -> Document {
    try JSONDecoder().decode(Document.self, from: Data(contentsOf: fixtureURL(file, besides: caller)))
}

/// The cases of a fixture file (see `FixtureDocument`).
public func loadFixtureCases<Case: Decodable>(
    _ file: String, as: Case.Type, besides caller: String = #filePath
) throws -> [Case] {
    try loadFixture(file, as: FixtureDocument<Case>.self, besides: caller).cases
}

/// Asserts that `actual` has the reference's shape and that every value is within
/// `absolute + relative * |reference|` of it.
public func assertMatchesFixture(
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

/// 0, 1, 2, ... in `shape`.
public func ramp(_ shape: [Int]) -> Tensor {
    try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map(Float.init))
}
