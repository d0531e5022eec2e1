import TestSupport
import XCTest
@testable import Engine

final class JoiningTests: XCTestCase {
    func testConcatAlongEachAxis() throws {
        let a = ramp([2, 2]), b = try Tensor([[10, 11], [12, 13], [14, 15]])
        let rows = try Tensor.concat([a, b], axis: 0)
        XCTAssertEqual(rows.shape, [5, 2])
        XCTAssertEqual(rows.scalars, [0, 1, 2, 3, 10, 11, 12, 13, 14, 15])
        let columns = try Tensor.concat([a, try b[.range(0..<2)], a], axis: -1)
        XCTAssertEqual(columns.shape, [2, 6])
        XCTAssertEqual(columns.scalars, [0, 1, 10, 11, 0, 1, 2, 3, 12, 13, 2, 3])
        XCTAssertEqual(try Tensor.concat([a, try Tensor.zeros([0, 2])]).shape, [2, 2])
    }

    func testConcatMisuse() {
        assertTensorError("concat", mentions: ["[2, 2]", "[2, 3]", "axis 0"]) {
            try Tensor.concat([ramp([2, 2]), ramp([2, 3])], axis: 0)
        }
        assertTensorError("concat", mentions: ["rank"]) { try Tensor.concat([ramp([2, 2]), ramp([4])]) }
        assertTensorError("concat") { try Tensor.concat([]) }
        assertTensorError("concat", mentions: ["axis 2"]) { try Tensor.concat([ramp([2, 2])], axis: 2) }
    }

    func testStackMakesANewAxis() throws {
        let a = ramp([2, 3]), b = a + 10
        let first = try Tensor.stack([a, b])
        XCTAssertEqual(first.shape, [2, 2, 3])
        XCTAssertEqual(first.scalars, a.scalars + b.scalars)
        let last = try Tensor.stack([a, b], axis: -1)
        XCTAssertEqual(last.shape, [2, 3, 2])
        XCTAssertEqual(last.scalars, [0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15])
        assertTensorError("stack", mentions: ["[2, 3]", "[3, 2]"]) { try Tensor.stack([a, try a.transposed()]) }
    }

    func testConstantPad() throws {
        let x = try Tensor([[1, 2], [3, 4]])
        let p = try x.padded([(1, 0), (0, 2)], mode: .constant(-1))
        XCTAssertEqual(p.shape, [3, 4])
        XCTAssertEqual(p.scalars, [-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1])
        // Widths for leading axes only leave the rest alone, as NumPy.
        XCTAssertEqual(try x.padded([(1, 1)]).shape, [4, 2])
    }

    func testReflectAndReplicatePad() throws {
        let v = Tensor([1, 2, 3])
        XCTAssertEqual(try v.padded([(2, 2)], mode: .reflect).scalars, [3, 2, 1, 2, 3, 2, 1])
        XCTAssertEqual(try v.padded([(2, 2)], mode: .replicate).scalars, [1, 1, 1, 2, 3, 3, 3])
        // numpy.pad([[1, 2], [3, 4]], 1, mode="reflect") == [[4,3,4,3],[2,1,2,1],[4,3,4,3],[2,1,2,1]]
        let m = try Tensor([[1, 2], [3, 4]])
        XCTAssertEqual(try m.padded([(1, 1), (1, 1)], mode: .reflect).scalars,
                       [4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3, 2, 1, 2, 1])
        XCTAssertEqual(try m.padded([(0, 0), (1, 0)], mode: .replicate).scalars, [1, 1, 2, 3, 3, 4])
    }

    func testPadMisuse() {
        assertTensorError("pad", mentions: ["negative"]) { try ramp([3]).padded([(-1, 0)]) }
        assertTensorError("pad", mentions: ["reflect", "[3]"]) { try ramp([3]).padded([(3, 0)], mode: .reflect) }
        assertTensorError("pad", mentions: ["2 widths", "[3]"]) { try ramp([3]).padded([(1, 1), (1, 1)]) }
    }
}
