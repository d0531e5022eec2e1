import XCTest
@testable import Diffusion
@testable import Engine

/// DDPM and DDIM from their equations, and the sampling loop's contract: determinism, the
/// oracle inversion, noise, trajectory, progress, cancellation and errors.
final class SamplerTests: XCTestCase {
    private let schedule = try! NoiseSchedule(.linear(betaStart: 1e-4, betaEnd: 0.02), trainingSteps: 1000)

    /// A model that knows x_0: from x_t it returns the exact epsilon, x_0 or v of `prediction`.
    private func oracle(for original: Tensor, prediction: Prediction, schedule: NoiseSchedule)
        -> (Tensor, [Double]) throws -> Tensor
    {
        { sample, times in
            let timesteps = times.map { Int($0) }
            let alphaBars = try schedule.alphaBars(at: timesteps)
            let noise = try combinePerItem("oracle", [
                WeightedTerm(sample, alphaBars.map { 1 / (1 - $0).squareRoot() }),
                WeightedTerm(original, alphaBars.map { -($0 / (1 - $0)).squareRoot() }),
            ])
            return try prediction.target(original: original, noise: noise, timesteps: timesteps, schedule: schedule)
        }
    }

    func testDeterministicDDIMRecoversX0FromAnOracleForEveryPrediction() throws {
        // With the exact model every step keeps x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) epsilon with the
        // epsilon of x_T (Song et al. eq. 12 with sigma = 0), so the run ends on x_0 noised to the
        // last step's previous timestep, t - floor(T / n) as in diffusers: x_0 itself when that is
        // below 0; timestep 0 for trailing with 7 steps (142 - 142), where also each step lands one
        // timestep off the next (999 - 142 = 857, then 856), so that run only comes within 1e-3.
        let original = try Tensor.rand([2, 1, 4, 4], low: -1, high: 1, seed: 3)
        let start = try Tensor.randn([2, 1, 4, 4], seed: 4)
        for prediction in Prediction.allCases {
            for (spacing, steps, tolerance) in [
                (TimestepSpacing.leading(), 10, Float(2e-5)), (.trailing, 8, 2e-5), (.linspace, 25, 2e-5), (.trailing, 7, 1e-3),
            ] {
                let ddim = try DDIMSampler(schedule: schedule, inferenceSteps: steps, spacing: spacing, prediction: prediction)
                let result = try ddim.sample(
                    from: start, denoiser: oracle(for: original, prediction: prediction, schedule: schedule),
                    stepNoise: { _, _ in XCTFail("eta = 0 draws no noise"); return start },
                    keepingSteps: Set(0..<steps))
                let what = "\(prediction) \(spacing) \(steps)"
                let epsilon = try oracle(for: original, prediction: .epsilon, schedule: schedule)(start, [Double(ddim.timesteps[0])])
                let last = ddim.timesteps.last! - ddim.stepRatio
                let expected = last < 0 ? original : try schedule.addNoise(to: original, noise: epsilon, timesteps: [last])
                XCTAssertEqual(last < 0, steps != 7, what)
                XCTAssertLessThan(maxDifference(result.sample, expected), tolerance, what)
                for frame in result.trajectory {
                    XCTAssertLessThan(maxDifference(frame.predictedOriginalSample, original), 2e-4, "\(what) step \(frame.stepIndex)")
                }
            }
        }
    }

    func testDeterministicDDIMGivesTheSameSampleTwice() throws {
        let ddim = try DDIMSampler(schedule: schedule, inferenceSteps: 20, prediction: .velocity)
        let denoiser: (Tensor, [Double]) throws -> Tensor = { x, t in x * 0.3 + Float(t[0]) / 2000 }
        let a = try ddim.sample(shape: [1, 1, 8, 8], random: RandomKey(seed: 9), denoiser: denoiser)
        let b = try ddim.sample(shape: [1, 1, 8, 8], random: RandomKey(seed: 9), denoiser: denoiser)
        XCTAssertEqual(a.sample, b.sample)
        XCTAssertNotEqual(try ddim.sample(shape: [1, 1, 8, 8], random: RandomKey(seed: 10), denoiser: denoiser).sample, a.sample)
    }

    func testDDPMStepIsThePosteriorMeanPlusSigmaTimesNoise() throws {
        let sample = try Tensor.randn([1, 1, 2, 2], seed: 5), output = try Tensor.randn([1, 1, 2, 2], seed: 6)
        let zeros = try Tensor.zeros([1, 1, 2, 2]), ones = try Tensor.ones([1, 1, 2, 2])
        for variance in [DDPMSampler.Variance.fixedSmall, .fixedLarge] {
            let ddpm = try DDPMSampler(schedule: schedule, inferenceSteps: 10, variance: variance)
            XCTAssertEqual(ddpm.timesteps, [900, 800, 700, 600, 500, 400, 300, 200, 100, 0])
            let mean = try ddpm.step(modelOutput: output, timestep: 300, sample: sample, noise: zeros)
            let shifted = try ddpm.step(modelOutput: output, timestep: 300, sample: sample, noise: ones)
            // Between t = 300 and prev = 200: beta = 1 - ab_300/ab_200, beta-tilde = beta (1 - ab_200)/(1 - ab_300).
            let beta = 1 - schedule.alphaBars[300] / schedule.alphaBars[200]
            let sigmaSquared = variance == .fixedLarge ? beta : beta * (1 - schedule.alphaBars[200]) / (1 - schedule.alphaBars[300])
            for (a, b) in zip(shifted.previousSample.scalars, mean.previousSample.scalars) {
                XCTAssertEqual(Double(a - b), sigmaSquared.squareRoot(), accuracy: 1e-6, "\(variance)")
            }
            // The mean is the posterior mean at the predicted x_0 (Ho et al. eq. 7).
            let posterior = Posterior(alphaBar: schedule.alphaBars[300], previousAlphaBar: schedule.alphaBars[200])
            let expected = try posterior.mean(original: mean.predictedOriginalSample, sample: sample)
            XCTAssertLessThan(maxDifference(mean.previousSample, expected), 1e-6)
            // The last step (t = 0) adds no noise and returns the predicted x_0 itself.
            XCTAssertFalse(ddpm.needsNoise(at: 0))
            let last = try ddpm.step(modelOutput: output, timestep: 0, sample: sample, noise: nil)
            XCTAssertLessThan(maxDifference(last.previousSample, last.predictedOriginalSample), 1e-6)
        }
    }

    func testDDIMWithEtaOneHasThePosteriorVarianceAndClipsX0() throws {
        let sample = try Tensor.randn([1, 1, 2, 2], seed: 7), output = try Tensor.randn([1, 1, 2, 2], seed: 8)
        let ddim = try DDIMSampler(schedule: schedule, inferenceSteps: 10, eta: 1, clipRange: 0.5)
        let zeros = try Tensor.zeros([1, 1, 2, 2]), ones = try Tensor.ones([1, 1, 2, 2])
        let a = try ddim.step(modelOutput: output, timestep: 500, sample: sample, noise: zeros)
        let b = try ddim.step(modelOutput: output, timestep: 500, sample: sample, noise: ones)
        let variance = Posterior(alphaBar: schedule.alphaBars[500], previousAlphaBar: schedule.alphaBars[400]).variance
        for (x, y) in zip(b.previousSample.scalars, a.previousSample.scalars) {
            XCTAssertEqual(Double(x - y), variance.squareRoot(), accuracy: 1e-6)
        }
        XCTAssertEqual(a.predictedOriginalSample.scalars.map { Swift.abs($0) }.max(), 0.5, "x_0 clipped to [-0.5, 0.5]")
    }

    func testLoopReportsProgressKeepsTheTrajectoryAndStopsWhenCancelled() throws {
        let ddpm = try DDPMSampler(schedule: schedule, inferenceSteps: 10, variance: .fixedLarge)
        let start = try Tensor.randn([2, 1, 4, 4], seed: 1)
        var stream = RandomStream(seed: 2)
        var reports: [[Int]] = [], seen: [[Double]] = []
        let result = try ddpm.sample(
            from: start, stream: &stream,
            denoiser: { x, t in seen.append(t); return x * 0.1 },
            keepingSteps: [0, 4, 9], progress: { reports.append([$0, $1]) })
        XCTAssertEqual(reports, (1...10).map { [$0, 10] })
        XCTAssertEqual(seen.first, [900, 900])
        XCTAssertEqual(seen.last, [0, 0])
        XCTAssertEqual(result.trajectory.map(\.stepIndex), [0, 4, 9])
        XCTAssertEqual(result.trajectory.map(\.timestep), [900, 500, 0])
        XCTAssertEqual(result.trajectory[0].sample, start)
        // Nine steps drew noise (t = 0 draws none): 9 * 32 values, 4 to a Philox block.
        XCTAssertEqual(stream.position, 9 * 32 / 4)

        var calls = 0
        XCTAssertThrowsError(try ddpm.sample(
            from: start, stream: &stream, denoiser: { x, _ in calls += 1; return x }, isCancelled: { calls == 3 })) {
            XCTAssertEqual($0 as? SamplingError, .cancelled(completedSteps: 3, totalSteps: 10))
            XCTAssertEqual(($0 as? SamplingError)?.description, "sampling cancelled after 3 of 10 steps")
        }
        XCTAssertEqual(calls, 3)
    }

    func testLoopTransformsTheDenoisersKernelsOnce() throws {
        // A denoiser with one 3x3 convolution of 16 channels (Winograd's path): over ten steps
        // its kernels are transformed once, and the run gives the bits of one without the cache.
        var random = RandomStream(seed: 3)
        let conv = try Conv2d(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: 1, random: &random)
        let ddim = try DDIMSampler(schedule: schedule, inferenceSteps: 10)
        let start = try Tensor.randn([2, 16, 4, 4], seed: 4)
        var counts: [Int] = []
        let cached = try ddim.sample(
            from: start,
            denoiser: { x, _ in
                let y = try conv(Variable(x)).value
                let cache = try XCTUnwrap(WinogradWeightCache.current)
                counts = [cache.counts.transforms, cache.counts.reuses]
                return y
            },
            stepNoise: { _, shape in try Tensor.zeros(shape) })
        XCTAssertEqual(counts, [1, 9])
        XCTAssertNil(WinogradWeightCache.current, "the cache ends with the run")
        var direct = start
        for timestep in ddim.timesteps {
            let output = try conv(Variable(direct)).value
            direct = try ddim.step(modelOutput: output, timestep: timestep, sample: direct, noise: nil).previousSample
        }
        XCTAssertEqual(cached.sample.scalars, direct.scalars)
    }

    func testMisuseIsAnErrorNotATrap() throws {
        XCTAssertThrowsError(try DDIMSampler(schedule: schedule, inferenceSteps: 1001)) {
            XCTAssertEqual($0 as? SamplingError, .inferenceStepsOutOfRange(requested: 1001, trainingSteps: 1000))
        }
        XCTAssertThrowsError(try DDPMSampler(schedule: schedule, inferenceSteps: 0))
        XCTAssertThrowsError(try DDIMSampler(schedule: schedule, inferenceSteps: 10, eta: 1.5)) {
            XCTAssertEqual($0 as? SamplingError, .invalidParameter(name: "eta", value: 1.5, requirement: "between 0 and 1"))
        }
        XCTAssertThrowsError(try DDPMSampler(schedule: schedule, clipRange: 0))
        XCTAssertThrowsError(try TimestepSpacing.leading(offset: 1).timesteps(inferenceSteps: 1000, trainingSteps: 1000)) {
            XCTAssertEqual($0 as? SamplingError, .spacingLeavesSchedule(timestep: 1000, trainingSteps: 1000))
        }

        let x = try Tensor.zeros([1, 1, 2, 2])
        let ddpm = try DDPMSampler(schedule: schedule, inferenceSteps: 10)
        XCTAssertThrowsError(try ddpm.step(modelOutput: x, timestep: 950, sample: x, noise: x)) {
            XCTAssertEqual($0 as? SamplingError, .timestepNotInSequence(timestep: 950, sequence: ddpm.timesteps))
        }
        XCTAssertThrowsError(try ddpm.step(modelOutput: x, timestep: 900, sample: x, noise: nil)) {
            XCTAssertEqual($0 as? SamplingError, .missingNoise(timestep: 900))
        }
        let ddim = try DDIMSampler(schedule: schedule, inferenceSteps: 10, eta: 0.5)
        XCTAssertThrowsError(try ddim.step(modelOutput: x, timestep: 1000, sample: x, noise: x)) {
            XCTAssertEqual($0 as? ScheduleError, .timestepOutOfRange(timestep: 1000, trainingSteps: 1000))
        }
        XCTAssertThrowsError(try ddim.step(modelOutput: x, timestep: 500, sample: x, noise: nil)) {
            XCTAssertEqual($0 as? SamplingError, .missingNoise(timestep: 500))
        }
        XCTAssertThrowsError(try ddim.step(modelOutput: try Tensor.zeros([1, 1, 2, 3]), timestep: 500, sample: x, noise: x)) {
            XCTAssertNotNil($0 as? ScheduleError)
        }
        XCTAssertThrowsError(try ddim.step(modelOutput: x, timestep: 500, sample: x, noise: try Tensor.zeros([1, 2, 2]))) {
            XCTAssertEqual($0 as? ScheduleError, .shapeMismatch(operation: "DDIMSampler.step", expected: [1, 1, 2, 2], found: [1, 2, 2]))
        }
        var stream = RandomStream(seed: 1)
        XCTAssertThrowsError(try ddim.sample(from: x, stream: &stream, denoiser: { _, _ in try Tensor.zeros([1, 4]) })) {
            XCTAssertEqual($0 as? SamplingError, .denoiserShape(expected: [1, 1, 2, 2], found: [1, 4]))
        }
    }

    private func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
    }
}
