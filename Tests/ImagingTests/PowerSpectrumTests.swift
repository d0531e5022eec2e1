import Engine
import Imaging
import XCTest

final class PowerSpectrumTests: XCTestCase {
    func testMatchesNumPyFFT() throws {
        var worst = 0.0
        for pair in try MetricFixtures.load().ssim {
            // The reference is of the top-left square crop.
            let side = min(pair.height, pair.width)
            let crop = (0..<side).flatMap { row in pair.x[row * pair.width..<row * pair.width + side] }
            let spectrum = try Metrics.radiallyAveragedPowerSpectrum(try Tensor(shape: [side, side], scalars: crop))
            XCTAssertEqual(spectrum.count, side / 2 + 1, pair.name)
            for (r, (ours, numpy)) in zip(spectrum, pair.spectrum).enumerated() {
                let relative = abs(ours - numpy) / max(abs(numpy), 1e-12 * pair.spectrum[0])
                XCTAssertLessThan(relative, 1e-9, "\(pair.name) bin \(r): \(ours) vs \(numpy)")
                worst = max(worst, relative)
            }
        }
        print("Power spectrum: largest relative deviation from numpy \(worst)")
    }

    func testConstantAndCosineByHand() throws {
        // A constant 3 on 4 x 4: F(0, 0) = 48, P = 48^2 / 16 = 144, all else 0.
        let constant = try Tensor(shape: [4, 4], scalars: [Float](repeating: 3, count: 16))
        let flat = try Metrics.radiallyAveragedPowerSpectrum(constant)
        XCTAssertEqual(flat.count, 3)
        XCTAssertEqual(flat[0], 144, accuracy: 1e-9)
        XCTAssertEqual(flat[1], 0, accuracy: 1e-9)
        XCTAssertEqual(flat[2], 0, accuracy: 1e-9)
        // cos(2π x / 8) on 8 x 8: F = 32 at v = ±1, P = 32^2 / 64 = 16 twice; bin 1 holds the
        // 8 frequencies (±1, 0), (0, ±1), (±1, ±1) (radius sqrt(2) rounds to 1): 32 / 8 = 4.
        let cosine = try Tensor(shape: [1, 1, 8, 8], scalars: (0..<64).map { Float(cos(2 * Double.pi * Double($0 % 8) / 8)) })
        let spectrum = try Metrics.radiallyAveragedPowerSpectrum(cosine)
        XCTAssertEqual(spectrum.count, 5)
        XCTAssertEqual(spectrum[1], 4, accuracy: 1e-6)
        for r in [0, 2, 3, 4] { XCTAssertEqual(spectrum[r], 0, accuracy: 1e-9) }
        XCTAssertThrowsError(try Metrics.radiallyAveragedPowerSpectrum(try Tensor.zeros([2, 3, 8, 8])))
        XCTAssertThrowsError(try Metrics.radiallyAveragedPowerSpectrum(try Tensor.zeros([8, 10]))) { error in
            XCTAssertTrue("\(error)".contains("square"), "\(error)")
        }
    }

    func testRefusesImagesLargerThanTheDirectTransformTakes() throws {
        let side = Metrics.maximumSpectrumSide + 2
        XCTAssertThrowsError(try Metrics.radiallyAveragedPowerSpectrum(try Tensor.zeros([1, 1, side, side]))) { error in
            XCTAssertTrue("\(error)".contains("at most 2048 a side"), "\(error)")
        }
    }
}
