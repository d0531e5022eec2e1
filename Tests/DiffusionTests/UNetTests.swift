import XCTest
@testable import Diffusion
@testable import Engine

final class UNetTests: XCTestCase {
    func testTheBenchmarkConfigurationHasThePyTorchParameterCount() throws {
        var random = RandomStream(seed: 1)
        let unet = try UNet(random: &random)
        // benchmarks/torch_models.py: sum(p.numel() for p in UNet().parameters()).
        XCTAssertEqual(unet.parameterCount, 1_404_804)
        XCTAssertEqual(unet.namedParameters().count, 136)
    }

    func testParameterPathsFollowTheStructure() throws {
        var random = RandomStream(seed: 1)
        let unet = try UNet(random: &random)
        let shapes = Dictionary(uniqueKeysWithValues: unet.namedParameters().map { ($0.path, $0.variable.shape) })
        XCTAssertEqual(shapes["timeEmbedding.linear1.weight"], [128, 128])
        XCTAssertEqual(shapes["inputConv.weight"], [32, 9, 3, 3])
        XCTAssertEqual(shapes["down.0.1.conv1.weight"], [32, 32, 3, 3])
        XCTAssertEqual(shapes["down.1.0.skip.weight"], [64, 32, 1, 1])
        XCTAssertNil(shapes["down.1.1.skip.weight"], "a block that keeps its width has no skip convolution")
        XCTAssertEqual(shapes["down.2.0.timeProjection.weight"], [128, 128])
        XCTAssertEqual(shapes["downsample.1.weight"], [64, 64, 3, 3])
        XCTAssertNil(shapes["downsample.2.weight"], "the last level is not downsampled")
        XCTAssertEqual(shapes["attention.selfAttention.query.weight"], [128, 128])
        XCTAssertEqual(shapes["upsample.0.weight"], [128, 128, 3, 3])
        XCTAssertEqual(shapes["up.0.0.conv1.weight"], [64, 192, 3, 3], "128 upsampled + 64 skip channels")
        XCTAssertEqual(shapes["up.1.0.skip.weight"], [32, 96, 1, 1])
        XCTAssertEqual(shapes["outputConv.weight"], [4, 32, 3, 3])
    }

    func testOutputsHaveTheInputsSizeForSeveralConfigurations() throws {
        let cases: [(UNet.Configuration, [Int])] = [
            (.init(inputChannels: 3, outputChannels: 2, widths: [8], blocksPerLevel: 1, attentionHeads: 2, groups: 4, timeEmbeddingWidth: 8), [2, 3, 5, 7]),
            (.init(inputChannels: 5, outputChannels: 3, widths: [8, 16], blocksPerLevel: 1, attentionHeads: 4, groups: 4, timeEmbeddingWidth: 16), [1, 5, 6, 10]),
            (.init(inputChannels: 1, outputChannels: 1, widths: [8, 8, 16, 16], blocksPerLevel: 2, attentionHeads: 1, groups: 2, timeEmbeddingWidth: 4), [3, 1, 8, 16]),
        ]
        for (configuration, shape) in cases {
            var random = RandomStream(seed: 2)
            let unet = try UNet(configuration, random: &random)
            let x = try Tensor.randn(shape, seed: 3)
            let y = try unet(Variable(x), timesteps: Array(repeating: 10, count: shape[0]))
            XCTAssertEqual(y.shape, [shape[0], configuration.outputChannels, shape[2], shape[3]], "\(configuration)")
        }
    }

    func testTheTimestepChangesThePrediction() throws {
        var random = RandomStream(seed: 4)
        let unet = try UNet(.init(inputChannels: 2, outputChannels: 2, widths: [8, 16], groups: 4, timeEmbeddingWidth: 16), random: &random)
        let x = try Tensor.randn([1, 2, 4, 4], seed: 5)
        let early = try unet(Variable(x), timesteps: [1]).value, late = try unet(Variable(x), timesteps: [900]).value
        let difference = zip(early.scalars, late.scalars).map { Swift.abs($0 - $1) }.max()!
        XCTAssertGreaterThan(difference, 1e-3)
    }

    func testWrongInputsAreRefusedWithAReason() throws {
        var random = RandomStream(seed: 6)
        let unet = try UNet(.init(inputChannels: 3, outputChannels: 1, widths: [8, 8, 8], groups: 4, timeEmbeddingWidth: 8), random: &random)
        func message(_ shape: [Int], _ timesteps: [Int]) -> String {
            do {
                _ = try unet(Variable(Tensor.zeros(shape)), timesteps: timesteps)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(message([1, 3, 6, 8], [0]).contains("multiples of 4"), message([1, 3, 6, 8], [0]))
        XCTAssertTrue(message([1, 2, 8, 8], [0]).contains("[N, 3, H, W]"), message([1, 2, 8, 8], [0]))
        XCTAssertTrue(message([2, 3, 8, 8], [0]).contains("one timestep per sample, 2"), message([2, 3, 8, 8], [0]))
        XCTAssertThrowsError(try UNet(.init(widths: [32, 60]), random: &random), "60 is not a multiple of 8 groups")
        XCTAssertThrowsError(try UNet(.init(widths: [32, 64], attentionHeads: 5), random: &random))
    }

    func testDropoutInTrainingNeedsAStreamAndIsReproducible() throws {
        var random = RandomStream(seed: 7)
        let unet = try UNet(.init(inputChannels: 2, outputChannels: 2, widths: [8, 16], groups: 4, timeEmbeddingWidth: 8, dropout: 0.5), random: &random)
        let x = Variable(try Tensor.randn([2, 2, 4, 4], seed: 8))
        XCTAssertThrowsError(try unet(x, timesteps: [1, 2]))
        var first = RandomStream(seed: 9), second = RandomStream(seed: 9), other = RandomStream(seed: 10)
        let a = try unet(x, timesteps: [1, 2], random: &first).value
        XCTAssertEqual(a, try unet(x, timesteps: [1, 2], random: &second).value)
        XCTAssertNotEqual(a, try unet(x, timesteps: [1, 2], random: &other).value)
        unet.setTraining(false)
        let evaluation = try unet(x, timesteps: [1, 2]).value
        XCTAssertEqual(evaluation, try unet(x, timesteps: [1, 2]).value)
        XCTAssertNotEqual(evaluation, a)
    }
}
