import XCTest
@testable import Diffusion
@testable import Engine

/// Condition dropout in training and classifier-free guidance at sampling.
final class GuidanceTests: XCTestCase {
    /// A tiny model: latent 2 channels at 4x4, a condition "mask" (2 channels) and "edges" (1)
    /// at 8x8. The encoder's zero convolution is given random weights, so that the condition
    /// changes the prediction.
    private func makeModel(seed: UInt64 = 1) throws -> ConditionalUNet {
        var random = RandomStream(seed: seed)
        let layout = try ConditionLayout([ConditionGroup(name: "mask", channels: 2, dropProbability: 0.1),
                                          ConditionGroup(name: "edges", channels: 1, dropProbability: 0.3)])
        let encoder = try ConditionEncoder(inputChannels: 3, outputChannels: 2, downsamplingFactor: 2, width: 4, random: &random)
        encoder.outputConv.weight.value = try Tensor.randn(encoder.outputConv.weight.shape, std: 0.3, using: &random)
        encoder.outputConv.bias!.value = try Tensor.randn([2], std: 0.3, using: &random)
        let unet = try UNet(.init(inputChannels: 4, outputChannels: 2, widths: [4, 8], blocksPerLevel: 1,
                                  attentionHeads: 2, groups: 2, timeEmbeddingWidth: 8), random: &random)
        return try ConditionalUNet(layout: layout, encoder: encoder, unet: unet)
    }

    private func maximumDeviation(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max()!
    }

    func testEachGroupIsDroppedWithItsOwnProbabilityIndependently() throws {
        let layout = try makeModel().layout
        var random = RandomStream(seed: 11)
        let samples = 20_000
        let drops = try layout.drawDrops(samples: samples, random: &random)
        let mask = Double(drops.filter { $0[0] }.count) / Double(samples)
        let edges = Double(drops.filter { $0[1] }.count) / Double(samples)
        let both = Double(drops.filter { $0[0] && $0[1] }.count) / Double(samples)
        // Standard errors: 0.0021, 0.0032 and 0.0012; the bounds are about 5 of them.
        XCTAssertEqual(mask, 0.1, accuracy: 0.01)
        XCTAssertEqual(edges, 0.3, accuracy: 0.015)
        XCTAssertEqual(both, 0.03, accuracy: 0.006, "independent groups drop together with probability 0.1 * 0.3")

        var same = RandomStream(seed: 11), other = RandomStream(seed: 12)
        XCTAssertEqual(try layout.drawDrops(samples: samples, random: &same), drops)
        XCTAssertNotEqual(try layout.drawDrops(samples: samples, random: &other), drops)
    }

    func testDroppingZeroesExactlyTheChosenGroupsChannels() throws {
        let layout = try makeModel().layout
        let condition = try Tensor.rand([2, 3, 2, 2], low: 1, high: 2, seed: 13)
        let zeroed = try layout.zeroing(condition, drops: [[true, false], [false, true]])
        for n in 0..<2 {
            for c in 0..<3 {
                let plane = try zeroed[.at(n), .at(c)].scalars, original = try condition[.at(n), .at(c)].scalars
                let dropped = (n == 0 && c < 2) || (n == 1 && c == 2)
                XCTAssertEqual(plane, dropped ? [0, 0, 0, 0] : original, "sample \(n), channel \(c)")
            }
        }
        XCTAssertEqual(try layout.dropping(["edges"], from: condition), try layout.zeroing(condition, drops: [[false, true], [false, true]]))
        XCTAssertThrowsError(try layout.dropping(["edge"], from: condition))
        XCTAssertEqual(try layout.condition(["edges": condition[.all, .range(2..<3)], "mask": condition[.all, .range(0..<2)]]), condition)
        XCTAssertThrowsError(try ConditionLayout([ConditionGroup(name: "a", channels: 1), ConditionGroup(name: "a", channels: 2)]))
    }

    /// Conditions given in the groups' order are joined on the channel axis; one tensor of all
    /// channels passes as it is; a wrong count or shape names the group and the argument.
    func testConditionsInTheGroupsOrder() throws {
        let layout = try makeModel().layout
        let condition = try Tensor.rand([2, 3, 8, 8], low: 0, high: 1, seed: 14)
        let mask = try condition[.all, .range(0..<2)], edges = try condition[.all, .range(2..<3)]
        XCTAssertEqual(try layout.condition(ordered: [mask, edges], count: 2), condition)
        XCTAssertEqual(try layout.condition(ordered: [condition], count: nil), condition)
        XCTAssertEqual(layout.groupList, "mask (2 channels), edges (1 channel)")
        func refusal(_ parts: [Tensor], count: Int?) -> ModelInputError? {
            do { _ = try layout.condition(ordered: parts, count: count); return nil } catch { return error }
        }
        XCTAssertEqual(refusal([mask], count: 2)?.message, "the model has 2 condition groups, given 1")
        XCTAssertEqual(refusal([edges, mask], count: 2)?.message, "the condition 'mask' does not fit")
        XCTAssertEqual(refusal([mask, edges], count: 3)?.found, "a tensor of shape [2, 2, 8, 8]")
        XCTAssertEqual(refusal([mask, try Tensor.zeros([2, 1, 4, 4])], count: nil)?.message, "the conditions differ in batch or size")
        XCTAssertEqual(refusal([mask], count: 2)?.argument, .conditions)
    }

    func testTrainingForwardDropsConditionsFromTheStream() throws {
        let model = try makeModel()
        let latent = Variable(try Tensor.randn([8, 2, 4, 4], seed: 14))
        let condition = try Tensor.randn([8, 3, 8, 8], seed: 15)
        let timesteps = Array(0..<8).map { $0 * 100 }
        var random = RandomStream(seed: 16), replay = RandomStream(seed: 16)
        let trained = try model(latent: latent, condition: condition, timesteps: timesteps, random: &random).value
        let drops = try model.layout.drawDrops(samples: 8, random: &replay)
        XCTAssertTrue(drops.joined().contains(true), "the seed should drop something in 16 draws")
        XCTAssertThrowsError(try model(latent: latent, condition: condition, timesteps: timesteps),
                             "training mode with drop probabilities needs a stream")
        model.setTraining(false)
        let expected = try model(latent: latent, condition: model.layout.zeroing(condition, drops: drops), timesteps: timesteps).value
        XCTAssertEqual(trained, expected)
    }

    func testGuidanceScalesGiveConditionalUnconditionalAndTheirCombination() throws {
        let model = try makeModel()
        model.setTraining(false)
        let latent = try Tensor.randn([3, 2, 4, 4], seed: 17)
        let condition = try Tensor.randn([3, 3, 8, 8], seed: 18)
        let timesteps = [5, 500, 999]
        let conditional = try model(latent: Variable(latent), condition: condition, timesteps: timesteps).value
        let unconditional = try model(latent: Variable(latent), condition: Tensor.zeros(condition.shape), timesteps: timesteps).value
        XCTAssertGreaterThan(maximumDeviation(conditional, unconditional), 1e-2, "the condition must matter for this test")

        XCTAssertEqual(try model.guidedPrediction(latent: latent, condition: condition, timesteps: timesteps.map(Double.init), scale: 1), conditional)
        XCTAssertEqual(try model.guidedPrediction(latent: latent, condition: condition, timesteps: timesteps.map(Double.init), scale: 0), unconditional)
        for scale: Float in [3, -0.5, 7.5] {
            let guided = try model.guidedPrediction(latent: latent, condition: condition, timesteps: timesteps.map(Double.init), scale: scale)
            let expected = try unconditional + scale * (conditional - unconditional)
            XCTAssertLessThan(maximumDeviation(guided, expected), 1e-5 * max(1, scale), "scale \(scale)")
        }

        // Guiding on the edges alone: the unconditional pass keeps the mask.
        let withoutEdges = try model(latent: Variable(latent), condition: model.layout.dropping(["edges"], from: condition), timesteps: timesteps).value
        XCTAssertGreaterThan(maximumDeviation(withoutEdges, unconditional), 1e-3)
        let onEdges = try model.denoiser(condition: condition, guidanceScale: 2, unconditional: ["edges"])
        let guided = try onEdges(latent, timesteps.map(Double.init))
        let expected = try withoutEdges + 2 * (conditional - withoutEdges)
        XCTAssertLessThan(maximumDeviation(guided, expected), 2e-5)
    }

    func testTheDenoiserRecordsNoGradientAndChecksItsCondition() throws {
        let model = try makeModel()
        model.setTraining(false)
        let condition = try Tensor.randn([2, 3, 8, 8], seed: 19)
        let denoise = try model.denoiser(condition: condition, guidanceScale: 4)
        let prediction = try denoise(Tensor.randn([2, 2, 4, 4], seed: 20), [10, 20])
        XCTAssertEqual(prediction.shape, [2, 2, 4, 4])
        XCTAssertTrue(model.unet.parameters.allSatisfy { $0.grad == nil })
        XCTAssertThrowsError(try denoise(Tensor.randn([3, 2, 4, 4], seed: 21), [1, 2, 3])) { error in
            XCTAssertTrue("\(error)".contains("needs a condition [3, 3, 8, 8]"), "\(error)")
        }
        XCTAssertThrowsError(try model.denoiser(condition: condition, guidanceScale: 4, unconditional: ["mask", "labels"]))
    }

    func testGradientsOfTheLatentAndOfParametersAgreeWithFiniteDifferences() throws {
        let model = try makeModel(seed: 22)
        model.setTraining(false)
        let condition = try Tensor.randn([2, 3, 8, 8], seed: 23)
        let timesteps = [7, 300]
        let latent = try Tensor.randn([2, 2, 4, 4], seed: 24)
        let report = try GradientCheck().check([latent]) { inputs in
            try model(latent: inputs[0], condition: condition, timesteps: timesteps)
        }
        XCTAssertTrue(report.passed, "latent: \(report)")

        // Parameters: central differences of L = sum(w * output) for a few values of each.
        let weighting = try Tensor.randn([2, 2, 4, 4], seed: 25)
        func loss() throws -> Double {
            let y = try GradientMode.withoutGradients { try model(latent: Variable(latent), condition: condition, timesteps: timesteps).value }
            return zip(y.scalars, weighting.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        model.zeroGradients()
        try model(latent: Variable(latent), condition: condition, timesteps: timesteps).backward(gradient: weighting)
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.path, $0.variable) })
        let checked = ["encoder.inputConv.weight", "encoder.outputConv.bias", "unet.timeEmbedding.linear1.weight",
                       "unet.down.0.0.norm1.weight", "unet.attention.selfAttention.key.weight", "unet.up.0.0.skip.weight",
                       "unet.outputConv.weight"]
        let step: Float = 1e-2
        for path in checked {
            let parameter = try XCTUnwrap(parameters[path], path)
            let gradient = try XCTUnwrap(parameter.grad, path)
            for j in stride(from: 0, to: parameter.value.count, by: max(1, parameter.value.count / 4)) {
                let original = parameter.value.scalars
                var values = original
                values[j] = original[j] + step
                parameter.value = try Tensor(shape: parameter.shape, scalars: values)
                let up = try loss()
                values[j] = original[j] - step
                parameter.value = try Tensor(shape: parameter.shape, scalars: values)
                let down = try loss()
                parameter.value = try Tensor(shape: parameter.shape, scalars: original)
                let numeric = (up - down) / (2 * Double(step))
                XCTAssertEqual(Double(gradient.scalars[j]), numeric, accuracy: 2e-3 + 1e-2 * Swift.abs(numeric), "\(path)[\(j)]")
            }
        }
    }
}
