import TestSupport
import XCTest
@testable import Engine

final class SoftmaxTests: XCTestCase {
    func testSoftmaxByHand() throws {
        // softmax([0, ln 2, ln 3]) = [1, 2, 3] / 6
        let x = Tensor([0, Float(log(2.0)), Float(log(3.0))])
        assertClose(try x.softmax().scalars, [1 / 6, 2 / 6, 3 / 6])
        assertClose(try x.logSoftmax().scalars, [Float(log(1 / 6.0)), Float(log(2 / 6.0)), Float(log(3 / 6.0))], accuracy: 1e-6)
    }

    func testLargeValuesDoNotOverflow() throws {
        let x = Tensor([1000, 1000, -1000])
        assertClose(try x.softmax().scalars, [0.5, 0.5, 0])
        assertClose(try x.logSoftmax().scalars, [-Float(log(2.0)), -Float(log(2.0)), -2000 - Float(log(2.0))], accuracy: 1e-3)
        XCTAssertEqual(try Tensor([-.infinity, 0]).softmax().scalars, [0, 1])
    }

    func testAlongAnInnerAxis() throws {
        // Softmax over axis 1 of [2, 3, 2]: each (i, :, k) line sums to 1 and matches the 1-D result.
        let x = ramp([2, 3, 2]) * 0.5
        let s = try x.softmax(axis: 1)
        for i in 0..<2 { for k in 0..<2 {
            let line = try x[.at(i), .all, .at(k)]
            assertClose(try s[.at(i), .all, .at(k)].scalars, try line.softmax().scalars)
            XCTAssertEqual(try s[.at(i), .all, .at(k)].sum().item(), 1, accuracy: 1e-6)
        } }
        assertClose(try x.logSoftmax(axis: 1).exp().scalars, s.scalars, accuracy: 1e-6)
        assertTensorError("softmax", mentions: ["axis 3", "[2, 3, 2]"]) { try x.softmax(axis: 3) }
    }
}
