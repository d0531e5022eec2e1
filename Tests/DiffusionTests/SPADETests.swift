import XCTest
@testable import Diffusion
@testable import Engine
import Formats
import Imaging

/// SPADE (Park et al. 2019): the normalisation, the generator's shapes and its use of the
/// condition, the multi-scale discriminator, the hinge and feature-matching losses by hand,
/// gradients against finite differences, checkpoints, and a short adversarial run.
final class SPADETests: XCTestCase {
    func testWithoutModulationSPADEIsInstanceNormalisation() throws {
        var random = RandomStream(seed: 1)
        let norm = try SPADENorm(channels: 3, conditionChannels: 2, hidden: 4, random: &random)
        for conv in [norm.mlp_gamma, norm.mlp_beta] {
            conv.weight.value = try Tensor.zeros(conv.weight.shape)
            conv.bias!.value = try Tensor.zeros(conv.bias!.shape)
        }
        let x = try Tensor.randn([2, 3, 4, 4], seed: 2) * 3 + 1
        let y = try norm(Variable(x), condition: Variable(try Tensor.randn([2, 2, 4, 4], seed: 3))).value
        // Each plane of the output has mean 0 and variance 1 (up to the epsilon).
        for plane in 0..<6 {
            let values = Array(y.scalars[plane * 16 ..< (plane + 1) * 16]).map(Double.init)
            let mean = values.reduce(0, +) / 16
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 16, 1, accuracy: 1e-3)
        }
        // With a bias of 1 on gamma's convolution, the normalised values double.
        norm.mlp_gamma.bias!.value = try Tensor.full([3], value: 1)
        let doubled = try norm(Variable(x), condition: Variable(try Tensor.randn([2, 2, 4, 4], seed: 3))).value
        for (a, b) in zip(doubled.scalars, y.scalars) { XCTAssertEqual(a, 2 * b, accuracy: 1e-5) }
    }

    func testSPADEGradientsMatchFiniteDifferences() throws {
        var random = RandomStream(seed: 4)
        let norm = try SPADENorm(channels: 2, conditionChannels: 2, hidden: 3, random: &random)
        let condition = Variable(try Tensor.randn([1, 2, 3, 3], seed: 5))
        // The input and gamma's weights vary; the rest of the layer is as it is.
        let report = try GradientCheck().check([try Tensor.randn([1, 2, 3, 3], seed: 6), norm.mlp_gamma.weight.value]) { v in
            let shared = try norm.mlp_shared(condition).clamp(min: 0)
            let gamma = try Variable.conv2d(input: shared, weight: v[1], bias: norm.mlp_gamma.bias, padding: 1)
            return try (try norm.norm(v[0]) * (gamma + 1) + (try norm.mlp_beta(shared))).sum()
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func model(_ widths: [Int] = [16, 8, 8]) throws -> SPADE {
        var random = RandomStream(seed: 7)
        let layout = try ConditionLayout([ConditionGroup(name: "mask", channels: 4, dropProbability: 0),
                                          ConditionGroup(name: "edges", channels: 1, dropProbability: 0)])
        return try SPADE(layout: layout, widths: widths, hidden: 8, random: &random)
    }

    func conditions(_ count: Int = 2) throws -> (images: Tensor, conditions: Tensor) {
        let batch = try Phantom(seed: 3, size: 32).batch(count: count)
        let masks = try oneHot(batch.labels, classes: 4)
        let edges = try canny(batch.images, thresholds: .quantiles(low: 0.8, high: 0.9))
        return (batch.images * 2 - 1, try Tensor.concat([masks, edges], axis: 1))
    }

    func testTheGeneratorFollowsItsCondition() throws {
        let spade = try model()
        let (_, c) = try conditions()
        let images = try spade.generate(conditions: c)
        XCTAssertEqual(images.shape, [2, 1, 32, 32])
        XCTAssertTrue(images.scalars.allSatisfy { $0 > -1 && $0 < 1 })
        // Another layout gives another image; the same one the same image, whatever the batch
        // (to float rounding: the convolutions' kernels depend on the batch's size).
        XCTAssertNotEqual(try images.samples(at: [0]).scalars, try images.samples(at: [1]).scalars)
        for (alone, inBatch) in zip(try spade.generate(conditions: try c.samples(at: [1])).scalars, try images.samples(at: [1]).scalars) {
            XCTAssertEqual(alone, inBatch, accuracy: 1e-5)
        }
        XCTAssertThrowsError(try spade.generate(conditions: try Tensor.zeros([1, 5, 30, 30]))) { error in
            XCTAssertTrue("\(error)".contains("multiples of 4"), "\(error)")
        }
    }

    func testTheDiscriminatorSeesTwoScales() throws {
        var random = RandomStream(seed: 8)
        let discriminator = try MultiScaleDiscriminator(inputChannels: 6, width: 4, random: &random)
        let features = try discriminator(Variable(try Tensor.randn([2, 6, 32, 32], seed: 9)))
        XCTAssertEqual(features.count, 2)
        XCTAssertEqual(features[0].map(\.shape), [[2, 4, 17, 17], [2, 8, 9, 9], [2, 16, 10, 10], [2, 1, 11, 11]])
        XCTAssertEqual(features[1].last!.shape, [2, 1, 7, 7], "the second scale sees the input at half size")
    }

    func testLossesByHand() throws {
        func constant(_ value: Float, _ shape: [Int] = [1, 1, 2, 2]) throws -> Variable { Variable(try Tensor.full(shape, value: value)) }
        // Real logits 0.5, fake -0.5: the hinge gives relu(0.5) + relu(0.5) = 1 per scale.
        let real = [[try constant(1), try constant(0.5)], [try constant(1), try constant(0.5)]]
        let fake = [[try constant(3), try constant(-0.5)], [try constant(1), try constant(-0.5)]]
        XCTAssertEqual(try SPADELoss.discriminator(real: real, fake: fake).value.item(), 2, accuracy: 1e-6)
        // Generator: -mean(fake) = 0.5 per scale, plus 10 / 2 times the features' L1: |3 - 1| on
        // the first scale, 0 on the second.
        XCTAssertEqual(try SPADELoss.generator(real: real, fake: fake).value.item(), 0.5 + 0.5 + 5 * 2, accuracy: 1e-5)
    }

    func testACheckpointRoundTripsThroughTheRegistry() throws {
        let spade = try model()
        let back = try XCTUnwrap(try ModelRegistry.model(from: try spade.checkpoint()) as? SPADE)
        XCTAssertEqual(back.checkpointConfiguration, spade.checkpointConfiguration)
        XCTAssertEqual(back.kindName, "SPADE generator on mask + edges")
        let (_, c) = try conditions()
        XCTAssertEqual(try back.generate(conditions: c), try spade.generate(conditions: c))
    }

    /// A few adversarial steps through the trainer: the discriminator learns to tell real from
    /// generated (its loss falls below the hinge's chance level of 2 per scale), and the same
    /// seed gives the same run.
    func train(steps: Int) throws -> (generator: [Float], discriminator: Float) {
        let spade = try model()
        let (images, c) = try conditions(8)
        let data = try TrainingData(data: images, conditions: [try c.slice([.all, .range(0..<4)]), try c.slice([.all, .range(4..<5)])])
        var random = RandomStream(seed: 11)
        let adversary = try XCTUnwrap(try spade.trainingAdversary(on: data, learningRate: 2e-4, random: &random))
        let objective = try spade.trainingObjective(on: data)
        let configuration = try TrainingConfiguration(steps: steps, batchSize: 4, random: RandomKey(seed: 12), schedule: ConstantLearningRate(2e-4))
        let trainer = try Trainer(model: spade.module, optimizer: try Adam(parameters: spade.module.parameters, learningRate: 2e-4),
                                  datasetCount: 8, configuration: configuration, adversary: adversary, loss: objective)
        let result = try trainer.train()
        let batch = TrainingBatch(step: steps, indices: Array(0..<8))
        var unused = RandomStream(seed: 0)
        let discriminatorLoss = try GradientMode.withoutGradients { try adversary.loss(batch, &unused)!.value.item() }
        return (result.history.loss, discriminatorLoss)
    }

    func testAdversarialTrainingRunsAndIsReproducible() throws {
        let run = try train(steps: 12)
        XCTAssertEqual(run.generator.count, 12)
        XCTAssertTrue(run.generator.allSatisfy(\.isFinite))
        print("SPADE, 12 steps: generator loss \(run.generator.first!) -> \(run.generator.last!), discriminator \(run.discriminator)")
        XCTAssertLessThan(run.discriminator, 4, "two scales at chance give 4")
        XCTAssertEqual(try train(steps: 12).generator, run.generator)
    }
}
