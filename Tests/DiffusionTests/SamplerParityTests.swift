import TestSupport
import XCTest
@testable import Diffusion
@testable import Engine

/// DDPM and DDIM steps and whole loops agree with diffusers' DDPMScheduler and DDIMScheduler fed
/// the same inputs and noise (Fixtures/make_scheduler_fixtures.py).
final class SamplerParityTests: XCTestCase {
    /// The largest |a - b| over the values that are at most 1 in magnitude, and the largest
    /// |a - b| / |b| over the others.
    private func gap(_ actual: Tensor, _ reference: FixtureTensor) -> (absolute: Double, relative: Double) {
        var gap = (absolute: 0.0, relative: 0.0)
        for (a, b) in zip(actual.scalars, reference.values) {
            let difference = abs(Double(a) - b)
            if abs(b) <= 1 { gap.absolute = max(gap.absolute, difference) } else { gap.relative = max(gap.relative, difference / abs(b)) }
        }
        return gap
    }

    private func widest(_ gaps: [(absolute: Double, relative: Double)]) -> String {
        "absolute \(gaps.map(\.absolute).max() ?? 0) (|b| <= 1), relative \(gaps.map(\.relative).max() ?? 0) (|b| > 1)"
    }

    func testSingleStepsMatchDiffusers() throws {
        let fixtures = try SchedulerFixtures.load()
        XCTAssertEqual(fixtures.steps.count, 81)
        var gaps: [(absolute: Double, relative: Double)] = []
        for reference in fixtures.steps {
            let sampler = try reference.makeSampler()
            let noise = sampler.needsNoise(at: reference.timestep) ? reference.noise.tensor : nil
            let step = try sampler.step(modelOutput: reference.modelOutput.tensor, timestep: reference.timestep,
                                        sample: reference.sample.tensor, noise: noise)
            let what = "\(reference.label) t=\(reference.timestep)"
            // Values reach ~150 (x_0 from epsilon at t = 900): 1e-5 absolute, 1e-6 relative.
            assertMatchesFixture(step.previousSample, reference.previousSample, absolute: 1e-5, relative: 1e-6, what + " prev")
            assertMatchesFixture(step.predictedOriginalSample, reference.predictedOriginalSample,
                                 absolute: 1e-5, relative: 1e-6, what + " x0")
            gaps += [gap(step.previousSample, reference.previousSample),
                     gap(step.predictedOriginalSample, reference.predictedOriginalSample)]
        }
        print("SamplerParityTests: steps within \(widest(gaps))")
    }

    func testWholeLoopsWithAFixedModelMatchDiffusers() throws {
        let fixtures = try SchedulerFixtures.load()
        XCTAssertEqual(fixtures.loops.count, 5)
        var gaps: [(absolute: Double, relative: Double)] = []
        for reference in fixtures.loops {
            let sampler = try reference.makeSampler()
            XCTAssertEqual(sampler.timesteps, reference.timesteps)
            let trainingSteps = Float(sampler.schedule.trainingSteps)
            let result = try sampler.sample(
                from: reference.initialNoise.tensor,
                denoiser: { x, timesteps in x * 0.1 + 0.05 * Float(timesteps[0]) / trainingSteps },
                stepNoise: { index, _ in reference.stepNoises[index].tensor },
                keepingSteps: Set(0..<reference.inferenceSteps))
            let what = reference.label
            assertMatchesFixture(result.sample, reference.final, absolute: 1e-5, relative: 1e-6, what + " final")
            XCTAssertEqual(result.trajectory.map(\.timestep), reference.timesteps.map(Double.init))
            for (frame, preview) in zip(result.trajectory, reference.predictedOriginalSamples) {
                assertMatchesFixture(frame.predictedOriginalSample, preview, absolute: 1e-5, relative: 1e-6,
                                     what + " x0 at step \(frame.stepIndex)")
                gaps.append(gap(frame.predictedOriginalSample, preview))
            }
            gaps.append(gap(result.sample, reference.final))
        }
        print("SamplerParityTests: loops within \(widest(gaps))")
    }
}
