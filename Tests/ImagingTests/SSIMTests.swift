import Engine
import Imaging
import XCTest

/// SSIM against scikit-image's structural_similarity(gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False) on a smooth pattern, noise and a real MRI slice.
final class SSIMTests: XCTestCase {
    func testMatchesScikitImage() throws {
        var worst = 0.0
        for pair in try MetricFixtures.load().ssim {
            let (x, y) = try pair.tensors()
            let score = try Metrics.structuralSimilarity(x, y, dataRange: pair.dataRange)
            XCTAssertEqual(score, pair.ssim, accuracy: 1e-4, pair.name)
            // Symmetric in its arguments.
            XCTAssertEqual(try Metrics.structuralSimilarity(y, x, dataRange: pair.dataRange), score, accuracy: 1e-12)
            worst = max(worst, abs(score - pair.ssim))
        }
        print("SSIM: largest deviation from scikit-image \(worst)")
    }

    func testBatchScoresEachImage() throws {
        let pairs = try MetricFixtures.load().ssim.filter { $0.height == 48 && $0.width == 64 }
        XCTAssertEqual(pairs.count, 2)
        let x = try Tensor(shape: [2, 1, 48, 64], scalars: pairs[0].x + pairs[1].x)
        let y = try Tensor(shape: [2, 1, 48, 64], scalars: pairs[0].y + pairs[1].y)
        let scores = try Metrics.structuralSimilarityPerImage(x, y, dataRange: 1)
        XCTAssertEqual(scores.count, 2)
        XCTAssertEqual(scores[0], pairs[0].ssim, accuracy: 1e-4)
        XCTAssertEqual(scores[1], pairs[1].ssim, accuracy: 1e-4)
        XCTAssertEqual(try Metrics.structuralSimilarity(x, y, dataRange: 1), (pairs[0].ssim + pairs[1].ssim) / 2, accuracy: 1e-4)
    }

    func testASingleImageWithAChannelAxisScoresAsItsPlane() throws {
        let (x, y) = try MetricFixtures.load().ssim[0].tensors()
        let plane = try Metrics.structuralSimilarity(x, y, dataRange: 255)
        let withAxis = try Metrics.structuralSimilarity(try x.reshaped([1] + x.shape), try y.reshaped([1] + y.shape), dataRange: 255)
        XCTAssertEqual(withAxis, plane)
    }

    func testIdenticalImagesScoreOneAndTheRangeMatters() throws {
        let pair = try MetricFixtures.load().ssim[0]
        let (x, y) = try pair.tensors()
        XCTAssertEqual(try Metrics.structuralSimilarity(x, x, dataRange: 1), 1, accuracy: 1e-12)
        // A wider data range raises C1 and C2, which pulls the score towards 1.
        XCTAssertGreaterThan(try Metrics.structuralSimilarity(x, y, dataRange: 2), pair.ssim + 0.01)
    }

    func testRefusesMismatchedShapesSmallImagesAndNarrowRanges() throws {
        let pairs = try MetricFixtures.load().ssim
        let (x, _) = try pairs[0].tensors()
        let mri = try pairs[2].tensors()
        XCTAssertThrowsError(try Metrics.structuralSimilarity(x, mri.0, dataRange: 255)) { error in
            XCTAssertTrue("\(error)".contains("[48, 64] and [256, 256]"), "\(error)")
        }
        XCTAssertThrowsError(try Metrics.structuralSimilarity(mri.0, mri.1, dataRange: 1)) { error in
            XCTAssertTrue("\(error)".contains("data range"), "\(error)")
        }
        XCTAssertThrowsError(try Metrics.structuralSimilarity(x, x, dataRange: 0))
        let small = try Tensor.zeros([8, 8])
        XCTAssertThrowsError(try Metrics.structuralSimilarity(small, small, dataRange: 1)) { error in
            XCTAssertTrue("\(error)".contains("11 x 11"), "\(error)")
        }
        let colour = try Tensor.zeros([1, 3, 16, 16])
        XCTAssertThrowsError(try Metrics.structuralSimilarity(colour, colour, dataRange: 1)) { error in
            XCTAssertTrue("\(error)".contains("[N, 1, H, W]"), "\(error)")
        }
    }
}
