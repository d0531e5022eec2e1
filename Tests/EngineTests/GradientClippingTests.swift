import XCTest
@testable import Engine

final class GradientClippingTests: XCTestCase {
    /// Gradients [3, 4] and [[12]]: global norm √(9 + 16 + 144) = 13; a third parameter has none.
    func parameters() -> [Variable] {
        let a = Variable(try! Tensor.zeros([2]), requiresGradient: true)
        let b = Variable(try! Tensor.zeros([1, 1]), requiresGradient: true)
        let unused = Variable(try! Tensor.zeros([3]), requiresGradient: true)
        a.grad = Tensor([3, 4])
        b.grad = try! Tensor([[12]])
        return [a, unused, b]
    }

    func testClippingScalesAllGradientsByOneFactorAndReturnsTheNormBefore() throws {
        let ps = parameters()
        XCTAssertEqual(try clipGradientNorm(ps, maxNorm: 6.5), 13)
        // Scale 6.5 / (13 + 1e-6); torch.nn.utils.clip_grad_norm_ gives [1.4999999, 1.9999999], [[5.9999995]].
        let scale = Float(6.5 / (13 + 1e-6))
        XCTAssertEqual(ps[0].grad?.scalars, [3 * scale, 4 * scale])
        XCTAssertEqual(ps[2].grad?.scalars, [12 * scale])
        assertClose(ps[0].grad!.scalars + ps[2].grad!.scalars, [1.5, 2, 6], accuracy: 1e-6)
        XCTAssertNil(ps[1].grad, "a parameter without a gradient stays without")
        XCTAssertEqual(gradientNorm(ps), 6.5, accuracy: 1e-6)
        XCTAssertLessThanOrEqual(gradientNorm(ps), 6.5)
    }

    func testGradientsWithinTheLimitAreLeftExactlyAsTheyAre() throws {
        let ps = parameters()
        XCTAssertEqual(try clipGradientNorm(ps, maxNorm: 13.5), 13)
        XCTAssertEqual(ps[0].grad?.scalars, [3, 4])
        XCTAssertEqual(ps[2].grad?.scalars, [12])
    }

    func testANonFiniteNormIsReturnedAndTheGradientsAreLeftToSeeWhy() throws {
        let ps = parameters()
        ps[0].grad = Tensor([.nan, 4])
        XCTAssertTrue(try clipGradientNorm(ps, maxNorm: 1).isNaN)
        XCTAssertEqual(ps[2].grad?.scalars, [12], "not scaled by a NaN factor")
        ps[0].grad = Tensor([-.infinity, 4])
        XCTAssertEqual(try clipGradientNorm(ps, maxNorm: 1), .infinity)
        XCTAssertEqual(ps[0].grad?.scalars, [-.infinity, 4])
        XCTAssertEqual(ps[2].grad?.scalars, [12], "not zeroed, as scaling by 1 / infinity would")
    }

    func testTheNormOfManyValuesIsExactAndIndependentOfThreads() throws {
        // 300,000 gradient values of 0.5 over several chunks: √(300000 × 0.25) = √75000.
        let p = Variable(try Tensor.zeros([300_000]), requiresGradient: true)
        p.grad = try Tensor.full([300_000], value: 0.5)
        XCTAssertEqual(gradientNorm([p]), Float(75_000.0.squareRoot()))
        let random = Variable(try Tensor.zeros([300_000]), requiresGradient: true)
        random.grad = try Tensor.randn([300_000], seed: 3)
        XCTAssertEqual(Parallel.withThreadCount(1) { gradientNorm([random]) }, Parallel.withThreadCount(2) { gradientNorm([random]) })
    }

    func testANonPositiveLimitIsRefused() {
        XCTAssertThrowsError(try clipGradientNorm(parameters(), maxNorm: 0)) { error in
            XCTAssertEqual("\(error)", "clipGradientNorm: maxNorm must be above 0, got 0.0")
        }
    }
}
