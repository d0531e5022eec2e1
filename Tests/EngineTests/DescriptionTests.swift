import TestSupport
import XCTest
@testable import Engine

final class DescriptionTests: XCTestCase {
    func testSmallTensorShowsStatisticsAndAllValues() throws {
        // min -1, max 5, mean 10/6 = 1.667, population std sqrt(23.333/6) = 1.972
        let x = try Tensor([[-1, 0, 1], [2, 3, 5]])
        XCTAssertEqual(x.description, "Tensor [2, 3]  min -1  max 5  mean 1.667  std 1.972\n  [[-1, 0, 1], [2, 3, 5]]")
    }

    func testLargeTensorShowsFirstValues() throws {
        let x = ramp([10, 10])
        XCTAssertEqual(x.description,
                       "Tensor [10, 10]  min 0  max 99  mean 49.5  std 28.87\n  first values: 0, 1, 2, 3, 4, 5, 6, 7, ...")
    }

    func testNonFiniteValuesAreCounted() {
        let x = Tensor([1, .nan, .infinity, 3])
        XCTAssertEqual(x.description, "Tensor [4]  min 1  max 3  mean 2  std 1  NaN 1  inf 1\n  [1, nan, inf, 3]")
        XCTAssertEqual(Tensor(0.25).description, "Tensor []  min 0.25  max 0.25  mean 0.25  std 0\n  0.25")
    }

    func testErrorsNameOpAndShapes() {
        XCTAssertEqual(TensorError("add", "x").description, "add: x")
        XCTAssertEqual(describeShape([]), "[]")
        XCTAssertEqual(describeShape([2, 64, 64]), "[2, 64, 64]")
    }
}
