import Foundation
import XCTest
@testable import Engine

final class ExponentialTests: XCTestCase {
    /// Sweeps [-104, 89] in 2^22 steps: every result is within 1 ulp of e^x computed in Double.
    func testWithinOneUlpOverTheWholeRange() {
        let count = 1 << 22
        var worst = 0.0, worstAt: Float = 0
        for i in 0...count {
            let x = -104 + 193 * Float(i) / Float(count)
            let exact = Foundation.exp(Double(x))
            let got = Double(exponential(x))
            let rounded = Float(exact)
            if rounded == 0 || rounded.isInfinite {
                XCTAssertEqual(Float(got), rounded, "e^\(x)")
                continue
            }
            // Subnormal results are measured in the smallest subnormal step.
            let ulp = Double(rounded.isNormal ? rounded.ulp : Float.leastNonzeroMagnitude)
            let error = abs(got - exact) / ulp
            if error > worst { (worst, worstAt) = (error, x) }
        }
        XCTAssertLessThanOrEqual(worst, 1.0, "worst error \(worst) ulp at x = \(worstAt)")
    }

    func testSpecialValues() {
        XCTAssertEqual(exponential(0), 1)
        XCTAssertEqual(exponential(-0.0), 1)
        XCTAssertEqual(exponential(1), Float(M_E), accuracy: Float(M_E).ulp)
        XCTAssertEqual(exponential(.infinity), .infinity)
        XCTAssertEqual(exponential(-.infinity), 0)
        XCTAssertEqual(exponential(88.8), .infinity)
        XCTAssertEqual(exponential(-104), 0)
        XCTAssertTrue(exponential(.nan).isNaN)
        let nearOverflow: Float = 88.72  // e^x of the Float nearest 88.72, not of the Double
        let expected = Float(Foundation.exp(Double(nearOverflow)))
        XCTAssertEqual(exponential(nearOverflow), expected, accuracy: expected.ulp)
        XCTAssertEqual(exponential(-100), Float(Foundation.exp(-100.0)), accuracy: Float.leastNonzeroMagnitude)
    }

    func testTensorExpAndSigmoidUseIt() throws {
        let x = Tensor([-100, -1, 0, 1, 100])
        XCTAssertEqual(x.exp().scalars, x.scalars.map(exponential))
        assertClose(x.sigmoid().scalars, [0, 0.26894142, 0.5, 0.73105858, 1], accuracy: 1e-7)
    }
}
