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

    func testTheMaskAndEdgeModelReadsConditionsAtFourTimesTheLatentSize() throws {
        var random = RandomStream(seed: 7)
        let layout = try ConditionLayout([ConditionGroup(name: "mask", channels: 4), ConditionGroup(name: "edges", channels: 1)])
        let encoder = try ConditionEncoder(inputChannels: 5, outputChannels: 5, random: &random)
        let model = try ConditionalUNet(layout: layout, encoder: encoder, unet: UNet(random: &random))
        XCTAssertEqual(model.latentChannels, 4)
        // The benchmark UNet and the encoder: 5*32*9+32 + 2*(32*32*9+32) + 32*5*9+5.
        XCTAssertEqual(model.parameterCount, 1_404_804 + 1472 + 18_496 + 1445)
        XCTAssertTrue(model.namedParameters().contains { $0.path == "unet.down.0.1.conv1.weight" })
        let condition = try layout.condition(["mask": Tensor.rand([2, 4, 64, 64], seed: 8), "edges": Tensor.rand([2, 1, 64, 64], seed: 9)])
        model.setTraining(false)
        let y = try model(latent: Variable(Tensor.randn([2, 4, 16, 16], seed: 10)), condition: condition, timesteps: [0, 999])
        XCTAssertEqual(y.shape, [2, 4, 16, 16])
        XCTAssertThrowsError(try ConditionalUNet(layout: layout, encoder: ConditionEncoder(inputChannels: 4, outputChannels: 5, random: &random),
                                                 unet: UNet(.init(widths: [8], groups: 4), random: &random)))
    }
}
