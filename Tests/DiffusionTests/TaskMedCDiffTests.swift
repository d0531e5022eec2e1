import XCTest
@testable import Diffusion
@testable import Engine
import Imaging

/// Med-cDiff's super-resolution, denoising and inpainting conditions, and the classical baselines
/// they are compared against, on phantom images in [-1, 1].
final class TaskMedCDiffTests: XCTestCase {
    static let images = try! PhantomConditioningDataset(seed: 2, size: 64, count: 3).images

    func mse(_ a: Tensor, _ b: Tensor) throws -> Double { try Metrics.meanSquaredError(a, b) }

    // MARK: - Super-resolution

    func testAreaDownsamplingIsTheBlockMean() throws {
        let task = try SuperResolutionTask(factor: 4)
        let constant = try Tensor.full([2, 1, 16, 16], value: 0.375)
        let low = try task.lowResolution(constant)
        XCTAssertEqual(low.shape, [2, 1, 4, 4])
        XCTAssertTrue(low.scalars.allSatisfy { $0 == 0.375 }, "a constant image stays constant")
        XCTAssertTrue(try task.condition(constant).scalars.allSatisfy { $0 == 0.375 })

        // x[i, j] = i * 8 + j on 8 × 8; the top-left 4 × 4 block holds rows 0...3, columns 0...3:
        // mean = 8 · 1.5 + 1.5 = 13.5; the block right of it 17.5, the one below 45.5, the last 49.5.
        let ramp = try Tensor(shape: [1, 1, 8, 8], scalars: (0..<64).map(Float.init))
        XCTAssertEqual(try task.lowResolution(ramp).scalars, [13.5, 17.5, 45.5, 49.5])
        let nearest = try task.condition(ramp)
        XCTAssertEqual(nearest.shape, [1, 1, 8, 8])
        XCTAssertEqual(nearest.scalars[0], 13.5)
        XCTAssertEqual(nearest.scalars[3 * 8 + 3], 13.5)
        XCTAssertEqual(nearest.scalars[4 * 8 + 4], 49.5)
        XCTAssertThrowsError(try task.lowResolution(try Tensor.zeros([1, 1, 10, 10])))
    }

    func testBilinearBaselineBeatsTheBlockyCondition() throws {
        let task = try SuperResolutionTask(factor: 4, upsampling: .nearest)
        let low = try task.lowResolution(Self.images)
        XCTAssertEqual(low.shape, [3, 1, 16, 16])
        let condition = try task.condition(Self.images)
        let baseline = try SuperResolutionTask.baseline(low, height: 64, width: 64)
        XCTAssertEqual(baseline, try SuperResolutionTask(upsampling: .bilinear).condition(Self.images))
        let (degraded, restored) = (try mse(condition, Self.images), try mse(baseline, Self.images))
        XCTAssertLessThan(restored, degraded * 0.9, "bilinear \(restored) vs nearest \(degraded)")
    }

    // MARK: - Denoising

    /// Each task draws from its own named child of its key, so `corrupt`, `holes` and `diffuse`
    /// given the same seed draw unrelated numbers: sample i's noise is `key/noise/#i`, not the
    /// `key/#i` that diffuse's item i uses.
    func testTheTasksDrawFromTheirOwnNamedKeys() throws {
        let key = RandomKey(seed: 5)
        let zero = try Tensor.zeros([2, 1, 8, 8])
        let noise = try DenoisingTask(noise: .gaussian(sigma: 1), random: key).degrade(zero)
        let second = Array(noise.scalars[64..<128])
        XCTAssertEqual(second, try Tensor.randn([64], random: key.child("noise").item(1)).scalars)
        XCTAssertNotEqual(second, try Tensor.randn([64], random: key.item(1)).scalars)
        let masks = try InpaintingTask(coverage: 0.3, random: key).masks(count: 2, size: 32)
        XCTAssertEqual(masks, try InpaintingTask(coverage: 0.3, random: RandomKey(seed: 5)).masks(count: 2, size: 32))
    }

    func testGaussianNoiseHasTheRequestedStandardDeviation() throws {
        let task = try DenoisingTask(noise: .gaussian(sigma: 0.2), random: RandomKey(seed: 5))
        let noisy = try task.degrade(Self.images)
        let residual = try noisy - Self.images
        let values = residual.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        // 12,288 values: the sample std is within about 0.2 / √(2 · 12288) ≈ 0.0013 of σ.
        XCTAssertEqual(std, 0.2, accuracy: 0.006)
        XCTAssertEqual(mean, 0, accuracy: 0.006)
        XCTAssertLessThan(try mse(DenoisingTask.baseline(noisy), Self.images), try mse(noisy, Self.images) * 0.5)
    }

    func testSaltAndPepperCorruptsTheRequestedFraction() throws {
        let task = try DenoisingTask(noise: .saltAndPepper(amount: 0.1), random: RandomKey(seed: 5))
        let noisy = try task.degrade(Self.images)
        let changed = zip(noisy.scalars, Self.images.scalars).filter { $0 != $1 }
        XCTAssertTrue(changed.allSatisfy { $0.0 == 1 || $0.0 == -1 })
        let salt = changed.filter { $0.0 == 1 }.count, pepper = changed.count - salt
        // Expected 1229 of 12,288 (std 33); pixels already at ±1 hide a few hits.
        XCTAssertEqual(Double(changed.count) / Double(noisy.count), 0.1, accuracy: 0.012)
        XCTAssertEqual(Double(salt) / Double(changed.count), 0.5, accuracy: 0.07)
        XCTAssertGreaterThan(pepper, 0)
        XCTAssertLessThan(try mse(DenoisingTask.baseline(noisy), Self.images), try mse(noisy, Self.images))
    }

    func testNoiseIsTheSameForTheSameSeedAndSampleIndex() throws {
        let task = try DenoisingTask(noise: .gaussian(sigma: 0.1), random: RandomKey(seed: 5))
        let all = try task.degrade(Self.images)
        XCTAssertEqual(try task.degrade(Self.images), all)
        XCTAssertNotEqual(try DenoisingTask(noise: .gaussian(sigma: 0.1), random: RandomKey(seed: 6)).degrade(Self.images), all)
        // Sample 2 alone, told its index, gets the noise it got in the batch.
        XCTAssertEqual(try task.degrade(Self.images.samples(at: [2]), firstSample: 2), try all.samples(at: [2]))
        let impulses = try DenoisingTask(noise: .saltAndPepper(amount: 0.2), random: RandomKey(seed: 5))
        XCTAssertEqual(try impulses.degrade(Self.images), try impulses.degrade(Self.images))
        XCTAssertNotEqual(try impulses.degrade(Self.images),
                          try DenoisingTask(noise: .saltAndPepper(amount: 0.2), random: RandomKey(seed: 1)).degrade(Self.images))
        XCTAssertThrowsError(try DenoisingTask(noise: .saltAndPepper(amount: 1.5), random: RandomKey(seed: 0)))
    }

    // MARK: - Inpainting

    func testMasksCoverTheRequestedFraction() throws {
        for shapes in [InpaintingTask.MaskShapes.rectangles, .strokes, .mixed] {
            for coverage in [0.1, 0.3, 0.6] {
                let masks = try InpaintingTask(coverage: coverage, shapes: shapes, random: RandomKey(seed: 3)).masks(count: 4, size: 64)
                XCTAssertTrue(masks.scalars.allSatisfy { $0 == 0 || $0 == 1 })
                for k in 0..<4 {
                    let hidden = masks.scalars[k * 4096 ..< (k + 1) * 4096].reduce(0, +) / 4096
                    // One rectangle row (≤ 32 pixels) or one brush dab (radius ≤ 5: ≤ 81 pixels) of overshoot.
                    XCTAssertGreaterThanOrEqual(Double(hidden), coverage - 1e-6, "\(shapes) \(coverage)")
                    XCTAssertLessThanOrEqual(Double(hidden), coverage + 0.02, "\(shapes) \(coverage)")
                }
            }
        }
        XCTAssertTrue(try InpaintingTask(coverage: 0, random: RandomKey(seed: 3)).masks(count: 1, size: 32).scalars.allSatisfy { $0 == 0 })
        XCTAssertTrue(try InpaintingTask(coverage: 1, random: RandomKey(seed: 3)).masks(count: 1, size: 32).scalars.allSatisfy { $0 == 1 })
    }

    func testTheConditionIsTheMaskedImageAndTheMask() throws {
        let task = try InpaintingTask(coverage: 0.25, fillValue: 0.5, random: RandomKey(seed: 8))
        let (masked, mask, condition) = try task.degrade(Self.images)
        XCTAssertEqual(condition.shape, [3, 2, 64, 64])
        XCTAssertEqual(try condition[.all, .range(0..<1)], masked)
        XCTAssertEqual(try condition[.all, .range(1..<2)], mask)
        for i in 0..<masked.count {
            XCTAssertEqual(masked.scalars[i], mask.scalars[i] == 1 ? 0.5 : Self.images.scalars[i])
        }
    }

    func testMasksAreTheSameForTheSameSeedAndDifferForAnother() throws {
        let task = try InpaintingTask(coverage: 0.3, random: RandomKey(seed: 8))
        let masks = try task.masks(count: 3, size: 64)
        XCTAssertEqual(try task.masks(count: 3, size: 64), masks)
        XCTAssertEqual(try task.masks(count: 1, size: 64, firstSample: 1), try masks.samples(at: [1]))
        XCTAssertNotEqual(try masks.samples(at: [0]), try masks.samples(at: [1]), "every sample has its own mask")
        XCTAssertNotEqual(try InpaintingTask(coverage: 0.3, random: RandomKey(seed: 9)).masks(count: 3, size: 64), masks)
    }

    func testMeanFillBeatsTheGreyFill() throws {
        let (masked, mask, _) = try InpaintingTask(coverage: 0.3, random: RandomKey(seed: 8)).degrade(Self.images)
        let filled = try InpaintingTask.baseline(masked, mask: mask)
        for i in 0..<masked.count where mask.scalars[i] == 0 { XCTAssertEqual(filled.scalars[i], masked.scalars[i]) }
        XCTAssertLessThan(try mse(filled, Self.images), try mse(masked, Self.images))
    }
}
