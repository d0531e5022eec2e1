import Engine
@testable import Imaging
import XCTest

/// The Fréchet distance against scipy.linalg.sqrtm, and on a case small enough to work by hand.
final class FrechetDistanceTests: XCTestCase {
    func testMatchesSciPy() throws {
        var worst = 0.0
        for pair in try MetricFixtures.load().frechet {
            let a = try Tensor(shape: [pair.n, pair.d], scalars: pair.a)
            let b = try Tensor(shape: [pair.m, pair.d], scalars: pair.b)
            let distance = try Metrics.frechetDistance(a, b)
            let relative = abs(distance - pair.frechet) / abs(pair.frechet)
            XCTAssertLessThan(relative, 1e-3, "\(pair.name): \(distance) vs scipy's \(pair.frechet)")
            XCTAssertEqual(try Metrics.frechetDistance(b, a), distance, accuracy: 1e-9 * distance)
            XCTAssertEqual(try Metrics.frechetDistance(a, a), 0, accuracy: 1e-9 * pair.frechet)
            worst = max(worst, relative)
        }
        print("Fréchet distance: largest relative deviation from scipy \(worst)")
    }

    func testOneDimensionalCaseByHand() throws {
        // a: mean 1, sample variance 2; b: mean 3, sample variance 4.
        // (1 - 3)^2 + 2 + 4 - 2 sqrt(2 * 4) = 10 - 4 sqrt(2).
        let a = try Tensor(shape: [2, 1], scalars: [0, 2])
        let b = try Tensor(shape: [3, 1], scalars: [1, 3, 5])
        XCTAssertEqual(try Metrics.frechetDistance(a, b), 10 - 4 * 2.0.squareRoot(), accuracy: 1e-12)
    }

    /// The sample-space route (fewer rows than features: Inception's 2048 features of a few
    /// hundred images) and the feature-space route give the same distance, and each is chosen
    /// where it costs less. The feature-space route takes square roots of eigenvalues, which
    /// costs small ones half their digits (and rank-deficient covariances have many): they agree
    /// to 1e-7 of the distance (measured: 2e-8 at worst).
    func testBothRoutesAgree() throws {
        for (n, m, d, seed) in [(6, 9, 40, 1), (30, 25, 12, 2), (7, 7, 7, 3), (3, 50, 20, 4)] {
            let a = try Tensor.randn([n, d], seed: UInt64(seed)) * 2 + 0.5
            let b = try Tensor.randn([m, d], seed: UInt64(seed + 100)) * 1.5
            let sample = try Metrics.frechetDistance(a, b, route: .sampleSpace)
            let feature = try Metrics.frechetDistance(a, b, route: .featureSpace)
            XCTAssertEqual(sample, feature, accuracy: 1e-7 * abs(feature), "n \(n), m \(m), d \(d)")
        }
        XCTAssertEqual(Metrics.FrechetRoute.cheaper(n: 500, m: 500, d: 2048), .sampleSpace)
        XCTAssertEqual(Metrics.FrechetRoute.cheaper(n: 50_000, m: 10_000, d: 2048), .featureSpace)
        XCTAssertEqual(Metrics.FrechetRoute.cheaper(n: 256, m: 64, d: 128), .sampleSpace)
        XCTAssertEqual(Metrics.FrechetRoute.cheaper(n: 2000, m: 2000, d: 64), .featureSpace)
    }

    func testRefusesMismatchedFeatureSets() throws {
        let a = try Tensor.zeros([5, 3])
        XCTAssertThrowsError(try Metrics.frechetDistance(a, try Tensor.zeros([5, 4]))) { error in
            XCTAssertTrue("\(error)".contains("[5, 3] and [5, 4]"), "\(error)")
        }
        XCTAssertThrowsError(try Metrics.frechetDistance(a, try Tensor.zeros([1, 3])))
        XCTAssertThrowsError(try Metrics.frechetDistance(try Tensor.zeros([15]), a))
    }
}
