import TestSupport
import XCTest
@testable import Engine

/// NumPy broadcasting: shapes align at the right, and along each axis the extents are equal or 1.
final class BroadcastTests: XCTestCase {
    // MARK: - Arithmetic

    func testRowAddedToEachRow() throws {
        // [[0, 1, 2], [3, 4, 5]] + [10, 20, 30]
        let sum = try ramp([2, 3]) + Tensor([10, 20, 30])
        XCTAssertEqual(sum.shape, [2, 3])
        XCTAssertEqual(sum.scalars, [10, 21, 32, 13, 24, 35])
    }

    func testColumnPlusRowIsAnOuterSum() throws {
        let column = try Tensor([[1], [2]]), row = try Tensor([[10, 20, 30]])
        let sum = try column + row
        XCTAssertEqual(sum.shape, [2, 3])
        XCTAssertEqual(sum.scalars, [11, 21, 31, 12, 22, 32])
        XCTAssertEqual(try (row + column).scalars, sum.scalars)
        // Subtraction is not symmetric: check which operand is which.
        XCTAssertEqual(try (column - row).scalars, [-9, -19, -29, -8, -18, -28])
    }

    func testThreeByOneByTwoTimesTwoByOne() throws {
        // a[i, 0, k] = 2i + k; b[j, 0] = [1, 10][j]; out[i, j, k] = a[i, 0, k] * b[j, 0].
        let product = try ramp([3, 1, 2]) * Tensor([[1], [10]])
        XCTAssertEqual(product.shape, [3, 2, 2])
        XCTAssertEqual(product.scalars, [0, 1, 0, 10, 2, 3, 20, 30, 4, 5, 40, 50])
    }

    func testRankZeroBroadcastsToAnyShape() throws {
        let doubled = try Tensor(2) * ramp([2, 2])
        XCTAssertEqual(doubled.shape, [2, 2])
        XCTAssertEqual(doubled.scalars, [0, 2, 4, 6])
        let shifted = try ramp([2, 1, 3]) - Tensor(1)
        XCTAssertEqual(shifted.shape, [2, 1, 3])
        XCTAssertEqual(shifted.scalars, [-1, 0, 1, 2, 3, 4])
        let both = try Tensor(3) + Tensor(4)
        XCTAssertEqual(both.shape, [])
        XCTAssertEqual(try both.item(), 7)
        XCTAssertEqual(try (Tensor(1) + Tensor([2])).shape, [1])
        XCTAssertEqual(try (Tensor(5) + Tensor.zeros([0])).shape, [0])
        XCTAssertEqual(try (Tensor(8) / Tensor([2, 4])).scalars, [4, 2])
    }

    func testLengthOneVectorAgainstAMatrix() throws {
        let sum = try Tensor([100]) + ramp([2, 3])
        XCTAssertEqual(sum.shape, [2, 3])
        XCTAssertEqual(sum.scalars, [100, 101, 102, 103, 104, 105])
    }

    func testZeroExtents() throws {
        let a = try Tensor.zeros([0, 3]) + Tensor([1, 2, 3])
        XCTAssertEqual(a.shape, [0, 3])
        XCTAssertEqual(a.count, 0)
        XCTAssertEqual(try (Tensor.zeros([0, 1]) + Tensor.zeros([1, 4])).shape, [0, 4])
        XCTAssertEqual(try (Tensor.zeros([2, 0]) * Tensor.zeros([2, 1])).shape, [2, 0])
        XCTAssertEqual(try (Tensor.zeros([3, 0]) + Tensor.zeros([1])).shape, [3, 0])
        XCTAssertEqual(try (Tensor.zeros([0]) + Tensor([7])).shape, [0])
        // 0 is an extent like any other: it does not stretch to 3.
        assertTensorError("add", mentions: ["[0]", "[3]"]) { try Tensor.zeros([0]) + Tensor([1, 2, 3]) }
    }

    func testStretchingBothOperandsOnDifferentAxes() throws {
        // a[i, 0, k] = 5i + k; b[0, j, 0] = 100j; out[i, j, k] = 5i + k - 100j.
        let a = ramp([4, 1, 5]), b = try Tensor(shape: [1, 3, 1], scalars: [0, 100, 200])
        let difference = try a - b
        XCTAssertEqual(difference.shape, [4, 3, 5])
        XCTAssertEqual(try difference.value(at: [0, 0, 0]), 0)
        XCTAssertEqual(try difference.value(at: [3, 2, 4]), -181)
        XCTAssertEqual(try difference.value(at: [1, 1, 2]), -93)
        XCTAssertEqual(try difference.value(at: [2, 0, 3]), 13)
        var expected: [Float] = []
        for i in 0..<4 { for j in 0..<3 { for k in 0..<5 { expected.append(Float(5 * i + k - 100 * j)) } } }
        XCTAssertEqual(difference.scalars, expected)
    }

    func testDivisionByABroadcastColumn() throws {
        let m = try Tensor([[2, 4, 6], [9, 12, 15]])
        XCTAssertEqual(try (m / Tensor([[2], [3]])).scalars, [1, 2, 3, 3, 4, 5])
        // And a column divided by a row: out[i, j] = column[i] / row[j].
        XCTAssertEqual(try (Tensor([[12], [24]]) / Tensor([1, 2, 3])).scalars, [12, 6, 4, 24, 12, 8])
    }

    func testBroadcastOverALargeTensor() throws {
        // Enough rows for several parallel chunks: a [64] bias added to [3, 64, 32, 32] along axis 1.
        let x = ramp([3, 64, 32, 32])
        let bias = try Tensor(shape: [64, 1, 1], scalars: (0..<64).map { Float($0) * 1000 })
        let y = try x + bias
        XCTAssertEqual(y.shape, [3, 64, 32, 32])
        for (n, c, h, w) in [(0, 0, 0, 0), (2, 63, 31, 31), (1, 17, 5, 9), (2, 40, 0, 31)] {
            let flat = ((n * 64 + c) * 32 + h) * 32 + w
            XCTAssertEqual(try y.value(at: [n, c, h, w]), Float(flat + 1000 * c))
        }
    }

    // MARK: - Mismatches

    func testMismatchedShapesAreNamedInTheError() {
        assertTensorError("add", mentions: ["[2, 3]", "[4]", "axis -1: 3 vs 4"]) { try ramp([2, 3]) + Tensor([1, 2, 3, 4]) }
        assertTensorError("multiply", mentions: ["[2, 3]", "[2]"]) { try ramp([2, 3]) * Tensor([1, 2]) }
        assertTensorError("subtract", mentions: ["[2, 3]", "[3, 3]", "axis -2: 2 vs 3"]) { try ramp([2, 3]) - ramp([3, 3]) }
        assertTensorError("divide", mentions: ["[4, 1, 5]", "[1, 4]", "axis -1: 5 vs 4"]) { try ramp([4, 1, 5]) / ramp([1, 4]) }
    }

    // MARK: - Comparisons

    func testComparisons() throws {
        let a = Tensor([1, 2, 3, .nan, 5]), b = Tensor([2, 2, 1, .nan, .nan])
        XCTAssertEqual(try (a .== b).scalars, [0, 1, 0, 0, 0])
        XCTAssertEqual(try (a .!= b).scalars, [1, 0, 1, 1, 1], "NaN .!= anything, NaN included, is 1")
        XCTAssertEqual(try (a .< b).scalars, [1, 0, 0, 0, 0])
        XCTAssertEqual(try (a .<= b).scalars, [1, 1, 0, 0, 0])
        XCTAssertEqual(try (a .> b).scalars, [0, 0, 1, 0, 0])
        XCTAssertEqual(try (a .>= b).scalars, [0, 1, 1, 0, 0])
    }

    func testComparisonsWithAScalar() {
        let x = ramp([2, 3])
        XCTAssertEqual((x .>= 3).scalars, [0, 0, 0, 1, 1, 1])
        XCTAssertEqual((x .> 3).scalars, [0, 0, 0, 0, 1, 1])
        XCTAssertEqual((x .< 1).scalars, [1, 0, 0, 0, 0, 0])
        XCTAssertEqual((x .<= 1).scalars, [1, 1, 0, 0, 0, 0])
        XCTAssertEqual((x .== 4).scalars, [0, 0, 0, 0, 1, 0])
        XCTAssertEqual((x .!= 4).scalars, [1, 1, 1, 1, 0, 1])
        XCTAssertEqual((x .!= .nan).scalars, [1, 1, 1, 1, 1, 1])
        XCTAssertEqual((x .== .nan).scalars, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual((x .>= 3).shape, [2, 3])
    }

    func testComparisonsBroadcast() throws {
        // [[0], [4]] .< [1, 2, 3]
        let less = try Tensor([[0], [4]]) .< Tensor([1, 2, 3])
        XCTAssertEqual(less.shape, [2, 3])
        XCTAssertEqual(less.scalars, [1, 1, 1, 0, 0, 0])
        XCTAssertEqual(try (ramp([2, 3]) .== Tensor([[1], [4]])).scalars, [0, 1, 0, 0, 1, 0])
        assertTensorError("less", mentions: ["[2, 3]", "[2]"]) { try ramp([2, 3]) .< Tensor([1, 2]) }
        assertTensorError("equal", mentions: ["[2, 3]", "[2]"]) { try ramp([2, 3]) .== Tensor([1, 2]) }
    }

    // MARK: - where

    func testWhereBroadcastsAllThree() throws {
        // condition [1, 3], a [2, 1], b [2, 3]: out[i, j] = condition[j] != 0 ? a[i] : b[i, j].
        let condition = try Tensor([[1, 0, 1]]), a = try Tensor([[10], [20]]), b = -ramp([2, 3])
        let picked = try Tensor.where(condition, a, b)
        XCTAssertEqual(picked.shape, [2, 3])
        XCTAssertEqual(picked.scalars, [10, -1, 10, 20, -4, 20])
    }

    func testWhereBuildsAShapeNoOperandHas() throws {
        // condition [2, 1, 1], a [1, 3, 1], b [1, 1, 4] give [2, 3, 4].
        let condition = try Tensor(shape: [2, 1, 1], scalars: [0, 1])
        let a = try Tensor(shape: [1, 3, 1], scalars: [100, 200, 300])
        let b = try Tensor(shape: [1, 1, 4], scalars: [1, 2, 3, 4])
        let picked = try Tensor.where(condition, a, b)
        XCTAssertEqual(picked.shape, [2, 3, 4])
        var expected: [Float] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { expected.append(i == 1 ? Float(100 * (j + 1)) : Float(k + 1)) } } }
        XCTAssertEqual(picked.scalars, expected)
    }

    func testWhereWithScalarsAndComparisons() throws {
        // ReLU as a where: x where x > 0, else 0.
        let x = Tensor([-2, 3, 0, -0.5, 7])
        XCTAssertEqual(try Tensor.where(x .> 0, x, Tensor(0)).scalars, [0, 3, 0, 0, 7])
        // Any non-zero condition selects a, NaN included.
        XCTAssertEqual(try Tensor.where(Tensor([.nan, -1, 0]), Tensor(1), Tensor(2)).scalars, [1, 1, 2])
    }

    func testWhereMismatch() {
        assertTensorError("where", mentions: ["[2]", "[3]", "[]"]) {
            try Tensor.where(Tensor([1, 0]), Tensor([1, 2, 3]), Tensor(0))
        }
        assertTensorError("where", mentions: ["[2, 3]", "[4]"]) {
            try Tensor.where(ramp([2, 3]), Tensor(1), Tensor([1, 2, 3, 4]))
        }
    }
}
