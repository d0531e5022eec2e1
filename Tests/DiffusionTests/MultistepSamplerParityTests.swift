import TestSupport
import XCTest
@testable import Diffusion
@testable import Engine

/// DPM-Solver++(2M) agrees with diffusers' DPMSolverMultistepScheduler, step by step, over whole
/// loops with a fixed model (Fixtures/make_multistep_fixtures.py): every schedule kind, epsilon
/// and v prediction, each spacing, with and without Karras sigmas, 1 to 50 steps.
final class MultistepSamplerParityTests: XCTestCase {
    struct Fixtures: Decodable {
        let trainingSteps: Int
        let loops: [Loop]
    }

    struct Loop: Decodable {
        let label, kind, prediction, spacing: String
        let betaStart, betaEnd: Double
        let karras: Bool
        let inferenceSteps: Int
        let timesteps: [Int]
        let sigmas: [Double]
        let initialNoise: FixtureTensor
        let steps: [FixtureTensor]

        func sampler() throws -> DPMSolverMultistepSampler {
            try DPMSolverMultistepSampler(
                schedule: try SchedulerFixtures.schedule(kind, zeroTerminalSNR: false, betaStart: betaStart, betaEnd: betaEnd),
                inferenceSteps: inferenceSteps, spacing: SchedulerFixtures.spacing(spacing),
                prediction: SchedulerFixtures.prediction(prediction), karras: karras)
        }
    }

    /// The fixed "denoiser" of the references: 0.1 x_t + 0.05 t / T.
    static func model(_ x: Tensor, _ timestep: Int) -> Tensor { x * 0.1 + 0.05 * Float(timestep) / 1000 }

    func testWholeLoopsMatchDiffusersStepByStep() throws {
        let fixtures = try loadFixture("multistep_fixtures.json", as: Fixtures.self)
        XCTAssertEqual(fixtures.loops.count, 96)
        var worst = (relative: 0.0, label: "")
        for reference in fixtures.loops {
            var sampler = try reference.sampler()
            XCTAssertEqual(sampler.levels.count, reference.sigmas.count, reference.label)
            for (level, expected) in zip(sampler.levels, reference.sigmas) {
                XCTAssertEqual(level, expected, accuracy: 1e-9 * Swift.max(1, expected), reference.label)
            }
            // diffusers truncates Karras timesteps on the cosine schedule, where medsynth rounds
            // (see DPMSolverMultistepSampler): there they may differ by one, and the model is
            // shown diffusers' so that the solver's arithmetic is what is compared.
            if reference.karras, reference.kind == "squaredcos_cap_v2" {
                for (mine, theirs) in zip(sampler.timesteps, reference.timesteps) { XCTAssertLessThanOrEqual(Swift.abs(mine - theirs), 1, reference.label) }
            } else {
                XCTAssertEqual(sampler.timesteps, reference.timesteps, reference.label)
            }
            var x = reference.initialNoise.tensor
            for (index, expected) in reference.steps.enumerated() {
                XCTAssertFalse(sampler.needsNoise(atStep: index))
                x = try sampler.step(modelOutput: Self.model(x, reference.timesteps[index]), sample: x, noise: nil).previousSample
                // Float32 arithmetic on values up to about 2e4: 1e-5 absolute plus 2e-6 relative.
                assertMatchesFixture(x, expected, absolute: 1e-5, relative: 2e-6, "\(reference.label) step \(index)")
                let scale = expected.values.map(Swift.abs).max() ?? 1
                for (a, b) in zip(x.scalars, expected.values) {
                    let gap = Swift.abs(Double(a) - b) / Swift.max(1, scale)
                    if gap > worst.relative { worst = (gap, "\(reference.label) step \(index)") }
                }
            }
            XCTAssertEqual(sampler.stepIndex, reference.inferenceSteps)
        }
        print("MultistepSamplerParityTests: largest gap relative to the step's largest value \(worst.relative) (\(worst.label))")
    }

    /// Its first step is DDIM's at eta 0 on the same timesteps; `reset` and `sample` rerun it
    /// exactly; a step past the last is refused.
    func testFirstStepIsDDIMAndRunsRepeat() throws {
        let schedule = try NoiseSchedule(.scaledLinear(betaStart: 0.00085, betaEnd: 0.012), trainingSteps: 1000)
        var dpm = try DPMSolverMultistepSampler(schedule: schedule, inferenceSteps: 10, spacing: .trailing)
        var ddim = try DDIMSampler(schedule: schedule, inferenceSteps: 10, spacing: .trailing)
        XCTAssertEqual(dpm.timesteps, ddim.timesteps)
        var stream = RandomStream(seed: 4)
        let x = try Tensor.randn([2, 1, 4, 4], using: &stream)
        let output = Self.model(x, dpm.timesteps[0])
        // DDIM steps to t - T/n = 799 while DPM goes to the next timestep, 799 too on this spacing.
        let a = try dpm.step(modelOutput: output, sample: x, noise: nil)
        let b = try ddim.step(modelOutput: output, sample: x, noise: nil)
        for (p, q) in zip(a.previousSample.scalars, b.previousSample.scalars) { XCTAssertEqual(p, q, accuracy: 2e-5) }

        let denoiser: (Tensor, [Double]) throws -> Tensor = { x, t in Self.model(x, Int(t[0])) }
        let first = try dpm.sample(shape: [1, 1, 4, 4], random: RandomKey(seed: 9), denoiser: denoiser)
        let second = try dpm.sample(shape: [1, 1, 4, 4], random: RandomKey(seed: 9), denoiser: denoiser)
        XCTAssertEqual(first.sample.scalars, second.sample.scalars)
        XCTAssertEqual(dpm.stepIndex, 1, "sample runs a copy")
        dpm.reset()
        XCTAssertEqual(dpm.stepIndex, 0)
        for _ in 0..<10 { _ = try dpm.step(modelOutput: output, sample: x, noise: nil) }
        XCTAssertThrowsError(try dpm.step(modelOutput: output, sample: x, noise: nil)) { error in
            XCTAssertEqual(error as? SamplingError, .finished(steps: 10))
        }
    }

    /// The registry makes it by name, with its option checked; an option of another sampler is
    /// refused with a message naming whose it is.
    func testTheRegistryOffersItWithItsOptions() throws {
        let schedule = try NoiseSchedule(.linear(betaStart: 1e-4, betaEnd: 0.02), trainingSteps: 1000)
        XCTAssertEqual(SamplerRegistry.all.map(\.name), ["ddim", "ddpm", "dpm2m", "euler"])
        let description = try XCTUnwrap(SamplerRegistry.named("dpm2m"))
        let karras = try description.sampler(process: .diffusion(schedule: schedule, prediction: .epsilon), steps: 10, spacing: nil, options: ["karras": .flag(true)])
        let direct = try DPMSolverMultistepSampler(schedule: schedule, inferenceSteps: 10, karras: true)
        XCTAssertEqual(karras.timesteps, direct.timesteps)
        let plain = try description.sampler(process: .diffusion(schedule: schedule, prediction: .epsilon), steps: 10, spacing: nil, options: [:])
        // linspace(0, 999, 11) rounded half to even, reversed, without its last point.
        XCTAssertEqual(plain.timesteps, [999, 899, 799, 699, 599, 500, 400, 300, 200, 100])
        XCTAssertThrowsError(try description.sampler(process: .diffusion(schedule: schedule, prediction: .epsilon), steps: 10, spacing: nil,
                                                     options: ["eta": .number(0.5)])) { error in
            XCTAssertEqual("\(error)", "dpm2m: eta is an option of ddim, not of dpm2m")
        }
        XCTAssertThrowsError(try SamplerRegistry.named("ddim")!.sampler(
            process: .diffusion(schedule: schedule, prediction: .epsilon), steps: 10, spacing: nil, options: ["eta": .number(2)])) { error in
            XCTAssertEqual("\(error)", "ddim: eta must be in 0.0...1.0, not 2.0")
        }
        // A sampler runs the models of its own process only, and says which samplers fit.
        XCTAssertThrowsError(try SamplerRegistry.named("ddim")!.sampler(process: .flow, steps: 10, spacing: nil, options: [:])) { error in
            XCTAssertEqual("\(error)", "ddim: it samples diffusion models, but this is a flow model (use euler)")
        }
        let euler = try SamplerRegistry.named("euler")!.sampler(process: .flow, steps: 4, spacing: nil, options: ["shift": .number(3)])
        XCTAssertEqual(euler.modelTimes, try FlowMatchEulerSampler(inferenceSteps: 4, shift: 3).modelTimes)
    }

    /// Steps that would visit one timestep twice (linspace or leading spacing with as many steps
    /// as the schedule, where diffusers gives NaN) are refused with a message.
    func testRepeatedTimestepsAreRefused() throws {
        let schedule = try NoiseSchedule(.linear(betaStart: 1e-4, betaEnd: 0.02), trainingSteps: 10)
        for spacing in [TimestepSpacing.linspace, .leading()] {
            XCTAssertThrowsError(try DPMSolverMultistepSampler(schedule: schedule, inferenceSteps: 10, spacing: spacing)) { error in
                XCTAssertTrue("\(error)".contains("10 steps on a schedule of 10 visit timestep"), "\(error)")
            }
        }
        XCTAssertNoThrow(try DPMSolverMultistepSampler(schedule: schedule, inferenceSteps: 10, spacing: .trailing))
        XCTAssertNoThrow(try DPMSolverMultistepSampler(schedule: schedule, inferenceSteps: 9))
    }
}
