import TestSupport
import XCTest
@testable import Engine

/// Reductions of ramp([2, 3, 4]), whose value at (i, j, k) is 12 i + 4 j + k, checked against
/// sums worked out by hand, and the rules for NaN, ties, empty input and bad axes.
final class ReductionTests: XCTestCase {
    let t = ramp([2, 3, 4])

    // MARK: - Over all axes

    func testOverAllAxes() throws {
        // 0 + 1 + ... + 23 = 276; variance of 0..<n is (n^2 - 1) / 12, or n (n + 1) / 12 unbiased.
        XCTAssertEqual(try t.sum().item(), 276)
        XCTAssertEqual(try t.sum().shape, [])
        XCTAssertEqual(try t.mean().item(), 11.5)
        XCTAssertEqual(try t.variance().item(), 575.0 / 12, accuracy: 1e-5)
        XCTAssertEqual(try t.variance(correction: 1).item(), 50, accuracy: 1e-5)
        XCTAssertEqual(try t.max().item(), 23)
        XCTAssertEqual(try t.min().item(), 0)
        XCTAssertEqual(try t.argmax().item(), 23)
        XCTAssertEqual(try t.argmin().item(), 0)
    }

    func testOverAllAxesWithKeepDims() throws {
        let s = try t.sum(keepDims: true)
        XCTAssertEqual(s.shape, [1, 1, 1])
        XCTAssertEqual(s.scalars, [276])
        XCTAssertEqual(try t.max(keepDims: true).shape, [1, 1, 1])
        XCTAssertEqual(try t.argmax(keepDims: true).shape, [1, 1, 1])
    }

    func testRankZero() throws {
        let x = Tensor(-3)
        XCTAssertEqual(try x.sum().scalars, [-3])
        XCTAssertEqual(try x.max().shape, [])
        XCTAssertEqual(try x.argmax().scalars, [0])
        XCTAssertEqual(try x.variance().scalars, [0])
    }

    // MARK: - Over one axis

    func testSumOverEachAxis() throws {
        // Over i: 12 + 2 (4j + k).
        let overI = try t.sum(axes: [0])
        XCTAssertEqual(overI.shape, [3, 4])
        XCTAssertEqual(overI.scalars, [12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34])
        // Over j: 36 i + 3 k + 12.
        let overJ = try t.sum(axes: [1])
        XCTAssertEqual(overJ.shape, [2, 4])
        XCTAssertEqual(overJ.scalars, [12, 15, 18, 21, 48, 51, 54, 57])
        // Over k: 48 i + 16 j + 6.
        let overK = try t.sum(axes: [2])
        XCTAssertEqual(overK.shape, [2, 3])
        XCTAssertEqual(overK.scalars, [6, 22, 38, 54, 70, 86])
    }

    func testNegativeAxisCountsFromTheEnd() throws {
        XCTAssertEqual(try t.sum(axes: [-1]), try t.sum(axes: [2]))
        XCTAssertEqual(try t.sum(axes: [-3]), try t.sum(axes: [0]))
        XCTAssertEqual(try t.max(axes: [-2]).scalars, [8, 9, 10, 11, 20, 21, 22, 23])
        XCTAssertEqual(try t.argmin(axis: -1).scalars, [0, 0, 0, 0, 0, 0])
    }

    func testMeanAndVarianceOverOneAxis() throws {
        // Mean over j: 12 i + k + 4.
        XCTAssertEqual(try t.mean(axes: [1]).scalars, [4, 5, 6, 7, 16, 17, 18, 19])
        // Along k each line is 4 consecutive numbers: (16 - 1) / 12 = 1.25, or 4 * 5 / 12 unbiased.
        let alongK = try t.variance(axes: [-1])
        XCTAssertEqual(alongK.shape, [2, 3])
        assertClose(alongK.scalars, [Float](repeating: 1.25, count: 6))
        assertClose(try t.variance(axes: [-1], correction: 1).scalars, [Float](repeating: 20.0 / 12, count: 6))
        // Along i the two values are 12 apart: deviations of 6, so 36, or 72 unbiased.
        XCTAssertEqual(try t.variance(axes: [0]).scalars, [Float](repeating: 36, count: 12))
        XCTAssertEqual(try t.variance(axes: [0], correction: 1).scalars, [Float](repeating: 72, count: 12))
    }

    func testMinAndMaxOverOneAxis() throws {
        let m = try Tensor([[3, 7, 7, 1], [9, 2, 9, 9], [-1, 5, -1, -5]])
        XCTAssertEqual(try m.max(axes: [0]).scalars, [9, 7, 9, 9])
        XCTAssertEqual(try m.min(axes: [0]).scalars, [-1, 2, -1, -5])
        XCTAssertEqual(try m.max(axes: [1]).scalars, [7, 9, 5])
        XCTAssertEqual(try m.min(axes: [1]).scalars, [1, 2, -5])
    }

    func testArgmaxAndArgminAlongAnAxis() throws {
        let m = try Tensor([[3, 7, 7, 1], [9, 2, 9, 9], [-1, 5, -1, -5]])
        XCTAssertEqual(try m.argmax(axis: 0).scalars, [1, 0, 1, 1])
        XCTAssertEqual(try m.argmin(axis: 0).scalars, [2, 1, 2, 2])
        // Ties go to the first: 7 at 1 and 2, 9 at 0, 2 and 3, -1 at 0 and 2.
        XCTAssertEqual(try m.argmax(axis: 1).scalars, [1, 0, 1])
        XCTAssertEqual(try m.argmin(axis: 1).scalars, [3, 1, 3])
        XCTAssertEqual(try m.argmax(axis: -1), try m.argmax(axis: 1))
        // Without an axis, positions are in the flattened tensor.
        XCTAssertEqual(try m.argmax().item(), 4)
        XCTAssertEqual(try m.argmin().item(), 11)
        let kept = try m.argmax(axis: 0, keepDims: true)
        XCTAssertEqual(kept.shape, [1, 4])
        XCTAssertEqual(kept.scalars, [1, 0, 1, 1])
    }

    // MARK: - Over several axes

    func testOverAxesZeroAndTwo() throws {
        var sums = [Float](repeating: 0, count: 3), maxima = [Float](repeating: -.infinity, count: 3)
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            let v = Float(12 * i + 4 * j + k)
            sums[j] += v
            maxima[j] = Swift.max(maxima[j], v)
        } } }
        XCTAssertEqual(sums, [60, 92, 124])  // 32 j + 60
        XCTAssertEqual(try t.sum(axes: [0, 2]).scalars, sums)
        XCTAssertEqual(try t.sum(axes: [2, 0]).scalars, sums, "the order of the axes does not matter")
        XCTAssertEqual(try t.sum(axes: [-1, 0]).scalars, sums)
        XCTAssertEqual(try t.mean(axes: [0, 2]).scalars, sums.map { $0 / 8 })
        XCTAssertEqual(try t.max(axes: [0, 2]).scalars, maxima)
        XCTAssertEqual(try t.min(axes: [0, 2]).scalars, [0, 4, 8])
        // For each j the values are {0, 1, 2, 3, 12, 13, 14, 15} + 4 j: mean 7.5 + 4 j, squared
        // deviations 2 (7.5^2 + 6.5^2 + 5.5^2 + 4.5^2) = 298.
        assertClose(try t.variance(axes: [0, 2]).scalars, [Float](repeating: 298.0 / 8, count: 3), accuracy: 1e-5)
        assertClose(try t.variance(axes: [0, 2], correction: 1).scalars, [Float](repeating: 298.0 / 7, count: 3), accuracy: 1e-5)
    }

    func testOverAxesZeroAndOne() throws {
        // Over i and j: sum of 12 i + 4 j + k over 6 pairs = 6 k + 12 * 3 + 4 * 3 * 2 = 6 k + 60.
        XCTAssertEqual(try t.sum(axes: [0, 1]).scalars, [60, 66, 72, 78])
        XCTAssertEqual(try t.sum(axes: [0, 1, 2]).scalars, [276])
        // No axes at all reduces nothing.
        XCTAssertEqual(try t.sum(axes: []), t)
    }

    func testKeepDimsShapes() throws {
        XCTAssertEqual(try t.sum(axes: [0, 2], keepDims: true).shape, [1, 3, 1])
        XCTAssertEqual(try t.sum(axes: [0, 2], keepDims: true).scalars, [60, 92, 124])
        XCTAssertEqual(try t.mean(axes: [1], keepDims: true).shape, [2, 1, 4])
        XCTAssertEqual(try t.variance(axes: [-1], keepDims: true).shape, [2, 3, 1])
        let top = try t.max(axes: [-1], keepDims: true)
        XCTAssertEqual(top.shape, [2, 3, 1])
        XCTAssertEqual(top.scalars, [3, 7, 11, 15, 19, 23])
        XCTAssertEqual(try t.min(axes: [0], keepDims: true).shape, [1, 3, 4])
        XCTAssertEqual(try t.argmin(axis: 1, keepDims: true).shape, [2, 1, 4])
        // keepDims results broadcast back against the input: centring each row.
        let centred = try t - t.mean(axes: [-1], keepDims: true)
        XCTAssertEqual(Array(centred.scalars[0..<4]), [-1.5, -0.5, 0.5, 1.5])
    }

    // MARK: - NaN, ties and blocks

    func testMinAndMaxPropagateNaN() throws {
        let x = Tensor([1, .nan, 3, -2])
        XCTAssertTrue(try x.max().item().isNaN)
        XCTAssertTrue(try x.min().item().isNaN)
        let rows = try Tensor([[1, 2], [.nan, 5], [4, .nan]])
        let maxima = try rows.max(axes: [1]).scalars
        XCTAssertEqual(maxima[0], 2)
        XCTAssertTrue(maxima[1].isNaN && maxima[2].isNaN, "\(maxima)")
        let minima = try rows.min(axes: [0]).scalars
        XCTAssertTrue(minima[0].isNaN && minima[1].isNaN, "\(minima)")
    }

    func testArgmaxPicksTheFirstNaN() throws {
        let x = Tensor([1, .nan, 3, .nan, 0])
        XCTAssertEqual(try x.argmax().item(), 1)
        XCTAssertEqual(try x.argmin().item(), 1)
        XCTAssertEqual(try Tensor([.infinity, .nan]).argmax().item(), 1, "NaN beats +infinity")
    }

    func testArgmaxPicksTheFirstTie() throws {
        XCTAssertEqual(try Tensor([2, 5, 5, 1, 5]).argmax().item(), 1)
        XCTAssertEqual(try Tensor([2, 1, 5, 1]).argmin().item(), 1)
        XCTAssertEqual(try Tensor([4, 4, 4]).argmax().item(), 0)
        XCTAssertEqual(try Tensor([-.infinity, -.infinity]).argmax().item(), 0)
    }

    func testTiesAndNaNAcrossBlocks() throws {
        // Rows longer than one reduction block (4096 values): the winner's block is not the first.
        var values = [Float](repeating: 0, count: 10_000)
        values[5000] = 7
        values[9000] = 7
        XCTAssertEqual(try Tensor(values).argmax().item(), 5000)
        XCTAssertEqual(try Tensor(values).max().item(), 7)
        values[8000] = .nan
        values[6000] = .nan
        XCTAssertEqual(try Tensor(values).argmax().item(), 6000)
        XCTAssertTrue(try Tensor(values).max().item().isNaN)
        // The same per row, as a second row: positions are relative to their row.
        let two = try Tensor(shape: [2, 10_000], scalars: [Float](repeating: 1, count: 10_000) + values)
        XCTAssertEqual(try two.argmax(axis: 1).scalars, [0, 6000])
        XCTAssertEqual(try two.argmin(axis: 1).scalars, [0, 6000])
        XCTAssertEqual(try Tensor([Float](repeating: 3, count: 9000)).argmin().item(), 0)
    }

    // MARK: - Accuracy

    func testSumsAccumulateInDouble() throws {
        let tenths = Tensor([Float](repeating: 0.1, count: 1_000_000))
        // Float(0.1) is 0.10000000149; a Float running sum would end near 100958.
        XCTAssertEqual(try tenths.sum().item(), 100_000, accuracy: 1e-3)
        XCTAssertEqual(try tenths.mean().item(), 0.1)
        // 1e8 + 1 is not a Float, but is a Double.
        XCTAssertEqual(try Tensor([1e8, 1, -1e8]).sum().item(), 1)
    }

    func testVarianceDoesNotCancel() throws {
        // E[x^2] - E[x]^2 in Float gives garbage here; the deviations from the mean give 1.25.
        XCTAssertEqual(try Tensor([10_000, 10_001, 10_002, 10_003]).variance().item(), 1.25)
        XCTAssertEqual(try Tensor([1e6 + 1, 1e6 + 3]).variance().item(), 1)
    }

    // MARK: - Errors

    func testBadAxesNameTheShape() {
        assertTensorError("sum", mentions: ["axis 3", "[2, 3, 4]"]) { try self.t.sum(axes: [3]) }
        assertTensorError("mean", mentions: ["axis -4", "[2, 3, 4]"]) { try self.t.mean(axes: [-4]) }
        assertTensorError("variance", mentions: ["axis 7", "[2, 3, 4]"]) { try self.t.variance(axes: [0, 7]) }
        assertTensorError("max", mentions: ["axis 3", "[2, 3, 4]"]) { try self.t.max(axes: [3]) }
        assertTensorError("min", mentions: ["axis 3", "[2, 3, 4]"]) { try self.t.min(axes: [3]) }
        assertTensorError("argmax", mentions: ["axis 5", "[2, 3, 4]"]) { try self.t.argmax(axis: 5) }
        assertTensorError("argmin", mentions: ["axis -4", "[2, 3, 4]"]) { try self.t.argmin(axis: -4) }
        assertTensorError("sum", mentions: ["axis 0", "[]"]) { try Tensor(1).sum(axes: [0]) }
    }

    func testDuplicateAxesAreAnError() {
        assertTensorError("sum", mentions: ["appears twice", "[2, 3, 4]"]) { try self.t.sum(axes: [1, 1]) }
        // -3 and 0 are the same axis of a rank-3 tensor.
        assertTensorError("mean", mentions: ["appears twice", "[2, 3, 4]"]) { try self.t.mean(axes: [0, -3]) }
        assertTensorError("max", mentions: ["appears twice"]) { try self.t.max(axes: [2, -1]) }
    }

    func testVarianceWithoutDegreesOfFreedom() throws {
        XCTAssertEqual(try Tensor([5]).variance().item(), 0)
        assertTensorError("variance", mentions: ["[1]", "correction 1"]) { try Tensor([5]).variance(correction: 1) }
        assertTensorError("variance", mentions: ["[2, 3, 4]", "correction 2"]) { try self.t.variance(axes: [0], correction: 2) }
        XCTAssertEqual(try t.variance(axes: [1], correction: 2).scalars, [Float](repeating: 32, count: 8))
    }

    func testExtremesOfNothingAreAnError() {
        assertTensorError("max", mentions: ["no values", "[0]"]) { try Tensor([Float]()).max() }
        assertTensorError("min", mentions: ["no values", "[0]"]) { try Tensor([Float]()).min() }
        assertTensorError("argmax", mentions: ["no values", "[0]"]) { try Tensor([Float]()).argmax() }
        assertTensorError("argmin", mentions: ["no values", "[0, 3]"]) { try Tensor.zeros([0, 3]).argmin(axis: 0) }
        assertTensorError("max", mentions: ["no values", "[2, 0]"]) { try Tensor.zeros([2, 0]).max(axes: [1]) }
    }

    func testReducingANonEmptyAxisOfAnEmptyTensor() throws {
        // [0, 3] over axis 1: no rows, each of 3 values, so an empty result.
        let z = try Tensor.zeros([0, 3])
        XCTAssertEqual(try z.sum(axes: [1]).shape, [0])
        XCTAssertEqual(try z.max(axes: [1]).shape, [0])
        XCTAssertEqual(try z.sum(axes: [1], keepDims: true).shape, [0, 1])
    }

    func testMaxAndMinOfMoreThan2To24Values() throws {
        // The 2^24 limit is about positions (argmax), which Float32 cannot count past exactly;
        // the largest value itself needs no position.
        var values = [Float](repeating: 0, count: (1 << 24) + 1)
        values[1 << 24] = 5
        values[3] = -2
        let x = Tensor(values)
        XCTAssertEqual(try x.max().item(), 5)
        XCTAssertEqual(try x.min().item(), -2)
        assertTensorError("argmax", mentions: ["2^24"]) { try x.argmax() }
    }
}

/// Reductions over zero values, as NumPy: a sum of nothing is 0, a mean of nothing is NaN, and
/// a maximum of nothing has no answer.
final class EmptyReductionTests: XCTestCase {
    func testSumOfNothingIsZero() throws {
        let s = try Tensor([Float]()).sum()
        XCTAssertEqual(s.shape, [])
        XCTAssertEqual(s.scalars, [0])
    }

    func testSumOverAnEmptyAxisGivesZeros() throws {
        // [0, 3] over axis 0: three results, each the sum of no values.
        let s = try Tensor.zeros([0, 3]).sum(axes: [0])
        XCTAssertEqual(s.shape, [3])
        XCTAssertEqual(s.scalars, [0, 0, 0])
        XCTAssertEqual(try Tensor.zeros([2, 0, 2]).sum(axes: [1], keepDims: true).scalars, [0, 0, 0, 0])
    }

    func testMeanOfNothingIsNaN() throws {
        let m = try Tensor([Float]()).mean()
        XCTAssertEqual(m.shape, [])
        XCTAssertEqual(m.count, 1)
        XCTAssertTrue(m.scalars.allSatisfy(\.isNaN))
    }

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
