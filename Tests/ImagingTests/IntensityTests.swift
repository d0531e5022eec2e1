import XCTest
import Engine
@testable import Imaging

/// Normalisations, percentile clipping (NumPy's values), CT windows, resizing (PyTorch's
/// F.interpolate values), crop and pad: hand-computed cases.
final class IntensityTests: XCTestCase {
    func testMinMaxMapsEachImageOntoMinusOneToOne() throws {
        let batch = try Tensor(shape: [2, 1, 1, 3], scalars: [2, 4, 6,  -10, 0, 30])
        XCTAssertEqual(try normaliseMinMax(batch).scalars, [-1, 0, 1,  -1, -0.5, 1])
        XCTAssertEqual(try normaliseMinMax(try Tensor.full([2, 2], value: 7)).scalars, [0, 0, 0, 0])
    }

    func testZScoreUsesThePopulationDeviation() throws {
        // 0 ... 7: mean 3.5, population std sqrt(5.25) = 2.2912878 (np.std).
        let image = try Tensor(shape: [2, 4], scalars: (0..<8).map(Float.init))
        let z = try normaliseZScore(image)
        XCTAssertEqual(z.scalars[0], Float(-3.5 / 5.25.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(z.scalars[7], Float(3.5 / 5.25.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(z.scalars.reduce(0, +), 0, accuracy: 1e-5)
    }

    func testPercentilesAreNumpysLinear() throws {
        // To the last bit of np.percentile(np.arange(1., 11.), [10, 95]) and of
        // np.percentile([3., -1, 7, 2, 10, 0, 5, 8], [0, 20, 80, 100]).
        XCTAssertEqual(linearPercentiles((1...10).map(Double.init), [10, 95]), [1.9, 9.549999999999999])
        XCTAssertEqual(linearPercentiles([3, -1, 7, 2, 10, 0, 5, 8], [0, 20, 80, 100]),
                       [-1, 0.8000000000000003, 7.6000000000000005, 10])
        // np.percentile([3, -1, 7, 2, 10, 0, 5, 8], [20, 80]) == [0.8, 7.6]: values outside are clipped.
        let image = try Tensor(shape: [2, 4], scalars: [3, -1, 7, 2, 10, 0, 5, 8])
        let clipped = try clipToPercentiles(image, lower: 20, upper: 80)
        XCTAssertEqual(clipped.scalars, [3, 0.8, 7, 2, 7.6, 0.8, 5, 7.6])
        XCTAssertThrowsError(try clipToPercentiles(image, lower: 90, upper: 10))
    }

    func testCTWindow() throws {
        // Soft tissue: level 40, width 400 covers -160 ... 240 HU.
        let hu = Tensor([-1000, -160, 40, 140, 240, 3000])
        XCTAssertEqual(try ctWindow(hu, level: 40, width: 400).scalars, [0, 0, 0.5, 0.75, 1, 1])
        XCTAssertEqual(try ctWindow(hu, level: 40, width: 400, range: .symmetric).scalars, [-1, -1, 0, 0.5, 1, 1])
        XCTAssertThrowsError(try ctWindow(hu, level: 40, width: 0))
    }

    func testResizeBilinearIsPyTorchs() throws {
        // F.interpolate([[0, 1], [2, 3]], size=4, mode='bilinear', align_corners=False)
        let image = try Tensor([[0, 1], [2, 3]])
        let up = try resize(image, height: 4, width: 4, method: .bilinear)
        XCTAssertEqual(up.shape, [4, 4])
        XCTAssertEqual(up.scalars, [0, 0.25, 0.75, 1,
                                    0.5, 0.75, 1.25, 1.5,
                                    1.5, 1.75, 2.25, 2.5,
                                    2, 2.25, 2.75, 3])
        // Halving a 4 x 4 ramp: each output sits between two inputs.
        let ramp = try Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init))
        XCTAssertEqual(try resize(ramp, height: 2, width: 2, method: .bilinear).scalars, [2.5, 4.5, 10.5, 12.5])
    }

    func testResizeByUnevenFactorsIsPyTorchs() throws {
        // F.interpolate(x, size=(5, 4), mode='bilinear', align_corners=False), rounded to 1e-6
        // (PyTorch computes the source coordinates in Float32).
        let image = try Tensor([[0, 5, 1], [2, 8, 3], [7, 4, 6]])
        let up = try resize(image, height: 5, width: 4, method: .bilinear)
        let torch: [Float] = [0, 3.125, 3.5, 1,  0.8, 4.175, 4.55, 1.8,  2, 5.75, 6.125, 3,
                              5, 5.375, 5.3, 4.8,  7, 5.125, 4.75, 6]
        for (ours, theirs) in zip(up.scalars, torch) { XCTAssertEqual(ours, theirs, accuracy: 2e-6) }
        // 5 -> 3: nearest reads 0, 1, 3; area averages [0, 2), [1, 4), [3, 5).
        let row = try Tensor(shape: [1, 5], scalars: [0, 1, 2, 3, 4])
        XCTAssertEqual(try resize(row, height: 1, width: 3, method: .nearest).scalars, [0, 1, 3])
        XCTAssertEqual(try resize(row, height: 1, width: 3, method: .area).scalars, [0.5, 2, 3.5])
    }

    func testResizeNearestKeepsLabelsAndAreaAverages() throws {
        let labels = try Tensor([[0, 1, 2], [3, 1, 2]])
        XCTAssertEqual(try resize(labels, height: 4, width: 6, method: .nearest).scalars,
                       [0, 0, 1, 1, 2, 2,  0, 0, 1, 1, 2, 2,  3, 3, 1, 1, 2, 2,  3, 3, 1, 1, 2, 2])
        XCTAssertEqual(try resize(labels, height: 1, width: 2, method: .nearest).scalars, [0, 1])
        let ramp = try Tensor(shape: [4, 4], scalars: (0..<16).map(Float.init))
        XCTAssertEqual(try resize(ramp, height: 2, width: 2, method: .area).scalars, [2.5, 4.5, 10.5, 12.5])
        // 3 -> 2 overlaps as adaptive_avg_pool: windows [0, 2) and [1, 3).
        XCTAssertEqual(try resize(try Tensor([[0, 3, 9]]), height: 1, width: 2, method: .area).scalars, [1.5, 6])
    }

    func testCropAndPadKeepTheCentre() throws {
        let image = try Tensor(shape: [4, 5], scalars: (0..<20).map(Float.init))
        let cropped = try cropOrPad(image, height: 2, width: 3)
        XCTAssertEqual(cropped.scalars, [6, 7, 8, 11, 12, 13])
        let padded = try cropOrPad(try Tensor([[1, 2]]), height: 3, width: 5, value: -1)
        XCTAssertEqual(padded.scalars, [-1, -1, -1, -1, -1,  -1, 1, 2, -1, -1,  -1, -1, -1, -1, -1])
        // Crop one axis, pad the other, on a batch.
        let batch = try Tensor(shape: [1, 1, 3, 1], scalars: [1, 2, 3])
        let mixed = try cropOrPad(batch, height: 1, width: 3)
        XCTAssertEqual(mixed.shape, [1, 1, 1, 3])
        XCTAssertEqual(mixed.scalars, [0, 2, 0])
    }

    /// A single image of C channels [C, H, W] (a DICOM's frames, a PNG's colours) is one image:
    /// its channels are normalised together, its planes resized, filtered and labelled as a
    /// batch of one would be; operations on labels and grey images take [1, H, W].
    func testSingleImagesWithAChannelAxis() throws {
        let planes = try Tensor(shape: [2, 1, 3], scalars: [2, 4, 6,  -10, 0, 30])
        // One range over both channels, -10 ... 30: y = (x + 10) / 20 - 1.
        for (value, expected) in zip(try normaliseMinMax(planes).scalars, [-0.4, -0.3, -0.2, -1, -0.5, 1] as [Float]) {
            XCTAssertEqual(value, expected, accuracy: 1e-6)
        }
        XCTAssertEqual(try normaliseMinMax(planes).shape, [2, 1, 3])
        let image = try Tensor.randn([1, 9, 7], seed: 3)
        let batch = try image.reshaped([1, 1, 9, 7])
        XCTAssertEqual(try resize(image, height: 4, width: 5, method: .bilinear).shape, [1, 4, 5])
        XCTAssertEqual(try resize(image, height: 4, width: 5, method: .bilinear).scalars,
                       try resize(batch, height: 4, width: 5, method: .bilinear).scalars)
        XCTAssertEqual(try cropOrPad(image, height: 3, width: 9).shape, [1, 3, 9])
        XCTAssertEqual(try canny(image, sigma: 1, thresholds: .absolute(low: 0.1, high: 0.2)).scalars,
                       try canny(batch, sigma: 1, thresholds: .absolute(low: 0.1, high: 0.2)).scalars)
        XCTAssertEqual(try oneHot(try Tensor(shape: [1, 1, 2], scalars: [1, 0]), classes: 2).scalars, [0, 1, 1, 0])
        XCTAssertThrowsError(try oneHot(try Tensor(shape: [1, 1, 2], scalars: [1, 3]), classes: 2)) {
            XCTAssertTrue("\($0)".contains("label 3.0 at [0, 0, 1]"), "\($0)")
        }
        XCTAssertThrowsError(try canny(try Tensor.zeros([2, 5, 5]), sigma: 1, thresholds: .absolute(low: 0.1, high: 0.2))) {
            XCTAssertTrue("\($0)".contains("expects one channel, [1, H, W], but got [2, 5, 5]; "
                + "a stack of 2 grey images is a batch [2, 1, 5, 5]"), "\($0)")
        }
        XCTAssertThrowsError(try normaliseMinMax(try Tensor.zeros([2, 2, 2, 2, 2]))) {
            XCTAssertTrue("\($0)".contains("expects an image [H, W] or [C, H, W], or a batch [N, C, H, W]"), "\($0)")
        }
    }
}
