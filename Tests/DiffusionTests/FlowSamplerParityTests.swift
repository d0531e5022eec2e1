import Foundation
import TestSupport
import XCTest
@testable import Diffusion
@testable import Engine

/// The flow-matching Euler sampler agrees with diffusers' FlowMatchEulerDiscreteScheduler
/// (Fixtures/make_flow_fixtures.py): its σ grid and model times for shift 1 and 3 and 1 to 50
/// steps, every step of whole loops with a fixed velocity model, and the forward process.
final class FlowSamplerParityTests: XCTestCase {
    struct Fixtures: Decodable {
        let trainingSteps: Int
        let loops: [Loop]
        let forward: Forward
    }

    struct Loop: Decodable {
        let label: String
        let shift: Double
        let inferenceSteps: Int
        let modelTimes, sigmas: [Double]
        let initialNoise: FixtureTensor
        let steps, predictedOriginalSamples: [FixtureTensor]
    }

    struct Forward: Decodable {
        struct Case: Decodable { let sigma: Double; let noisy: FixtureTensor }
        let original, noise: FixtureTensor
        let cases: [Case]
    }

    /// The fixed velocity "model" of the references: 0.1 x - 0.3 + 0.05 t / T.
    static func model(_ x: Tensor, _ time: Double) -> Tensor { x * 0.1 - 0.3 + Float(0.05 * time / 1000) }

    func testGridAndWholeLoopsMatchDiffusers() throws {
        let fixtures = try loadFixture("flow_fixtures.json", as: Fixtures.self)
        XCTAssertEqual(fixtures.loops.count, 10)
        for reference in fixtures.loops {
            var sampler = try FlowMatchEulerSampler(inferenceSteps: reference.inferenceSteps, shift: reference.shift,
                                                    trainingSteps: fixtures.trainingSteps)
            // diffusers keeps σ in float32: agreement to float32's precision.
            XCTAssertEqual(sampler.sigmas.count, reference.sigmas.count, reference.label)
            for (mine, theirs) in zip(sampler.sigmas, reference.sigmas) { XCTAssertEqual(mine, theirs, accuracy: 2e-7, reference.label) }
            for (mine, theirs) in zip(sampler.modelTimes, reference.modelTimes) { XCTAssertEqual(mine, theirs, accuracy: 2e-4, reference.label) }
            var x = reference.initialNoise.tensor
            for index in 0..<reference.inferenceSteps {
                XCTAssertFalse(sampler.needsNoise(atStep: index))
                let step = try sampler.step(modelOutput: Self.model(x, reference.modelTimes[index]), sample: x, noise: nil)
                assertMatchesFixture(step.predictedOriginalSample, reference.predictedOriginalSamples[index], absolute: 2e-6, relative: 1e-6,
                                     "\(reference.label) x0 at step \(index)")
                assertMatchesFixture(step.previousSample, reference.steps[index], absolute: 2e-6, relative: 1e-6,
                                     "\(reference.label) step \(index)")
                x = step.previousSample
            }
            XCTAssertThrowsError(try sampler.step(modelOutput: x, sample: x, noise: nil), "a finished run takes no more steps")
        }
    }

    /// The loop `sample` runs is the steps above, shows the model T σ (not a whole number), and
    /// leaves the sampler it was called on untouched.
    func testTheSamplingLoopShowsTheModelRealTimes() throws {
        let sampler = try FlowMatchEulerSampler(inferenceSteps: 4, shift: 3)
        var seen: [Double] = []
        let start = try Tensor.randn([1, 1, 2, 2], seed: 3)
        let result = try sampler.sample(
            from: start, denoiser: { x, t in seen.append(t[0]); return Self.model(x, t[0]) },
            stepNoise: { _, _ in XCTFail("flow matching adds no noise"); return start }, keepingSteps: [0, 3])
        XCTAssertEqual(seen, sampler.modelTimes)
        XCTAssertEqual(seen[0], 1000)
        XCTAssertNotEqual(seen[1], seen[1].rounded(), "a real time, not rounded to the grid")
        XCTAssertEqual(result.trajectory.map(\.timestep), [sampler.modelTimes[0], sampler.modelTimes[3]])
        XCTAssertEqual(sampler.stepIndex, 0)
        var manual = sampler, x = start
        for index in 0..<4 { x = try manual.step(modelOutput: Self.model(x, sampler.modelTimes[index]), sample: x, noise: nil).previousSample }
        XCTAssertEqual(result.sample, x)
    }

    /// The sampler and the training target agree on the convention: for one data point x_0 the
    /// exact velocity at z is (z - x_0) / σ (= ε - x_0 on the path), and Euler steps along it
    /// from pure noise land on x_0 for any step count and shift, since the path is straight.
    func testExactVelocityLandsOnTheDataPoint() throws {
        let original = try Tensor.randn([1, 1, 3, 3], seed: 5), noise = try Tensor.randn([1, 1, 3, 3], seed: 6)
        for (steps, shift) in [(1, 1.0), (3, 1.0), (7, 3.0)] {
            var sampler = try FlowMatchEulerSampler(inferenceSteps: steps, shift: shift)
            var z = noise
            for index in 0..<steps {
                let sigma = sampler.sigmas[index]
                let onPath = try FlowMatching.noised(original, noise: noise, times: [sigma])
                for (a, b) in zip(z.scalars, onPath.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
                z = try sampler.step(modelOutput: (z - original) / Float(sigma), sample: z, noise: nil).previousSample
            }
            for (a, b) in zip(z.scalars, original.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(steps) steps, shift \(shift)") }
        }
    }

    /// The training loss is the mean squared error between the network's output at
    /// (z_t, 1000 t) and ε - x_0, with t = sigmoid(u), u ~ N(0, 1), then ε, drawn in that order.
    func testTheLossIsTheVelocityErrorAtLogitNormalTimes() throws {
        var random = RandomStream(seed: 3)
        let layout = try ConditionLayout([ConditionGroup(name: "mask", channels: 2, dropProbability: 0)])
        let encoder = try ConditionEncoder(inputChannels: 2, outputChannels: 2, downsamplingFactor: 2, width: 4, random: &random)
        let unet = try UNet(.init(inputChannels: 4, outputChannels: 2, widths: [4, 8], blocksPerLevel: 1,
                                  attentionHeads: 2, groups: 2, timeEmbeddingWidth: 8), random: &random)
        let model = try ConditionalUNet(layout: layout, encoder: encoder, unet: unet)
        let latents = try Tensor.randn([3, 2, 4, 4], seed: 8), conditions = try Tensor.randn([3, 2, 8, 8], seed: 9)
        var stream = RandomStream(seed: 11)
        let loss = try FlowMatching.loss(model: model, latents: latents, conditions: conditions, random: &stream)

        var replay = RandomStream(seed: 11)
        let u = try Tensor.randn([3], using: &replay).scalars
        let noise = try Tensor.randn([3, 2, 4, 4], using: &replay)
        let per = 32
        var noisy = [Float](repeating: 0, count: 96), target = [Float](repeating: 0, count: 96)
        var times: [Float] = []
        for item in 0..<3 {
            let t = 1 / (1 + exp(-Double(u[item])))
            times.append(Float(t * 1000))
            for j in 0..<per {
                let (x, e) = (Double(latents.scalars[item * per + j]), Double(noise.scalars[item * per + j]))
                noisy[item * per + j] = Float((1 - t) * x + t * e)
                target[item * per + j] = Float(e - x)
            }
        }
        let input = Variable(try Tensor(shape: [3, 2, 4, 4], scalars: noisy))
        let output = try model(latent: input, condition: conditions, timesteps: Tensor(times), random: &replay).value
        var expected = 0.0
        for (a, b) in zip(output.scalars, target) { expected += Double(a - b) * Double(a - b) / 96 }
        XCTAssertEqual(Double(loss.value.scalars[0]), expected, accuracy: 1e-5 * expected)
        try loss.backward()
        XCTAssertTrue(model.parameters.contains { $0.grad?.scalars.contains { $0 != 0 } ?? false })
    }

    /// z_σ = (1 - σ) x_0 + σ ε, as diffusers' scale_noise.
    func testTheForwardProcessMatchesDiffusers() throws {
        let fixtures = try loadFixture("flow_fixtures.json", as: Fixtures.self)
        for reference in fixtures.forward.cases {
            let original = fixtures.forward.original.tensor
            let noisy = try FlowMatching.noised(original, noise: fixtures.forward.noise.tensor,
                                                times: Array(repeating: reference.sigma, count: original.shape[0]))
            assertMatchesFixture(noisy, reference.noisy, absolute: 1e-6, relative: 1e-6, "sigma \(reference.sigma)")
        }
    }

    func testBadSettingsAreRefused() {
        XCTAssertThrowsError(try FlowMatchEulerSampler(inferenceSteps: 0))
        XCTAssertThrowsError(try FlowMatchEulerSampler(inferenceSteps: 5, shift: 0))
        XCTAssertThrowsError(try FlowMatchEulerSampler(inferenceSteps: 5, shift: .nan))
    }
}
