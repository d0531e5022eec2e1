import XCTest
@testable import Engine

final class ElementwiseTests: XCTestCase {
    // MARK: - Unary functions

    func testExp() {
        let t = try! Tensor(shape: [2, 3], scalars: [0, 1, -1, 0.5, -.infinity, .infinity])
        let e = t.exp()
        XCTAssertEqual(e.shape, [2, 3])
        assertClose(Array(e.scalars[0..<4]), [1, 2.7182817, 0.36787945, 1.6487213], accuracy: 3e-7)
        XCTAssertEqual(e.scalars[4], 0)
        XCTAssertEqual(e.scalars[5], .infinity)
        XCTAssertTrue(Tensor([.nan]).exp().scalars[0].isNaN)
    }

    func testLog() {
        let l = Tensor([1, 0.5, 2, 10, 0, -1]).log()
        assertClose(Array(l.scalars[0..<4]), [0, -0.6931472, 0.6931472, 2.3025851], accuracy: 3e-7)
        XCTAssertEqual(l.scalars[4], -.infinity)
        XCTAssertTrue(l.scalars[5].isNaN)
    }

    func testSqrt() {
        let r = Tensor([4, 2, 0, 0.25, -1]).sqrt()
        XCTAssertEqual(Array(r.scalars[0..<4]), [2, 1.4142135, 0, 0.5])
        XCTAssertTrue(r.scalars[4].isNaN)
    }

    func testAbs() {
        let a = Tensor([-3, 0, 2.5, -.infinity, -0.0]).abs()
        XCTAssertEqual(a.scalars, [3, 0, 2.5, .infinity, 0])
        XCTAssertEqual(a.scalars[4].sign, .plus, "abs(-0) is +0")
        XCTAssertTrue(Tensor([-.nan]).abs().scalars[0].isNaN)
    }

    func testPowWithAScalarExponent() {
        let x = Tensor([2, 3, -2, 0.5])
        XCTAssertEqual(x.pow(2).scalars, [4, 9, 4, 0.25])
        XCTAssertEqual(x.pow(3).scalars, [8, 27, -8, 0.125])
        XCTAssertEqual(x.pow(0).scalars, [1, 1, 1, 1])
        XCTAssertEqual(x.pow(-1).scalars, [0.5, 0.33333334, -0.5, 2])
        XCTAssertEqual(Tensor([4, 9, 0]).pow(0.5).scalars, [2, 3, 0])
        XCTAssertEqual(Tensor([0]).pow(0).scalars, [1], "0^0 is 1, as C's pow")
        XCTAssertTrue(Tensor([-8]).pow(1.0 / 3.0).scalars[0].isNaN, "a negative base to a fractional power")
    }

    func testPowWithATensorExponent() throws {
        XCTAssertEqual(try Tensor([2, 3, 4]).pow(Tensor([3, 2, 0.5])).scalars, [8, 9, 2])
        // Base [2, 1] against exponent [3]: each row raised to 1, 2, 3.
        let p = try Tensor([[2], [3]]).pow(Tensor([1, 2, 3]))
        XCTAssertEqual(p.shape, [2, 3])
        XCTAssertEqual(p.scalars, [2, 4, 8, 3, 9, 27])
        assertTensorError("pow", mentions: ["[3]", "[2]"]) { try Tensor([1, 2, 3]).pow(Tensor([1, 2])) }
    }

    func testTanh() {
        let t = Tensor([0, 1, -2, 0.5, 20, -20]).tanh()
        assertClose(t.scalars, [0, 0.7615942, -0.9640276, 0.46211716, 1, -1], accuracy: 2e-7)
    }

    func testSigmoid() {
        let s = Tensor([0, 2, -2, 100, -100, .infinity, -.infinity]).sigmoid()
        assertClose(Array(s.scalars[0..<3]), [0.5, 0.8807971, 0.11920292], accuracy: 2e-7)
        XCTAssertFalse(s.scalars.contains { $0.isNaN }, "\(s.scalars)")
        XCTAssertEqual(s.scalars[3], 1)
        // e^-100 = 3.72e-44 is a Float subnormal: tiny and non-negative, not 0/0.
        XCTAssertGreaterThanOrEqual(s.scalars[4], 0)
        XCTAssertLessThan(s.scalars[4], Float.leastNormalMagnitude)
        XCTAssertEqual(s.scalars[5], 1)
        XCTAssertEqual(s.scalars[6], 0)
    }

    func testSiLU() {
        let s = Tensor([0, 1, -1, 3, 100, -100]).silu()
        assertClose(Array(s.scalars[0..<4]), [0, 0.7310586, -0.26894143, 2.8577223], accuracy: 3e-7)
        XCTAssertEqual(s.scalars[4], 100)
        XCTAssertFalse(s.scalars[5].isNaN)
        XCTAssertEqual(s.scalars[5], 0, accuracy: 1e-38)
    }

    func testGELUExact() {
        // x * Phi(x): Phi(1) = 0.8413447, Phi(-1) = 0.1586553.
        let g = Tensor([1, -1, 2, 0.5, -3, 0]).gelu()
        assertClose(g.scalars, [0.8413447, -0.15865526, 1.9544997, 0.34573123, -0.0040496942, 0], accuracy: 3e-7)
    }

    func testGELUTanhApproximation() {
        // Differs from the exact GELU by 1.5e-4 at 1 and by 4e-4 at -3: the tolerance separates them.
        let g = Tensor([1, -1, 2, 0.5, -3, 0]).gelu(approximation: .tanh)
        assertClose(g.scalars, [0.8411920, -0.15880801, 1.9545977, 0.34571401, -0.0036373921, 0], accuracy: 3e-7)
    }

    // MARK: - Clamp, maximum, minimum

    func testClamp() throws {
        let x = Tensor([-2, -0.5, 0.5, 2, .nan, -.infinity])
        let both = try x.clamp(min: -1, max: 1).scalars
        XCTAssertEqual(Array(both[0..<4]), [-1, -0.5, 0.5, 1])
        XCTAssertTrue(both[4].isNaN, "NaN stays NaN")
        XCTAssertEqual(both[5], -1)
        let below = try x.clamp(min: 0).scalars
        XCTAssertEqual(Array(below[0..<4]), [0, 0, 0.5, 2])
        XCTAssertTrue(below[4].isNaN)
        XCTAssertEqual(below[5], 0)
        let above = try x.clamp(max: 0).scalars
        XCTAssertEqual(Array(above[0..<4]), [-2, -0.5, 0, 0])
        XCTAssertEqual(above[5], -.infinity)
        XCTAssertEqual(Array(try x.clamp(min: 0.3, max: 0.3).scalars[0..<4]), [0.3, 0.3, 0.3, 0.3])
    }

    func testClampRefusesCrossedBounds() {
        assertTensorError("clamp", mentions: ["2.0", "1.0"]) { try Tensor([0]).clamp(min: 2, max: 1) }
    }

    func testMaximumAndMinimumPropagateNaN() throws {
        let a = Tensor([1, 5, .nan, 2, -0.5])
        let b = Tensor([3, 4, 1, .nan, -0.25])
        let hi = try Tensor.maximum(a, b).scalars
        let lo = try Tensor.minimum(a, b).scalars
        XCTAssertEqual([hi[0], hi[1], hi[4]], [3, 5, -0.25])
        XCTAssertEqual([lo[0], lo[1], lo[4]], [1, 4, -0.5])
        XCTAssertTrue(hi[2].isNaN && hi[3].isNaN, "NaN in either operand gives NaN: \(hi)")
        XCTAssertTrue(lo[2].isNaN && lo[3].isNaN, "NaN in either operand gives NaN: \(lo)")
    }

    func testMaximumAndMinimumBroadcast() throws {
        let m = try Tensor([[1, 5], [3, 2]])
        XCTAssertEqual(try Tensor.maximum(m, Tensor([2])).scalars, [2, 5, 3, 2])
        XCTAssertEqual(try Tensor.minimum(m, Tensor([2, 4])).scalars, [1, 4, 2, 2])
        assertTensorError("maximum", mentions: ["[2, 2]", "[3]"]) { try Tensor.maximum(m, Tensor([1, 2, 3])) }
        assertTensorError("minimum", mentions: ["[2, 2]", "[3]"]) { try Tensor.minimum(m, Tensor([1, 2, 3])) }
    }

    // MARK: - Operators

    func testNegation() {
        let n = -(try! Tensor([[1, -2], [0, .infinity]]))
        XCTAssertEqual(n.shape, [2, 2])
        XCTAssertEqual(n.scalars, [-1, 2, 0, -.infinity])
        XCTAssertEqual(n.scalars[2].sign, .minus, "-0 keeps its sign")
        XCTAssertTrue((-Tensor([.nan])).scalars[0].isNaN)
    }

    func testScalarOperators() throws {
        let t = try Tensor([[1, 2], [4, 8]])
        XCTAssertEqual((t + 1).scalars, [2, 3, 5, 9])
        XCTAssertEqual((t - 1).scalars, [0, 1, 3, 7])
        XCTAssertEqual((t * 3).scalars, [3, 6, 12, 24])
        XCTAssertEqual((t / 2).scalars, [0.5, 1, 2, 4])
        XCTAssertEqual((1 + t).scalars, [2, 3, 5, 9])
        XCTAssertEqual((10 - t).scalars, [9, 8, 6, 2])
        XCTAssertEqual((2 * t).scalars, [2, 4, 8, 16])
        XCTAssertEqual((8 / t).scalars, [8, 4, 2, 1])
        for result in [t + 1, 10 - t, t / 2, 8 / t] { XCTAssertEqual(result.shape, [2, 2]) }
        XCTAssertEqual((Tensor(3) * 2).shape, [], "a scalar op keeps rank 0")
        XCTAssertEqual((Tensor([1, -1, 0]) / 0).scalars[0..<2], [.infinity, -.infinity])
        XCTAssertTrue((Tensor([0]) / 0).scalars[0].isNaN)
    }

    func testTensorOperatorsOfTheSameShape() throws {
        let a = try Tensor([[1, 2], [3, 4]]), b = try Tensor([[10, 20], [30, 40]])
        XCTAssertEqual(try (a + b).scalars, [11, 22, 33, 44])
        XCTAssertEqual(try (a - b).scalars, [-9, -18, -27, -36])
        XCTAssertEqual(try (a * b).scalars, [10, 40, 90, 160])
        XCTAssertEqual(try (b / a).scalars, [10, 10, 10, 10])
    }

    // MARK: - Value semantics

    func testCopyOnWrite() {
        let original = Tensor([1, 2, 3])
        var copy = original
        copy.withUnsafeMutableBufferPointer { $0[0] = 99 }
        XCTAssertEqual(original.scalars, [1, 2, 3])
        XCTAssertEqual(copy.scalars, [99, 2, 3])

        // Mutating the original leaves an earlier copy alone too.
        var first = try! Tensor([[1, 2], [3, 4]])
        let second = first
        first.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] *= -1 }
        }
        XCTAssertEqual(first.scalars, [-1, -2, -3, -4])
        XCTAssertEqual(second.scalars, [1, 2, 3, 4])

        // A reshape shares storage until written.
        var flat = try! second.reshaped([4])
        flat.withUnsafeMutableBufferPointer { $0[3] = 0 }
        XCTAssertEqual(second.scalars, [1, 2, 3, 4])
        XCTAssertEqual(flat.scalars, [1, 2, 3, 0])
    }

    func testUnaryOpsLeaveTheirInputAlone() {
        let x = Tensor([-1, 4])
        _ = x.exp(); _ = x.abs(); _ = -x
        XCTAssertEqual(x.scalars, [-1, 4])
    }
}
