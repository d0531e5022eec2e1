import XCTest
@testable import Diffusion
@testable import Engine

final class ConditionEncoderTests: XCTestCase {
    func testBringsConditionsToLatentSizeForSeveralFactors() throws {
        for (channels, encoded, factor, size) in [(5, 5, 4, 64), (1, 2, 2, 12), (8, 3, 1, 6), (4, 4, 8, 32)] {
            var random = RandomStream(seed: 1)
            let encoder = try ConditionEncoder(inputChannels: channels, outputChannels: encoded, downsamplingFactor: factor, width: 8, random: &random)
            XCTAssertEqual(encoder.downsample.count, factor.trailingZeroBitCount)
            let y = try encoder(Variable(Tensor.randn([2, channels, size, size], seed: 2)))
            XCTAssertEqual(y.shape, [2, encoded, size / factor, size / factor])
        }
    }

    func testStartsAtZeroAndLearnsFromTheFirstStep() throws {
        var random = RandomStream(seed: 3)
        let encoder = try ConditionEncoder(inputChannels: 5, outputChannels: 4, width: 8, random: &random)
        // 5*8*9+8 + 2*(8*8*9+8) + 8*4*9+4.
        XCTAssertEqual(encoder.parameterCount, 368 + 1168 + 292)
        let y = try encoder(Variable(Tensor.randn([2, 5, 16, 16], seed: 4)))
        XCTAssertEqual(y.value, try Tensor.zeros([2, 4, 4, 4]))
        try y.backward(gradient: Tensor.randn(y.shape, seed: 5))
        let weightGradient = encoder.outputConv.weight.grad!.scalars.map(Swift.abs).max()!
        XCTAssertGreaterThan(weightGradient, 1e-2, "the zero convolution's weights get a gradient")
        XCTAssertEqual(encoder.inputConv.weight.grad!.scalars.map(Swift.abs).max()!, 0,
                       "earlier layers wait until the zero convolution has moved")
    }

    func testRefusesWrongConditions() throws {
        var random = RandomStream(seed: 6)
        XCTAssertThrowsError(try ConditionEncoder(inputChannels: 5, outputChannels: 4, downsamplingFactor: 3, random: &random))
        let encoder = try ConditionEncoder(inputChannels: 5, outputChannels: 4, random: &random)
        XCTAssertThrowsError(try encoder(Variable(Tensor.zeros([1, 4, 16, 16])))) { error in
            XCTAssertTrue("\(error)".contains("[N, 5, H, W]"), "\(error)")
        }
        XCTAssertThrowsError(try encoder(Variable(Tensor.zeros([1, 5, 18, 16])))) { error in
            XCTAssertTrue("\(error)".contains("multiples of the downsampling factor 4"), "\(error)")
        }
    }
}
