import Foundation
import XCTest
import Engine
@testable import Imaging

/// Canny edges against scikit-image's feature.canny on the same values (Fixtures/canny_reference.json,
/// made once by Fixtures/make_canny_fixtures.py): a real MRI slice and two synthetic images,
/// several sigmas, absolute and quantile thresholds.
///
/// Agreement is the intersection over union of the two edge sets, |A ∩ B| / |A ∪ B|.
final class CannyTests: XCTestCase {
    struct Reference: Decodable {
        struct Image: Decodable {
            let height: Int
            let width: Int
            let bytes: [Int]?
            let values: [Double]?
        }
        struct Case: Decodable {
            let image: String
            let sigma: Double
            let low: Double
            let high: Double
            let useQuantiles: Bool
            let edges: [Int]
        }
        let images: [String: Image]
        let cases: [Case]
    }

    static let reference: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/canny_reference.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    /// The image as the fixture script gave it to skimage: 8-bit values as Float32(v) / 255.
    func tensor(_ image: Reference.Image) throws -> Tensor {
        let values = image.bytes.map { $0.map { Float($0) / 255 } } ?? image.values!.map { Float($0) }
        return try Tensor(shape: [image.height, image.width], scalars: values)
    }

    func testAgreesWithScikitImage() throws {
        let reference = Self.reference
        XCTAssertEqual(reference.cases.count, 13)
        var agreements: [Double] = []
        for c in reference.cases {
            let image = try tensor(reference.images[c.image]!)
            let thresholds: CannyThresholds = c.useQuantiles
                ? .quantiles(low: c.low, high: c.high) : .absolute(low: c.low, high: c.high)
            let edges = try canny(image, sigma: c.sigma, thresholds: thresholds)
            let ours = Set(edges.scalars.indices.filter { edges.scalars[$0] == 1 })
            let theirs = Set(c.edges)
            let agreement = Double(ours.intersection(theirs).count) / Double(max(1, ours.union(theirs).count))
            print("canny \(c.image) sigma \(c.sigma) \(thresholds): \(ours.count) edges, skimage \(theirs.count), IoU \(agreement)")
            XCTAssertGreaterThanOrEqual(agreement, 0.95, "\(c.image) sigma \(c.sigma) \(thresholds)")
            XCTAssertTrue(edges.scalars.allSatisfy { $0 == 0 || $0 == 1 })
            agreements.append(agreement)
        }
        // Measured when written: identical edge maps (IoU 1) in all thirteen cases (the scan, two synthetic images, two phantom slices); the floor of 0.95
        // per case is the contract, the mean guards against a drift the floor would let through.
        XCTAssertGreaterThanOrEqual(agreements.reduce(0, +) / Double(agreements.count), 0.99)
    }

    func testBatchProcessesEachImageAlone() throws {
        let reference = Self.reference
        let disc = try tensor(reference.images["noisy_disc"]!)
        let flipped = try Tensor(shape: disc.shape, scalars: disc.scalars.reversed())
        let batch = try Tensor(shape: [2, 1, 96, 96], scalars: disc.scalars + flipped.scalars)
        let thresholds = CannyThresholds.quantiles(low: 0.85, high: 0.95)
        let together = try canny(batch, sigma: 2, thresholds: thresholds)
        XCTAssertEqual(together.shape, [2, 1, 96, 96])
        let first = try canny(disc, sigma: 2, thresholds: thresholds)
        let second = try canny(flipped, sigma: 2, thresholds: thresholds)
        XCTAssertEqual(together.scalars, first.scalars + second.scalars)
    }

    func testStagesOfAStep() throws {
        // A vertical step from 0 to 1 between columns 7 and 8 of a 16 x 16 image.
        let image = try Tensor(shape: [16, 16], scalars: (0..<256).map { $0 % 16 >= 8 ? 1 : 0 })
        let stages = try cannyStages(image, sigma: 1, thresholds: .absolute(low: 0.1, high: 0.5))
        // Smoothing keeps the mean level away from the step: the border is renormalised, not darkened.
        XCTAssertEqual(try stages.smoothed.value(at: [0, 0]), 0, accuracy: 1e-6)
        XCTAssertEqual(try stages.smoothed.value(at: [0, 15]), 1, accuracy: 1e-4)
        // Across the step the magnitude is symmetric about it and largest at columns 7 and 8.
        let row = (0..<16).map { try! stages.magnitude.value(at: [8, $0]) }
        XCTAssertEqual(row[7], row[8], accuracy: 1e-6)
        XCTAssertEqual(row.firstIndex(of: row.max()!), 7)
        // Both middle columns are maxima (a tie), in every interior row; nothing else is.
        for i in 1..<15 {
            let kept = (0..<16).filter { try! stages.suppressed.value(at: [i, $0]) > 0 }
            XCTAssertEqual(kept, [7, 8], "row \(i)")
        }
        XCTAssertEqual(stages.edges.scalars.reduce(0, +), 28)
        XCTAssertEqual(try stages.edges.value(at: [0, 7]), 0, "the border is never an edge")
    }

    func testMisuseIsAnError() throws {
        let image = try Tensor.zeros([8, 8])
        XCTAssertThrowsError(try canny(image, sigma: 0, thresholds: .absolute(low: 0.1, high: 0.2)))
        XCTAssertThrowsError(try canny(image, thresholds: .absolute(low: 0.3, high: 0.2)))
        XCTAssertThrowsError(try canny(image, thresholds: .quantiles(low: 0.5, high: 1.5)))
        XCTAssertThrowsError(try canny(try Tensor.zeros([1, 3, 8, 8]), thresholds: .absolute(low: 0.1, high: 0.2))) { error in
            XCTAssertTrue("\(error)".contains("[1, 3, 8, 8]"))
        }
    }
}
