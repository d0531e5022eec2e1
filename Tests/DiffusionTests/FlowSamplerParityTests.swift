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
    static func model(_ x: Tensor, _ time: Double) throws -> Tensor { try x * 0.1 - 0.3 + Float(0.05 * time / 1000) }

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
            from: start, denoiser: { x, t in seen.append(t[0]); return try Self.model(x, t[0]) },
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

    /// z_σ = (1 - σ) x_0 + σ ε, as diffusers' scale_noise.
    func testTheForwardProcessMatchesDiffusers() throws {
        let fixtures = try loadFixture("flow_fixtures.json", as: Fixtures.self)
        for reference in fixtures.forward.cases {
            let noisy = try FlowMatchEulerSampler.noised(fixtures.forward.original.tensor, noise: fixtures.forward.noise.tensor,
                                                         sigma: reference.sigma)
            assertMatchesFixture(noisy, reference.noisy, absolute: 1e-6, relative: 1e-6, "sigma \(reference.sigma)")
        }
    }

    func testBadSettingsAreRefused() {
        XCTAssertThrowsError(try FlowMatchEulerSampler(inferenceSteps: 0))
        XCTAssertThrowsError(try FlowMatchEulerSampler(inferenceSteps: 5, shift: 0))
        XCTAssertThrowsError(try FlowMatchEulerSampler(inferenceSteps: 5, shift: .nan))
    }
}
