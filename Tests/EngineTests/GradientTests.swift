import XCTest
@testable import Engine

/// Every differentiable op's backward against central finite differences (GradientCheck: step
/// 1e-2, tolerance 1e-3 + 1e-2 |numeric| per value unless a test says otherwise).
final class GradientTests: XCTestCase {
    /// Smooth, sign-mixed, tie-free test values.
    func values(_ shape: [Int], offset: Float = 0, scale: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        return try! Tensor(shape: shape, scalars: (0..<n).map { scale * sin(Float($0) * 1.3 + offset) + 0.1 * Float($0 % 3) })
    }

    func positive(_ shape: [Int]) -> Tensor { values(shape).abs() + 0.5 }

    func assertGradient(
        _ inputs: [Tensor], check: GradientCheck = GradientCheck(), file: StaticString = #filePath, line: UInt = #line,
        _ function: ([Variable]) throws -> Variable
    ) {
        do {
            let report = try check.check(inputs, function)
            XCTAssertTrue(report.passed, report.description, file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func testArithmeticWithBroadcasting() {
        let a = values([2, 3]), b = values([3], offset: 1), c = positive([2, 1])
        assertGradient([a, b]) { try $0[0] + $0[1] }
        assertGradient([a, b]) { try $0[0] - $0[1] }
        assertGradient([a, b]) { try $0[0] * $0[1] }
        assertGradient([a, c]) { try $0[0] / $0[1] }
        assertGradient([a]) { -$0[0] * 3 + 2 }
        assertGradient([a]) { 1 - $0[0] / 4 }
    }

    func testPowers() {
        assertGradient([positive([2, 3])]) { $0[0].pow(2.5) }
        assertGradient([values([4])]) { $0[0].pow(3) }
        assertGradient([positive([2, 3]), values([3], offset: 2)]) { try $0[0].pow($0[1]) }
    }

    func testMaximumAndMinimum() {
        let a = values([2, 3]), b = values([2, 3], offset: 0.7)
        assertGradient([a, b]) { try Variable.maximum($0[0], $0[1]) }
        assertGradient([a, values([3], offset: 0.3)]) { try Variable.minimum($0[0], $0[1]) }
    }

    func testUnaryFunctions() {
        let x = values([3, 4], scale: 2)
        assertGradient([x]) { $0[0].exp() }
        assertGradient([positive([3, 4])]) { $0[0].log() }
        assertGradient([positive([3, 4])]) { $0[0].sqrt() }
        assertGradient([x]) { $0[0].abs() }
        assertGradient([x]) { $0[0].tanh() }
        assertGradient([x]) { $0[0].sigmoid() }
        assertGradient([x]) { $0[0].silu() }
        assertGradient([x]) { $0[0].gelu() }
        assertGradient([x]) { $0[0].gelu(approximation: .tanh) }
        assertGradient([x]) { try $0[0].clamp(min: -0.5, max: 0.7) }
    }

    func testReductions() {
        let x = values([2, 3, 4])
        assertGradient([x]) { try $0[0].sum() }
        assertGradient([x]) { try $0[0].sum(axes: [1], keepDims: true) }
        assertGradient([x]) { try $0[0].sum(axes: [0, 2]) }
        assertGradient([x]) { try $0[0].mean(axes: [-1]) }
        assertGradient([x]) { try $0[0].mean() }
        assertGradient([x]) { try $0[0].variance(axes: [2]) }
        assertGradient([x]) { try $0[0].variance(axes: [0, 1], keepDims: true, correction: 1) }
        assertGradient([x]) { try $0[0].max(axes: [1]) }
        assertGradient([x]) { try $0[0].min() }
    }

    func testMaxSharesTheGradientAmongTies() throws {
        let x = Variable(Tensor([1, 3, 3, 2]), requiresGradient: true)
        try x.max().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 0.5, 0.5, 0])
    }

    func testShapeOperations() {
        let x = values([2, 3, 4])
        assertGradient([x]) { try $0[0].reshaped([4, -1]) }
        assertGradient([x]) { try $0[0].permuted([2, 0, 1]) }
        assertGradient([x]) { try $0[0].transposed() }
        assertGradient([x]) { try $0[0].flipped([0, 2]) }
        assertGradient([x]) { try $0[0].unsqueezed(1).squeezed() }
        assertGradient([values([3, 1])]) { try $0[0].broadcast(to: [2, 3, 4]) }
        assertGradient([x]) { try $0[0][.at(1), .range(start: nil, end: nil, step: -2), .range(1..<3)] }
        assertGradient([x, values([2, 1, 4], offset: 1)]) { try Variable.concat([$0[0], $0[1], $0[0]], axis: 1) }
        assertGradient([x, values([2, 3, 4], offset: 2)]) { try Variable.stack([$0[0], $0[1]], axis: -1) }
        assertGradient([x]) { try $0[0].padded([(0, 0), (1, 2), (2, 1)], mode: .constant(3)) }
        assertGradient([x]) { try $0[0].padded([(0, 0), (2, 1), (1, 2)], mode: .reflect) }
        assertGradient([x]) { try $0[0].padded([(1, 0), (0, 0), (2, 2)], mode: .replicate) }
    }

    func testMatmulInEveryLayout() {
        let a = values([3, 4]), b = values([4, 5], offset: 1)
        assertGradient([a, b]) { try Variable.matmul($0[0], $0[1]) }
        assertGradient([values([4, 3]), b]) { try Variable.matmul($0[0], $0[1], transposeA: true) }
        assertGradient([a, values([5, 4])]) { try Variable.matmul($0[0], $0[1], transposeB: true) }
        assertGradient([values([4, 3]), values([5, 4])]) { try Variable.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        // Batched, with the batch of the right operand broadcast.
        assertGradient([values([2, 3, 4]), values([1, 4, 5])]) { try Variable.matmul($0[0], $0[1]) }
        assertGradient([values([2, 4, 3]), b]) { try Variable.matmul($0[0], $0[1], transposeA: true) }
        // Vectors.
        assertGradient([values([4]), b]) { try Variable.matmul($0[0], $0[1]) }
        assertGradient([a, values([4])]) { try Variable.matmul($0[0], $0[1]) }
    }

    func testSoftmaxAndLogSoftmax() {
        let x = values([2, 3, 4], scale: 3)
        assertGradient([x]) { try $0[0].softmax(axis: -1) }
        assertGradient([x]) { try $0[0].softmax(axis: 1) }
        assertGradient([x]) { try $0[0].logSoftmax(axis: 0) }
    }

    func testWhere() {
        let mask = Variable(Tensor([1, 0, 1]))
        assertGradient([values([2, 3]), values([3], offset: 1)]) { try Variable.where(mask, $0[0], $0[1]) }
    }

    func testGradientCheckCatchesAWrongBackward() throws {
        // A deliberately wrong derivative (2x instead of 3x^2 for x^3) must fail the check.
        let report = try GradientCheck().check([values([5])]) { inputs in
            let x = inputs[0].value
            return Variable.result(of: "wrongCube", x.pow(3), inputs: inputs) { g in [try g * x * 2] }
        }
        XCTAssertFalse(report.passed, report.description)
    }

    /// SiLU's backward runs as one kernel; it gives exactly what the expression written out on
    /// tensors gives (the speed-up must not change a trained number), for ordinary and extreme x.
    func testSiLUBackwardIsTheWrittenOutExpressionBitForBit() throws {
        var x = try Tensor.randn([3, 1000], std: 4, seed: 21)
        x.withUnsafeMutableBufferPointer { values in
            for (i, extreme) in [Float(0), -0.0, 88, -88, 100, -100, 1e-30, .infinity, -.infinity].enumerated() { values[i] = extreme }
        }
        let g = try Tensor.randn(x.shape, seed: 22)
        let input = Variable(x, requiresGradient: true)
        try input.silu().backward(gradient: g)
        let s = x.sigmoid()
        let expected = try g * (s + (x * s) * (1 - s))
        XCTAssertEqual(input.grad!.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern))
    }
}

