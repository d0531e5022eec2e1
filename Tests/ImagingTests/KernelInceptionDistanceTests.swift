import Engine
import Imaging
import XCTest

final class KernelInceptionDistanceTests: XCTestCase {
    func testMatchesNumPy() throws {
        for pair in try MetricFixtures.load().frechet {
            let a = try Tensor(shape: [pair.n, pair.d], scalars: pair.a)
            let b = try Tensor(shape: [pair.m, pair.d], scalars: pair.b)
            let kid = try Metrics.kernelInceptionDistance(a, b)
            XCTAssertEqual(kid, pair.kid, accuracy: 1e-9 * abs(pair.kid), pair.name)
            XCTAssertEqual(try Metrics.kernelInceptionDistance(b, a), kid, accuracy: 1e-9 * abs(kid))
        }
    }

    func testOneDimensionalCaseByHand() throws {
        // k(p, q) = (p q + 1)^3. Within a: k(0, 1) = 1; within b: k(1, 2) = 27;
        // across: k(0, 1) + k(0, 2) + k(1, 1) + k(1, 2) = 1 + 1 + 8 + 27 = 37.
        // MMD^2 = 2 / 2 + 54 / 2 - 2 * 37 / 4 = 9.5.
        let a = try Tensor(shape: [2, 1], scalars: [0, 1])
        let b = try Tensor(shape: [2, 1], scalars: [1, 2])
        XCTAssertEqual(try Metrics.kernelInceptionDistance(a, b), 9.5, accuracy: 1e-12)
    }

    func testRefusesMismatchedFeatureSets() throws {
        XCTAssertThrowsError(try Metrics.kernelInceptionDistance(try Tensor.zeros([4, 3]), try Tensor.zeros([4, 2]))) { error in
            XCTAssertTrue("\(error)".contains("[4, 3] and [4, 2]"), "\(error)")
        }
        XCTAssertThrowsError(try Metrics.kernelInceptionDistance(try Tensor.zeros([1, 3]), try Tensor.zeros([4, 3])))
    }
}
