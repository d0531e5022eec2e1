import Engine
import Imaging
import XCTest

/// MSE, MAE, NMSE and PSNR on numbers worked by hand, and PSNR against scikit-image.
final class PixelErrorTests: XCTestCase {
    // x - y = [0, 2, 0, -4]: squared errors sum to 20, absolute errors to 6, ||y||^2 = 74.
    let x = Tensor([1, 2, 3, 4])
    let y = Tensor([1, 0, 3, 8])

    func testHandCheckedValues() throws {
        XCTAssertEqual(try Metrics.meanSquaredError(x, y), 5, accuracy: 1e-12)
        XCTAssertEqual(try Metrics.meanAbsoluteError(x, y), 1.5, accuracy: 1e-12)
        XCTAssertEqual(try Metrics.normalizedMeanSquaredError(x, reference: y), 20.0 / 74.0, accuracy: 1e-12)
        // y as the reference, not x: ||x||^2 = 30 would give 2/3.
        XCTAssertEqual(try Metrics.normalizedMeanSquaredError(y, reference: x), 20.0 / 30.0, accuracy: 1e-12)
        // 10 log10(10^2 / 5) = 10 log10(20).
        XCTAssertEqual(try Metrics.peakSignalToNoiseRatio(x, y, dataRange: 10), 13.010299956639813, accuracy: 1e-9)
        XCTAssertEqual(try Metrics.peakSignalToNoiseRatio(x, x, dataRange: 10), .infinity)
    }

    func testPSNRAndMSEMatchScikitImage() throws {
        for pair in try MetricFixtures.load().ssim {
            let (a, b) = try pair.tensors()
            XCTAssertEqual(try Metrics.peakSignalToNoiseRatio(a, b, dataRange: pair.dataRange), pair.psnr, accuracy: 1e-6, pair.name)
            XCTAssertEqual(try Metrics.meanSquaredError(a, b), pair.mse, accuracy: 1e-9 * max(1, pair.mse), pair.name)
        }
    }

    func testRefusesMismatchesAndBadRanges() throws {
        XCTAssertThrowsError(try Metrics.meanSquaredError(x, Tensor([1, 2, 3]))) { error in
            XCTAssertTrue("\(error)".contains("[4] and [3]"), "\(error)")
        }
        XCTAssertThrowsError(try Metrics.meanAbsoluteError(x, Tensor([1, 2, 3])))
        XCTAssertThrowsError(try Metrics.normalizedMeanSquaredError(x, reference: Tensor([0, 0, 0, 0]))) { error in
            XCTAssertTrue("\(error)".contains("all zeros"), "\(error)")
        }
        // The values span 0...8: a range of 1 is a mistake.
        XCTAssertThrowsError(try Metrics.peakSignalToNoiseRatio(x, y, dataRange: 1)) { error in
            XCTAssertTrue("\(error)".contains("data range 1.0"), "\(error)")
        }
        XCTAssertThrowsError(try Metrics.peakSignalToNoiseRatio(x, y, dataRange: -10))
    }
}
