import TestSupport
import XCTest
@testable import Engine

final class ShapeOpsTests: XCTestCase {
    func testReshapeInfersOneAxisAndSharesValues() throws {
        let x = ramp([2, 3, 4])
        let y = try x.reshaped([4, -1])
        XCTAssertEqual(y.shape, [4, 6])
        XCTAssertEqual(y.scalars, x.scalars)
        XCTAssertEqual(try x.reshaped([24]).shape, [24])
        XCTAssertEqual(try Tensor(5).reshaped([1, 1]).shape, [1, 1])
    }

    func testReshapeMisuseNamesBothShapes() {
        assertTensorError("reshape", mentions: ["[2, 3, 4]", "[5, 5]"]) { try ramp([2, 3, 4]).reshaped([5, 5]) }
        assertTensorError("reshape", mentions: ["-1"]) { try ramp([2, 3]).reshaped([-1, -1]) }
        assertTensorError("reshape", mentions: ["[4, -1]"]) { try ramp([2, 3]).reshaped([4, -1]) }
    }

    func testPermuteMovesValues() throws {
        // x[i, j, k] = 12 i + 4 j + k; y = x.permute(2, 0, 1) so y[k, i, j] = x[i, j, k].
        let x = ramp([2, 3, 4])
        let y = try x.permuted([2, 0, 1])
        XCTAssertEqual(y.shape, [4, 2, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            XCTAssertEqual(try y.value(at: [k, i, j]), Float(12 * i + 4 * j + k))
        } } }
        XCTAssertEqual(try x.permuted([-1, 0, 1]), y)
    }

    func testPermuteMisuse() {
        assertTensorError("permute", mentions: ["[2, 3]"]) { try ramp([2, 3]).permuted([0]) }
        assertTensorError("permute", mentions: ["[2, 3]"]) { try ramp([2, 3]).permuted([0, 0]) }
        assertTensorError("permute", mentions: ["axis 5"]) { try ramp([2, 3]).permuted([0, 5]) }
    }

    func testTransposeDefaultsToLastTwoAxes() throws {
        let x = ramp([2, 3])
        let t = try x.transposed()
        XCTAssertEqual(t.shape, [3, 2])
        XCTAssertEqual(t.scalars, [0, 3, 1, 4, 2, 5])
        let batch = try ramp([2, 2, 3]).transposed()
        XCTAssertEqual(batch.shape, [2, 3, 2])
        XCTAssertEqual(batch.scalars, [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11])
        XCTAssertEqual(try ramp([2, 3, 4]).transposed(0, 2).shape, [4, 3, 2])
        assertTensorError("transpose", mentions: ["[3]"]) { try ramp([3]).transposed() }
    }

    func testFlip() throws {
        let x = ramp([2, 3])
        XCTAssertEqual(try x.flipped([1]).scalars, [2, 1, 0, 5, 4, 3])
        XCTAssertEqual(try x.flipped([0]).scalars, [3, 4, 5, 0, 1, 2])
        XCTAssertEqual(try x.flipped([0, -1]).scalars, [5, 4, 3, 2, 1, 0])
        XCTAssertEqual(try x.flipped([]).scalars, x.scalars)
        assertTensorError("flip", mentions: ["twice"]) { try x.flipped([1, -1]) }
        XCTAssertEqual(try Tensor.zeros([0, 3]).flipped([0]).shape, [0, 3])
    }

    func testSqueezeAndUnsqueeze() throws {
        let x = ramp([1, 3, 1])
        XCTAssertEqual(try x.squeezed().shape, [3])
        XCTAssertEqual(try x.squeezed([0]).shape, [3, 1])
        XCTAssertEqual(try x.unsqueezed(0).shape, [1, 1, 3, 1])
        XCTAssertEqual(try x.unsqueezed(-1).shape, [1, 3, 1, 1])
        XCTAssertEqual(try x.unsqueezed(3).shape, [1, 3, 1, 1])
        assertTensorError("squeeze", mentions: ["axis 1", "extent 3"]) { try x.squeezed([1]) }
        assertTensorError("unsqueeze") { try x.unsqueezed(5) }
    }
}
