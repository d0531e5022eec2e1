import XCTest
@testable import Engine

/// The tape's mechanics: accumulation, release, errors, no-gradient mode.
final class AutodiffTests: XCTestCase {
    func parameter(_ values: [Float]) -> Variable { Variable(Tensor(values), requiresGradient: true) }

    func testGradientsOfASmallExpressionByHand() throws {
        // f = sum(x * y + x^2) at x = [1, 2], y = [3, 4]: df/dx = y + 2x = [5, 8], df/dy = x = [1, 2].
        let x = parameter([1, 2]), y = parameter([3, 4])
        try (try x * y + x.pow(2)).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [5, 8])
        XCTAssertEqual(y.grad?.scalars, [1, 2])
    }

    func testSharedSubexpressionsSumTheirPaths() throws {
        // f = sum(u * u) with u = 2x: df/dx = 8x; the diamond must count both paths once each.
        let x = parameter([1, -3])
        let u = x * 2
        try (try u * u).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [8, -24])
    }

    func testGradientsAccumulateUntilZeroed() throws {
        let x = parameter([1, 2])
        try (x * 3).sum().backward()
        try (x * 3).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [6, 6])
        x.zeroGradient()
        XCTAssertNil(x.grad)
        try (x * 5).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [5, 5])
    }

    func testTheTapeIsReleasedAfterBackward() throws {
        let x = parameter([1, 2])
        let loss = try x.exp().sum()
        try loss.backward(keepingTape: true)
        try loss.backward()
        XCTAssertEqual(x.grad!.scalars[0], 2 * Float(M_E), accuracy: 1e-5)
        XCTAssertThrowsError(try loss.backward()) { error in
            XCTAssertTrue("\(error)".contains("released"), "\(error)")
        }
        // Released nodes hold no inputs (and so no saved tensors).
        XCTAssertEqual(loss.origin?.inputs.count, 0)
    }

    func testBackwardThroughANonScalarNeedsAGradient() throws {
        let x = parameter([1, 2])
        XCTAssertThrowsError(try (x * 2).backward()) { error in
            XCTAssertEqual("\(error)", "backward: the value has shape [2], not a single number; reduce it (sum, mean) or pass the gradient of the result with respect to it")
        }
        try (x * 2).backward(gradient: Tensor([1, 10]))
        XCTAssertEqual(x.grad?.scalars, [2, 20])
        XCTAssertThrowsError(try (x * 2).backward(gradient: Tensor([1]))) { error in
            XCTAssertTrue("\(error)".contains("gradient has shape [1], the value [2]"), "\(error)")
        }
    }

    func testBackwardThroughANonDifferentiableOpIsAnError() throws {
        let x = parameter([1, -2])
        let mask = try x .> Variable(Tensor(0))
        XCTAssertThrowsError(try (try mask * x).sum().backward()) { error in
            XCTAssertEqual("\(error)", "backward: greater has no derivative, and a gradient reached it; use detached() on its result to treat it as a constant")
        }
        // Detached, the mask is a constant: relu by hand.
        let relu = try mask.detached() * x
        try relu.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [1, 0])
        XCTAssertThrowsError(try x.argmax().sum().backward()) { error in
            XCTAssertTrue("\(error)".contains("argmax has no derivative"), "\(error)")
        }
    }

    func testConstantsGetNoGradientAndCannotStartBackward() throws {
        let x = parameter([1, 2]), c = Variable(Tensor([5, 7]))
        try (try x * c).sum().backward()
        XCTAssertNil(c.grad)
        XCTAssertThrowsError(try c.sum().backward()) { error in
            XCTAssertTrue("\(error)".contains("does not depend on any variable that requires a gradient"))
        }
    }

    func testNothingIsRecordedWithoutGradients() throws {
        let x = parameter([1, 2])
        let y = try GradientMode.withoutGradients { try (x * 3).exp().sum() }
        XCTAssertFalse(y.requiresGradient)
        XCTAssertTrue(y.isLeaf)
        XCTAssertTrue(GradientMode.isRecording)
        XCTAssertEqual(y.value.scalars[0], Float(M_E * M_E * M_E * (1 + M_E * M_E * M_E)), accuracy: 1e-1)
    }

    func testDeepChainsDoNotOverflowTheStack() throws {
        let x = parameter([1])
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        try y.sum().backward()
        XCTAssertEqual(Double(x.grad!.scalars[0]), pow(1.0001, 20_000), accuracy: 1e-2)
    }

    func testBroadcastOperandGetsGradientOfItsOwnShape() throws {
        let bias = Variable(Tensor([1, 2, 3]), requiresGradient: true)
        let x = Variable(try Tensor.ones([4, 3]))
        try (try x + bias).sum().backward()
        XCTAssertEqual(bias.grad?.shape, [3])
        XCTAssertEqual(bias.grad?.scalars, [4, 4, 4])
    }

    func testAFailedBackwardLeavesEveryGradientAsItWas() throws {
        let w1 = parameter([1, 2]), w2 = parameter([3, -4])
        let loss = try w1.sum() + (try w2 .> Variable(Tensor(0))).sum()
        XCTAssertThrowsError(try loss.backward())
        XCTAssertNil(w1.grad)
        XCTAssertNil(w2.grad)
    }
}
