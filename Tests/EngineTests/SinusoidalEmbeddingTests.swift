import XCTest
@testable import Engine

final class SinusoidalEmbeddingTests: XCTestCase {
    func testValuesAtKnownTimesteps() throws {
        // D = 6, half = 3: frequencies 10000^(-i/3) = 1, 0.0464159, 0.00215443.
        let e = try Tensor.sinusoidalEmbedding(timesteps: Tensor([0, 1, 1000]), dimension: 6)
        XCTAssertEqual(e.shape, [3, 6])
        XCTAssertEqual(try e[.at(0)].scalars, [0, 0, 0, 1, 1, 1], "t = 0: sines 0, cosines 1")
        assertClose(try e[.at(1)].scalars, [0.84147098, 0.04639922, 0.00215443, 0.54030231, 0.99892298, 0.99999768], accuracy: 1e-7)
        // t = 1000: sin(1000), sin(46.4159), sin(2.15443), and the cosines (computed in Double).
        assertClose(try e[.at(2)].scalars, [0.82687954, 0.65031686, 0.83446321, 0.56237908, -0.75966307, -0.55106366], accuracy: 1e-7)
    }

    func testFlipAndShiftConventions() throws {
        let t = Tensor([1, 10])
        let plain = try Tensor.sinusoidalEmbedding(timesteps: t, dimension: 8)
        let flipped = try Tensor.sinusoidalEmbedding(timesteps: t, dimension: 8, flipSinToCos: true)
        XCTAssertEqual(try flipped[.all, .range(0..<4)], try plain[.all, .range(4..<8)], "cosines first")
        XCTAssertEqual(try flipped[.all, .range(4..<8)], try plain[.all, .range(0..<4)])
        // Shift 1 (the original DDPM code): frequencies 10000^(-i/3) for half = 4, the lowest
        // exactly 1/10000.
        let ddpm = try Tensor.sinusoidalEmbedding(timesteps: Tensor([1]), dimension: 8, downscaleFrequencyShift: 1)
        XCTAssertEqual(try ddpm.value(at: [0, 3]), Float(sin(1e-4)), accuracy: 1e-9)
        XCTAssertEqual(try ddpm.value(at: [0, 1]), Float(sin(pow(10_000, -1.0 / 3))), accuracy: 1e-7)
        // Scale and max period: 2 * t with frequencies 100^(-i/2).
        let scaled = try Tensor.sinusoidalEmbedding(timesteps: Tensor([3]), dimension: 4, maxPeriod: 100, scale: 2)
        assertClose(scaled.scalars, [Float(sin(6.0)), Float(sin(0.6)), Float(cos(6.0)), Float(cos(0.6))], accuracy: 1e-7)
    }

    func testOddDimensionsEndInZero() throws {
        let e = try Tensor.sinusoidalEmbedding(timesteps: Tensor([5, 7]), dimension: 5)
        XCTAssertEqual(e.shape, [2, 5])
        XCTAssertEqual(try e[.all, .at(4)].scalars, [0, 0])
        XCTAssertEqual(try e.value(at: [1, 0]), Float(sin(7.0)), accuracy: 1e-7)
    }

    func testFractionalTimestepsAndErrors() throws {
        let e = try Tensor.sinusoidalEmbedding(timesteps: Tensor([0.5]), dimension: 2)
        assertClose(e.scalars, [Float(sin(0.5)), Float(cos(0.5))], accuracy: 1e-7)
        assertTensorError("sinusoidalEmbedding", mentions: ["[N]", "[2, 1]"]) {
            try Tensor.sinusoidalEmbedding(timesteps: try Tensor.zeros([2, 1]), dimension: 4)
        }
        assertTensorError("sinusoidalEmbedding", mentions: ["dimension 2", "shift 1"]) {
            try Tensor.sinusoidalEmbedding(timesteps: Tensor([1]), dimension: 2, downscaleFrequencyShift: 1)
        }
    }
}
