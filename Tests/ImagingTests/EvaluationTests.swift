import Engine
import Foundation
import Imaging
import XCTest

/// Tests/ImagingTests/Fixtures/evaluation.json, made by Fixtures/make_evaluation_fixtures.py with
/// torchmetrics, scikit-image and prdc (clovaai's reference implementation).
struct EvaluationFixtures: Decodable {
    /// A batch of image pairs (8-bit values / 255) with torchmetrics' per-image SSIM and MS-SSIM
    /// and scikit-image's SSIM (Gaussian window, population covariances).
    struct ImageBatch: Decodable {
        let name: String
        let n: Int, height: Int, width: Int
        let dataRange: Double
        let x: String, y: String
        let ssim: [Double], msssim: [Double], skimageSsim: [Double]

        func tensors() throws -> (Tensor, Tensor) {
            func decode(_ text: String) throws -> Tensor {
                let bytes = try XCTUnwrap(Data(base64Encoded: text))
                return try Tensor(shape: [n, 1, height, width], scalars: bytes.map { Float($0) / 255 })
            }
            return (try decode(x), try decode(y))
        }
    }

    /// Real and generated feature sets with prdc.compute_prdc's four scores.
    struct FeatureSets: Decodable {
        let name: String
        let n: Int, m: Int, d: Int, k: Int
        let real: [Float], fake: [Float]
        let precision: Double, recall: Double, density: Double, coverage: Double
    }

    let torchmetrics: [ImageBatch]
    let prdc: [FeatureSets]

    static func load() throws -> EvaluationFixtures {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent("evaluation.json")
        return try JSONDecoder().decode(EvaluationFixtures.self, from: Data(contentsOf: url))
    }
}

final class MetricConventionTests: XCTestCase {
    /// SSIM and MS-SSIM in torchmetrics' convention, and SSIM in scikit-image's, on a real MRI
    /// slice and on textures (non-square): the two conventions differ by up to 8e-3 here.
    func testSSIMConventionsMatchTorchmetricsAndScikitImage() throws {
        var gap = 0.0
        for batch in try EvaluationFixtures.load().torchmetrics {
            let (x, y) = try batch.tensors()
            let torchSSIM = try Metrics.structuralSimilarityPerImage(x, y, dataRange: 1, convention: .torchmetrics)
            let torchMSSSIM = try Metrics.multiScaleStructuralSimilarityPerImage(x, y, dataRange: 1, convention: .torchmetrics)
            let skimage = try Metrics.structuralSimilarityPerImage(x, y, dataRange: 1)
            for i in 0..<batch.n {
                XCTAssertEqual(torchSSIM[i], batch.ssim[i], accuracy: 1e-9, "\(batch.name) \(i)")
                XCTAssertEqual(torchMSSSIM[i], batch.msssim[i], accuracy: 1e-7, "\(batch.name) \(i)")
                XCTAssertEqual(skimage[i], batch.skimageSsim[i], accuracy: 1e-9, "\(batch.name) \(i)")
                gap = max(gap, abs(batch.ssim[i] - batch.skimageSsim[i]))
            }
        }
        XCTAssertGreaterThan(gap, 3e-3, "the fixtures should tell the conventions apart")
    }

    /// Pooled and per-image means of the pixel errors, by hand: two 1 x 2 images, the second
    /// ten times brighter, each off by 0.1 in one pixel.
    func testPooledAndMeanReductionsByHand() throws {
        let y = try Tensor(shape: [2, 1, 1, 2], scalars: [0.1, 0.1, 1.0, 1.0])
        let x = try Tensor(shape: [2, 1, 1, 2], scalars: [0.2, 0.1, 1.0, 0.9])
        func value(_ kind: MetricKind, _ reduction: MetricReduction) throws -> Double {
            var settings = MetricSettings()
            settings.reduction = reduction
            let statistic = try Metrics.statistic(kind, generated: [x], reference: y, settings: settings)
            return try statistic.compute([0, 1], [])
        }
        // Both images have squared error 0.01 over 2 values; energies 0.02 and 2.
        XCTAssertEqual(try value(.nmse, .pooled), 0.02 / 2.02, accuracy: 1e-6)
        XCTAssertEqual(try value(.nmse, .mean), (0.01 / 0.02 + 0.01 / 2) / 2, accuracy: 1e-6)
        XCTAssertEqual(try value(.psnr, .pooled), 10 * log10(1 / 0.005), accuracy: 1e-5)
        XCTAssertEqual(try value(.mse, .pooled), 0.005, accuracy: 1e-8)
        XCTAssertEqual(try value(.mae, .mean), 0.05, accuracy: 1e-7)
        // The pooled forms are what the batch functions compute.
        XCTAssertEqual(try value(.psnr, .pooled), try Metrics.peakSignalToNoiseRatio(x, y, dataRange: 1), accuracy: 1e-12)
        XCTAssertEqual(try value(.nmse, .pooled), try Metrics.normalizedMeanSquaredError(x, reference: y), accuracy: 1e-12)
        var settings = MetricSettings()
        settings.reduction = .pooled
        XCTAssertThrowsError(try Metrics.statistic(.ssim, generated: [x], reference: y, settings: settings)) { error in
            XCTAssertTrue("\(error)".contains("no pooled form"), "\(error)")
        }
    }

    /// Dice and edge F1 pooled over a selection equal the batch functions on those images.
    func testPooledDiceAndEdgeF1FollowTheBatchFunctions() throws {
        let labels = try Tensor(shape: [3, 1, 4, 4], scalars: (0..<48).map { Float(($0 * 7 + $0 / 5) % 4) })
        let predicted = try Tensor(shape: [3, 1, 4, 4], scalars: (0..<48).map { Float(($0 * 7 + $0 / 3) % 4) })
        var settings = MetricSettings()
        settings.classes = [1, 2, 3]
        let dice = try Metrics.statistic(.dice, generated: [predicted], reference: labels, settings: settings)
        let expected = try Metrics.dicePerClass(prediction: predicted, target: labels, classes: [1, 2, 3])
        XCTAssertEqual(try dice.compute([0, 1, 2], []), expected.reduce(0, +) / 3, accuracy: 1e-12)

        let edges = try Tensor(shape: labels.shape, scalars: labels.scalars.map { $0 > 1 ? 1 : 0 })
        let found = try Tensor(shape: predicted.shape, scalars: predicted.scalars.map { $0 > 1 ? 1 : 0 })
        let f1 = try Metrics.statistic(.edgef1, generated: [found], reference: edges, settings: settings)
        XCTAssertEqual(
            try f1.compute([0, 1, 2], []), try Metrics.edgeF1(predicted: found, reference: edges, tolerance: 1), accuracy: 1e-12)
        XCTAssertEqual(
            try f1.compute([2, 2], []),
            try Metrics.edgeF1(
                predicted: found.slice([.range(start: 2, end: 3, step: 1)]), reference: edges.slice([.range(start: 2, end: 3, step: 1)]),
                tolerance: 1),
            accuracy: 1e-12)
    }
}

final class NearestNeighbourTests: XCTestCase {
    func testMatchesTheReferenceImplementation() throws {
        for sets in try EvaluationFixtures.load().prdc {
            let real = try Tensor(shape: [sets.n, sets.d], scalars: sets.real)
            let fake = try Tensor(shape: [sets.m, sets.d], scalars: sets.fake)
            let scores = try NearestNeighbourSets(real: real, generated: fake).scores(k: sets.k)
            XCTAssertEqual(scores.precision, sets.precision, accuracy: 1e-12, sets.name)
            XCTAssertEqual(scores.recall, sets.recall, accuracy: 1e-12, sets.name)
            XCTAssertEqual(scores.density, sets.density, accuracy: 1e-12, sets.name)
            XCTAssertEqual(scores.coverage, sets.coverage, accuracy: 1e-12, sets.name)
        }
    }

    /// In a resample a repeated real row is not its own neighbour, and counts once per repeat
    /// in the density. One-dimensional features, k = 1, worked by hand.
    func testARepeatedRowIsNotItsOwnNeighbour() throws {
        let real = try Tensor(shape: [4, 1], scalars: [0, 1, 3, 10])
        let fake = try Tensor(shape: [2, 1], scalars: [0.5, 20])
        let sets = try NearestNeighbourSets(real: real, generated: fake)
        // Distinct rows {0, 1, 3}: radii 1, 1, 2. 0.5 lies within 0's and 1's balls; 20 in none.
        let scores = sets.scores(k: 1, realRows: [0, 0, 1, 2], generatedRows: [0, 1])
        XCTAssertEqual(scores.precision, 0.5)
        XCTAssertEqual(scores.density, 3.0 / 2.0)   // rows 0, 0 and 1 hold 0.5: 3 balls over k M = 2
        // Generated radii (k = 1 among {0.5, 20}): 19.5 each, so every real row is recalled.
        XCTAssertEqual(scores.recall, 1)
        // Nearest generated to 0, 0, 1: 0.5 (inside radii 1, 1, 1); to 3: 2.5 (not inside 2).
        XCTAssertEqual(scores.coverage, 0.75)
        XCTAssertTrue(sets.scores(k: 3, realRows: [0, 1, 1], generatedRows: [0, 1]).precision.isNaN)
        XCTAssertThrowsError(try sets.scores(k: 4))
    }

    /// KID from the kernel matrices, computed once, equals the direct sum; a selection with a
    /// repeat equals the direct sum over a set that holds the row twice.
    func testKernelSetsGiveTheKernelDistance() throws {
        let sets = try XCTUnwrap(try EvaluationFixtures.load().prdc.first)
        let real = try Tensor(shape: [sets.n, sets.d], scalars: sets.real)
        let fake = try Tensor(shape: [sets.m, sets.d], scalars: sets.fake)
        let kernels = try KernelSets(generated: fake, real: real)
        XCTAssertEqual(
            kernels.distance(generatedRows: Array(0..<sets.m), realRows: Array(0..<sets.n)),
            try Metrics.kernelInceptionDistance(fake, real), accuracy: 1e-12)
        let rows = [0, 0, 3, 7, 7, 7], references = [1, 2, 2, 5, 9]
        func select(_ t: Tensor, _ rows: [Int]) throws -> Tensor {
            try Tensor(shape: [rows.count, sets.d], scalars: rows.flatMap { t.scalars[$0 * sets.d..<($0 + 1) * sets.d] })
        }
        XCTAssertEqual(
            kernels.distance(generatedRows: rows, realRows: references),
            try Metrics.kernelInceptionDistance(select(fake, rows), select(real, references)), accuracy: 1e-12)
    }

    func testMemorisationFlagsCopiesOfTrainingImages() throws {
        var random = RandomKey(seed: 5).stream
        func normals(_ rows: Int) throws -> Tensor {
            let first = random.reserveBlocks(forValues: rows * 8)
            let values = (0..<rows * 2).flatMap { block -> [Float] in
                let words = random.block(first + UInt64(block))
                let (a, b) = RandomStream.normals(words[0], words[1]), (c, d) = RandomStream.normals(words[2], words[3])
                return [a, b, c, d]
            }
            return try Tensor(shape: [rows, 8], scalars: values)
        }
        let training = try normals(200), heldOut = try normals(100), fresh = try normals(15)
        // Five near-copies of training rows among fifteen new draws.
        let copies = try Tensor(shape: [5, 8], scalars: training.scalars[0..<40].map { $0 + 1e-3 })
        let generated = try Tensor.concat([copies, fresh], axis: 0)
        let check = try MemorisationCheck(generated: generated, training: training, heldOut: heldOut, quantile: 0.05)
        XCTAssertEqual(Array(check.suspects.prefix(5)), [0, 1, 2, 3, 4])
        XCTAssertEqual(check.nearestTrainingImages.prefix(5), [0, 1, 2, 3, 4])
        XCTAssertLessThanOrEqual(check.suspects.count, 7, "about 5% of the fresh draws at most")
        XCTAssertEqual(check.share(generatedRows: Array(0..<20), heldOutRows: Array(0..<100)), check.share)
        let real = try MemorisationCheck(generated: try normals(100), training: training, heldOut: heldOut, quantile: 0.05)
        XCTAssertLessThan(real.share, 0.15, "new draws are flagged about as often as the quantile")
        XCTAssertThrowsError(try MemorisationCheck(generated: generated, training: training, heldOut: heldOut, quantile: 1))
    }
}

final class ResamplingTests: XCTestCase {
    func testQuantilesInterpolateAsNumpy() {
        XCTAssertEqual(Resampling.quantile([1, 2, 3, 4], 0.25), 1.75)
        XCTAssertEqual(Resampling.quantile([1, 2, 3, 4], 0.975), 3.925, accuracy: 1e-12)
        XCTAssertEqual(Resampling.quantile([5], 0.5), 5)
        XCTAssertTrue(Resampling.quantile([], 0.5).isNaN)
        XCTAssertEqual(Resampling.quantile([1, .infinity, .infinity], 0.9), .infinity)
    }

    /// Values drawn from N(mu, 1): the bootstrap interval of their mean is close to the normal
    /// theory interval mean ± 1.96 s / sqrt(n), the same key gives the same interval, and over
    /// 200 samples the interval covers mu about 95% of the time.
    func testBootstrapIntervalOfAMean() throws {
        func sample(_ index: Int, _ n: Int) -> [Double] {
            let stream = RandomKey(seed: 11).item(index).stream
            return (0..<n / 2).flatMap { block -> [Double] in
                let words = stream.block(UInt64(block))
                let (a, b) = RandomStream.normals(words[0], words[1])
                return [Double(a) + 3, Double(b) + 3]
            }
        }
        let values = sample(0, 400)
        let plan = Resampling.Plan(level: 0.95, resamples: 2000, key: RandomKey(seed: 1))
        let estimate = try Resampling.estimate(.mean(values), plan: plan)
        let mean = values.reduce(0, +) / 400
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 399).squareRoot()
        let half = 1.96 * sd / 20
        XCTAssertEqual(estimate.value, mean, accuracy: 1e-12)
        XCTAssertEqual(estimate.lower, mean - half, accuracy: 0.15 * half)
        XCTAssertEqual(estimate.upper, mean + half, accuracy: 0.15 * half)
        XCTAssertEqual(estimate.count, 400)
        XCTAssertEqual(estimate.resamples, 2000)
        XCTAssertEqual(try Resampling.estimate(.mean(values), plan: plan), estimate)
        XCTAssertNotEqual(try Resampling.estimate(.mean(values), plan: .init(key: RandomKey(seed: 2))).lower, estimate.lower)

        var covered = 0
        for index in 1...200 {
            let small = try Resampling.estimate(.mean(sample(index, 30)), plan: .init(resamples: 500, key: RandomKey(seed: 3).item(index)))
            if small.lower <= 3 && 3 <= small.upper { covered += 1 }
        }
        XCTAssertTrue((176...198).contains(covered), "covered the mean \(covered) times of 200")
    }

    /// The centred interval of a Fréchet distance covers the mean distance at this sample size
    /// (64 generated rows against 256 real, 4 features, the generated shifted by 0.5 in one) about
    /// as often as its level says: over 150 data sets, against the mean of 600.
    func testFrechetIntervalsCoverTheirSampleSizesMean() throws {
        func gaussian(_ key: RandomKey, _ rows: Int, shift: Float) throws -> Tensor {
            let stream = key.stream
            let values = (0..<rows).flatMap { block -> [Float] in
                let words = stream.block(UInt64(block))
                let (a, b) = RandomStream.normals(words[0], words[1]), (c, d) = RandomStream.normals(words[2], words[3])
                return [a + shift, b, c, d]
            }
            return try Tensor(shape: [rows, 4], scalars: values)
        }
        func distance(_ index: Int) throws -> (Tensor, Tensor) {
            (try gaussian(RandomKey(seed: 21).item(index).child("a"), 64, shift: 0.5),
             try gaussian(RandomKey(seed: 21).item(index).child("b"), 256, shift: 0))
        }
        var values: [Double] = []
        for index in 0..<600 {
            let (a, b) = try distance(index)
            values.append(try Metrics.frechetDistance(a, b))
        }
        let expected = values.reduce(0, +) / Double(values.count)
        var covered = 0
        for index in 0..<150 {
            let (a, b) = try distance(index)
            let statistic = try Metrics.statistic(.frechet, generated: [a], reference: b, settings: MetricSettings())
            let estimate = try Resampling.estimate(statistic, plan: .init(resamples: 400, key: RandomKey(seed: 22).item(index)))
            if estimate.lower <= expected && expected <= estimate.upper { covered += 1 }
        }
        print("Fréchet distance: mean \(expected) at 64 against 256; the 95% interval covered it \(covered) times of 150")
        XCTAssertTrue((127...149).contains(covered), "covered \(covered) of 150")
    }

    /// A paired comparison: a model better on every subject has an interval above 0 and a small
    /// p-value; two identical models differ by exactly 0 with p = 1; two models that differ by
    /// noise alone have an interval around 0.
    func testPairedDifferenceAndPermutationTest() throws {
        let base = (0..<40).map { 0.5 + 0.01 * Double(($0 * 17) % 13) }
        let noise = (0..<40).map { 0.02 * Double(($0 * 29) % 11) - 0.1 }
        let plan = Resampling.Plan(resamples: 1000, key: RandomKey(seed: 4))
        let better = try Resampling.difference(.mean(base.map { $0 + 0.05 } + base), plan: plan)
        XCTAssertEqual(better.value, 0.05, accuracy: 1e-12)
        XCTAssertEqual(better.lower, 0.05, accuracy: 1e-9)
        XCTAssertLessThan(try XCTUnwrap(better.pValue), 0.002)
        let same = try Resampling.difference(.mean(base + base), plan: plan)
        XCTAssertEqual(same.value, 0)
        XCTAssertEqual(same.pValue, 1)
        let noisy = try Resampling.difference(.mean(zip(base, noise).map { $0 + $1 } + base), plan: plan)
        XCTAssertLessThan(noisy.lower, 0)
        XCTAssertGreaterThan(noisy.upper, 0)
        XCTAssertGreaterThan(try XCTUnwrap(noisy.pValue), 0.05)
        let shifted = try Resampling.difference(.mean(zip(base, noise).map { $0 + $1 + 0.06 } + base), plan: plan)
        XCTAssertGreaterThan(shifted.lower, 0)
        XCTAssertLessThan(try XCTUnwrap(shifted.pValue), 0.01)
        XCTAssertThrowsError(try Resampling.estimate(.mean([1]), plan: plan))
        XCTAssertThrowsError(try Resampling.estimate(.mean([1, 2]), plan: .init(level: 1, key: RandomKey(seed: 0))))
    }
}
