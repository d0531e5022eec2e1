import Engine
import Imaging
import XCTest

/// MS-SSIM against a numpy/scipy implementation of its convention, and torchmetrics'
/// multiscale_structural_similarity_index_measure (defaults) as a cross-check.
final class MultiScaleSSIMTests: XCTestCase {
    func testMatchesReferenceAndTorchmetrics() throws {
        let pairs = try MetricFixtures.load().ssim.filter { $0.msssim != nil }
        XCTAssertEqual(pairs.count, 2)
        var worst = 0.0
        for pair in pairs {
            let (x, y) = try pair.tensors()
            let score = try Metrics.multiScaleStructuralSimilarity(x, y, dataRange: pair.dataRange)
            XCTAssertEqual(score, pair.msssim!, accuracy: 1e-9, pair.name)
            XCTAssertEqual(score, pair.msssimTorchmetrics!, accuracy: 1e-4, pair.name)
            // The coarse scales forgive the fine noise: MS-SSIM is well above single-scale SSIM here.
            XCTAssertGreaterThan(score, pair.ssim + 0.1, pair.name)
            worst = max(worst, abs(score - pair.msssimTorchmetrics!))
            XCTAssertEqual(try Metrics.multiScaleStructuralSimilarity(x, x, dataRange: pair.dataRange), 1, accuracy: 1e-12)
        }
        print("MS-SSIM: largest deviation from torchmetrics \(worst)")
    }

    func testBatchAndSizeLimit() throws {
        let pair = try MetricFixtures.load().ssim.first { $0.name == "texture" }!
        let x = try Tensor(shape: [2, 1, pair.height, pair.width], scalars: pair.x + pair.y)
        let y = try Tensor(shape: [2, 1, pair.height, pair.width], scalars: pair.y + pair.y)
        let scores = try Metrics.multiScaleStructuralSimilarityPerImage(x, y, dataRange: 1)
        XCTAssertEqual(scores[0], pair.msssim!, accuracy: 1e-9)
        XCTAssertEqual(scores[1], 1, accuracy: 1e-12)
        let small = try Tensor.zeros([160, 200])
        XCTAssertThrowsError(try Metrics.multiScaleStructuralSimilarity(small, small, dataRange: 1)) { error in
            XCTAssertTrue("\(error)".contains("176 x 176"), "\(error)")
        }
    }
}
