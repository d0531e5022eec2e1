import TestSupport
import XCTest
@testable import Engine

final class CreationTests: XCTestCase {
    // MARK: - Initialisers

    func testShapeAndScalars() throws {
        let t = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.rank, 2)
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t.strides, [3, 1])
        XCTAssertEqual(try t.value(at: [1, 0]), 4)

        let scalar = try Tensor(shape: [], scalars: [7])
        XCTAssertEqual(scalar.rank, 0)
        XCTAssertEqual(try scalar.item(), 7)

        let empty = try Tensor(shape: [0, 5], scalars: [])
        XCTAssertEqual(empty.shape, [0, 5])
        XCTAssertEqual(empty.count, 0)
    }

    func testShapeAndScalarsRefuseACountMismatch() {
        assertTensorError("Tensor(shape:scalars:)", mentions: ["[2, 3]", "6 values", "5 were given"]) {
            try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5])
        }
        // A scalar holds one value, not zero.
        assertTensorError("Tensor(shape:scalars:)", mentions: ["[]", "1 values", "0 were given"]) {
            try Tensor(shape: [], scalars: [])
        }
    }

    func testShapeAndScalarsRefuseANegativeExtent() {
        // [-1, -2] would multiply to a plausible count of 2; the extent check must come first.
        assertTensorError("Tensor(shape:scalars:)", mentions: ["negative extent -1", "[-1, -2]"]) {
            try Tensor(shape: [-1, -2], scalars: [1, 2])
        }
        assertTensorError("Tensor(shape:scalars:)", mentions: ["negative extent -3", "[2, -3]"]) {
            try Tensor(shape: [2, -3], scalars: [])
        }
    }

    func testRankZeroAndVectorInitialisers() {
        let scalar = Tensor(2.5)
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.scalars, [2.5])
        let vector = Tensor([1, 2, 3])
        XCTAssertEqual(vector.shape, [3])
        XCTAssertEqual(Tensor([Float]()).shape, [0])
    }

    func testRows() throws {
        let m = try Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(m.shape, [2, 3])
        XCTAssertEqual(m.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try Tensor([[Float]]()).shape, [0, 0])
        XCTAssertEqual(try Tensor([[Float]]([[]])).shape, [1, 0])
    }

    func testRaggedRowsAreAnError() {
        assertTensorError("Tensor(rows)", mentions: ["row 0 has 3", "row 1 has 2"]) {
            try Tensor([[1, 2, 3], [4, 5]])
        }
        // The first bad row is named, not the last.
        assertTensorError("Tensor(rows)", mentions: ["row 0 has 1", "row 2 has 2"]) {
            try Tensor([[1], [2], [3, 4], [5, 6, 7]])
        }
    }

    // MARK: - Filled tensors

    func testZerosOnesFull() throws {
        let z = try Tensor.zeros([2, 3])
        XCTAssertEqual(z.shape, [2, 3])
        XCTAssertEqual(z.scalars, [0, 0, 0, 0, 0, 0])
        let o = try Tensor.ones([4])
        XCTAssertEqual(o.scalars, [1, 1, 1, 1])
        let f = try Tensor.full([3, 1, 2], value: -2.5)
        XCTAssertEqual(f.shape, [3, 1, 2])
        XCTAssertEqual(f.scalars, [Float](repeating: -2.5, count: 6))
        XCTAssertEqual(try Tensor.full([], value: 9).item(), 9)
        XCTAssertEqual(try Tensor.zeros([2, 0, 3]).count, 0)
        XCTAssertTrue(try Tensor.full([2], value: .nan).scalars.allSatisfy(\.isNaN))
    }

    func testFilledTensorsRefuseNegativeExtents() {
        assertTensorError("full", mentions: ["negative extent -4", "[2, -4]"]) { try Tensor.full([2, -4], value: 1) }
        assertTensorError("zeros", mentions: ["negative extent -1", "[-1]"]) { try Tensor.zeros([-1]) }
        assertTensorError("ones", mentions: ["negative extent -2", "[3, -2]"]) { try Tensor.ones([3, -2]) }
    }

    // MARK: - arange

    func testArangeIntegers() throws {
        let t = try Tensor.arange(0, 5)
        XCTAssertEqual(t.shape, [5])
        XCTAssertEqual(t.scalars, [0, 1, 2, 3, 4])
        XCTAssertEqual(try Tensor.arange(-2, 3, step: 2).scalars, [-2, 0, 2])
        XCTAssertEqual(try Tensor.arange(5), t)
    }

    func testArangeNegativeStep() throws {
        // ceil((0 - 5) / -1.5) = ceil(3.33) = 4 values; 0 itself is excluded.
        XCTAssertEqual(try Tensor.arange(5, 0, step: -1.5).scalars, [5, 3.5, 2, 0.5])
        XCTAssertEqual(try Tensor.arange(3, 0, step: -1).scalars, [3, 2, 1])
    }

    func testArangeFractionalStep() throws {
        XCTAssertEqual(try Tensor.arange(0, 1, step: 0.25).scalars, [0, 0.25, 0.5, 0.75])
        // 0.3 / 0.1 is 2.9999999999999996 in Double: three values, as NumPy.
        XCTAssertEqual(try Tensor.arange(0, 0.3, step: 0.1).scalars, [0, 0.1, 0.2])
        // (1.3 - 1) / 0.1 is 3.0000000000000004: four values, as NumPy (which documents this).
        XCTAssertEqual(try Tensor.arange(1, 1.3, step: 0.1).count, 4)
    }

    func testArangeDoesNotAccumulateRoundingError() throws {
        let t = try Tensor.arange(0, 1000, step: 0.1)
        XCTAssertEqual(t.count, 10_000)
        // Adding 0.1 in Float 9999 times gives 999.8029; start + i * step gives 999.9.
        XCTAssertEqual(t.scalars[9999], 999.9)
        XCTAssertEqual(t.scalars[1234], 123.4)
    }

    func testArangeEmpty() throws {
        for t in [try Tensor.arange(3, 3), try Tensor.arange(5, 0), try Tensor.arange(0, 5, step: -1)] {
            XCTAssertEqual(t.shape, [0])
            XCTAssertEqual(t.scalars, [])
        }
    }

    func testArangeRefusesZeroStepAndInfinities() {
        assertTensorError("arange", mentions: ["non-zero step"]) { try Tensor.arange(0, 5, step: 0) }
        assertTensorError("arange", mentions: ["finite"]) { try Tensor.arange(0, .infinity) }
        assertTensorError("arange", mentions: ["finite"]) { try Tensor.arange(0, 1, step: .nan) }
        // Too many values to count in an Int is an error, not a trap.
        assertTensorError("arange", mentions: ["would hold"]) { try Tensor.arange(0, 1e19) }
    }

    // MARK: - linspace

    func testLinspace() throws {
        XCTAssertEqual(try Tensor.linspace(0, 1, count: 5).scalars, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(try Tensor.linspace(-1, 1, count: 3).scalars, [-1, 0, 1])
        XCTAssertEqual(try Tensor.linspace(2, -2, count: 5).scalars, [2, 1, 0, -1, -2])
    }

    func testLinspaceEndpointsAreExact() throws {
        let t = try Tensor.linspace(0.1, 0.7, count: 7)
        XCTAssertEqual(t.count, 7)
        XCTAssertEqual(t.scalars.first, Float(0.1))
        XCTAssertEqual(t.scalars.last, Float(0.7))
        XCTAssertEqual(t.scalars[3], 0.4, accuracy: 1e-7)
        let long = try Tensor.linspace(-3, 1e-3, count: 1001)
        XCTAssertEqual(long.scalars.first, -3)
        XCTAssertEqual(long.scalars.last, Float(1e-3))
    }

    func testLinspaceCountZeroAndOne() throws {
        let none = try Tensor.linspace(0, 1, count: 0)
        XCTAssertEqual(none.shape, [0])
        // One value is the start, as NumPy.
        let one = try Tensor.linspace(2, 5, count: 1)
        XCTAssertEqual(one.shape, [1])
        XCTAssertEqual(one.scalars, [2])
        assertTensorError("linspace", mentions: ["-1"]) { try Tensor.linspace(0, 1, count: -1) }
    }

    // MARK: - Reading values

    func testItem() throws {
        XCTAssertEqual(try Tensor(3).item(), 3)
        XCTAssertEqual(try Tensor(shape: [1, 1, 1], scalars: [-4]).item(), -4)
        assertTensorError("item", mentions: ["[2]", "2 values"]) { try Tensor([1, 2]).item() }
        assertTensorError("item", mentions: ["[0]", "0 values"]) { try Tensor([Float]()).item() }
    }

    func testValueAtWithNegativeIndices() throws {
        // ramp value at (i, j, k) of [2, 3, 4] is 12 i + 4 j + k.
        let t = ramp([2, 3, 4])
        XCTAssertEqual(try t.value(at: [1, 2, 3]), 23)
        XCTAssertEqual(try t.value(at: [-1, -1, -1]), 23)
        XCTAssertEqual(try t.value(at: [-2, -3, -4]), 0)
        XCTAssertEqual(try t.value(at: [1, -2, 2]), 18)
        XCTAssertEqual(try t.value(at: [0, 2, -3]), 9)
        XCTAssertEqual(try Tensor(6).value(at: []), 6)
    }

    func testValueAtOutOfRange() {
        let t = ramp([2, 3, 4])
        assertTensorError("value(at:)", mentions: ["index 2", "axis 0", "[2, 3, 4]"]) { try t.value(at: [2, 0, 0]) }
        assertTensorError("value(at:)", mentions: ["index -4", "axis 1", "[2, 3, 4]"]) { try t.value(at: [0, -4, 0]) }
        assertTensorError("value(at:)", mentions: ["index 4", "axis 2"]) { try t.value(at: [0, 0, 4]) }
        assertTensorError("value(at:)", mentions: ["2 components", "[2, 3, 4]"]) { try t.value(at: [0, 0]) }
        assertTensorError("value(at:)", mentions: ["index 0", "axis 0", "[0]"]) { try Tensor([Float]()).value(at: [0]) }
    }
}
