import XCTest
@testable import Engine

/// Reductions over axes of extent 0 follow NumPy: a sum of nothing is 0, a mean NaN, and a
/// maximum of nothing has no answer.
final class EmptyReductionTests: XCTestCase {
    func testReducingAnEmptyAxisKeepsTheOtherAxes() throws {
        let x = try Tensor.zeros([3, 0])
        let sums = try x.sum(axes: [1])
        XCTAssertEqual(sums.shape, [3])
        XCTAssertEqual(sums.scalars, [0, 0, 0])
        XCTAssertEqual(try x.sum(axes: [1], keepDims: true).shape, [3, 1])
        XCTAssertTrue(try x.mean(axes: [1]).scalars.allSatisfy(\.isNaN))
        assertTensorError("max", mentions: ["[3, 0]"]) { try x.max(axes: [1]) }
        assertTensorError("variance", mentions: ["[3, 0]"]) { try x.variance(axes: [1]) }
        // Reducing the non-empty axis of an empty tensor gives an empty result.
        XCTAssertEqual(try x.sum(axes: [0]).shape, [0])
        XCTAssertEqual(try x.max(axes: [0]).shape, [0])
    }
}
