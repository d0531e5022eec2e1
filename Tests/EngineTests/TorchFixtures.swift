import Foundation
import XCTest
@testable import Engine

/// A tensor as Fixtures/make_conv_fixtures.py writes it: a shape and row-major values.
struct FixtureTensor: Decodable {
    let shape: [Int]
    let values: [Double]

    var tensor: Tensor { try! Tensor(shape: shape, scalars: values.map { Float($0) }) }
}

/// The cases of a fixture file made once with PyTorch (see Fixtures/make_conv_fixtures.py),
/// read from beside this source file so that the tests never need Python.
func loadFixtureCases<Case: Decodable>(_ file: String, as: Case.Type) throws -> [Case] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(file)
    return try JSONDecoder().decode(FixtureDocument<Case>.self, from: Data(contentsOf: url)).cases
}

/// A fixture file: the generator's note and the cases.
struct FixtureDocument<Case: Decodable>: Decodable {
    let cases: [Case]
}

/// Asserts that `actual` has the reference's shape and that every value is within
/// `absolute + relative * |reference|` of it.
func assertMatchesFixture(
    _ actual: Tensor?, _ reference: FixtureTensor, absolute: Double, relative: Double, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard let actual else { return XCTFail("\(what): no value", file: file, line: line) }
    XCTAssertEqual(actual.shape, reference.shape, "\(what): shape", file: file, line: line)
    guard actual.shape == reference.shape else { return }
    for (i, (a, r)) in zip(actual.scalars, reference.values).enumerated()
    where !(Swift.abs(Double(a) - r) <= absolute + relative * Swift.abs(r)) {
        return XCTFail("\(what): value \(i) is \(a), PyTorch gives \(r)", file: file, line: line)
    }
}
