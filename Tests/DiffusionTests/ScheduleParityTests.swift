import TestSupport
import XCTest
@testable import Diffusion
@testable import Engine

/// scheduler_fixtures.json, written by Fixtures/make_scheduler_fixtures.py from diffusers 0.42.
struct SchedulerFixtures: Decodable {
    struct Schedule: Decodable {
        let kind: String
        let betaStart, betaEnd: Double
        let trainingSteps: Int
        let zeroTerminalSNR: Bool
        let timesteps: [Int]
        let betas, alphasCumprod, alphasCumprodFloat32: [Double]
    }
    struct Forward: Decodable {
        struct Case: Decodable {
            let timesteps: [Int]
            let noisy, velocity: FixtureTensor
        }
        let original, noise: FixtureTensor
        let cases: [Case]
    }
    struct Spacing: Decodable {
        let spacing: String
        let offset, trainingSteps, inferenceSteps: Int
        let timesteps: [Int]
    }
    struct Step: Decodable, SamplerFixtureCase {
        let sampler, prediction, kind, spacing: String
        let clip, zeroTerminalSNR, setAlphaToOne: Bool
        let inferenceSteps, timestep: Int
        let variance: String?
        let eta: Double?
        let sample, modelOutput, noise, previousSample, predictedOriginalSample: FixtureTensor
    }
    struct Loop: Decodable, SamplerFixtureCase {
        let sampler, prediction, kind, spacing: String
        let zeroTerminalSNR: Bool
        let inferenceSteps: Int
        let variance: String?
        let eta: Double?
        let timesteps: [Int]
        let initialNoise, final: FixtureTensor
        let stepNoises, predictedOriginalSamples: [FixtureTensor]
        var clip: Bool { false }
        var setAlphaToOne: Bool { true }
    }
    let schedules: [Schedule]
    let forward: Forward
    let spacings: [Spacing]
    let steps: [Step]
    let loops: [Loop]

    static func load() throws -> SchedulerFixtures {
        try loadFixture("scheduler_fixtures.json", as: SchedulerFixtures.self)
    }

    /// The schedule diffusers builds for `kind` ("linear", "scaled_linear", "squaredcos_cap_v2").
    static func schedule(_ kind: String, trainingSteps: Int = 1000, zeroTerminalSNR: Bool,
                         betaStart: Double? = nil, betaEnd: Double? = nil) throws -> NoiseSchedule {
        let kinds: [String: NoiseSchedule.Kind] = [
            "linear": .linear(betaStart: betaStart ?? 1e-4, betaEnd: betaEnd ?? 0.02),
            "scaled_linear": .scaledLinear(betaStart: betaStart ?? 0.00085, betaEnd: betaEnd ?? 0.012),
            "squaredcos_cap_v2": .cosine,
        ]
        return try NoiseSchedule(kinds[kind]!, trainingSteps: trainingSteps, zeroTerminalSNR: zeroTerminalSNR)
    }

    static func spacing(_ name: String, offset: Int = 0) -> TimestepSpacing {
        switch name {
        case "leading": return .leading(offset: offset)
        case "trailing": return .trailing
        default: return .linspace
        }
    }

    static func prediction(_ name: String) -> Prediction {
        switch name {
        case "epsilon": return .epsilon
        case "sample": return .sample
        default: return .velocity
        }
    }
}

/// The sampler settings of a step or loop fixture, in diffusers' names.
protocol SamplerFixtureCase {
    var sampler: String { get }
    var kind: String { get }
    var zeroTerminalSNR: Bool { get }
    var prediction: String { get }
    var spacing: String { get }
    var inferenceSteps: Int { get }
    var variance: String? { get }
    var eta: Double? { get }
    var clip: Bool { get }
    var setAlphaToOne: Bool { get }
}

extension SamplerFixtureCase {
    /// The medsynth sampler with these settings.
    func makeSampler() throws -> any SingleStepSampler {
        let schedule = try SchedulerFixtures.schedule(kind, zeroTerminalSNR: zeroTerminalSNR)
        let prediction = SchedulerFixtures.prediction(prediction)
        let spacing = SchedulerFixtures.spacing(spacing)
        if sampler == "ddpm" {
            return try DDPMSampler(
                schedule: schedule, inferenceSteps: inferenceSteps, spacing: spacing, prediction: prediction,
                variance: variance == "fixed_large" ? .fixedLarge : .fixedSmall, clipRange: clip ? 1 : nil)
        }
        return try DDIMSampler(
            schedule: schedule, inferenceSteps: inferenceSteps, spacing: spacing, prediction: prediction,
            eta: eta ?? 0, clipRange: clip ? 1 : nil, setAlphaToOne: setAlphaToOne)
    }

    /// The settings in a failure message.
    var label: String {
        "\(sampler) \(prediction) \(kind)\(zeroTerminalSNR ? "+zeroSNR" : "") \(spacing) n=\(inferenceSteps) "
            + "\(variance ?? "eta=\(eta ?? 0)") clip=\(clip) alphaToOne=\(setAlphaToOne)"
    }
}

/// Schedules, forward noising and timestep spacings agree with diffusers.
final class ScheduleParityTests: XCTestCase {
    func testBetasAndAlphaBarsMatchDiffusersForEveryKindAndZeroSNR() throws {
        let fixtures = try SchedulerFixtures.load()
        XCTAssertEqual(fixtures.schedules.count, 12)
        var float32Gap = 0.0
        for reference in fixtures.schedules {
            let schedule = try SchedulerFixtures.schedule(
                reference.kind, trainingSteps: reference.trainingSteps, zeroTerminalSNR: reference.zeroTerminalSNR,
                betaStart: reference.betaStart, betaEnd: reference.betaEnd)
            let what = "\(reference.kind) T=\(reference.trainingSteps) zeroSNR=\(reference.zeroTerminalSNR)"
            for (row, t) in reference.timesteps.enumerated() {
                // The same formulas in float64 on both sides: only the order of operations differs.
                XCTAssertEqual(schedule.betas[t], reference.betas[row], accuracy: 1e-12 + 1e-9 * reference.betas[row], "\(what) beta \(t)")
                XCTAssertEqual(schedule.alphaBars[t], reference.alphasCumprod[row], accuracy: 1e-12, "\(what) alpha-bar \(t)")
                // diffusers' own float32 table is within float32 rounding of it.
                XCTAssertEqual(schedule.alphaBars[t], reference.alphasCumprodFloat32[row], accuracy: 5e-6, "\(what) float32 \(t)")
                float32Gap = max(float32Gap, abs(schedule.alphaBars[t] - reference.alphasCumprodFloat32[row]))
            }
        }
        XCTAssertGreaterThan(float32Gap, 1e-8, "the float32 tables are not the float64 ones")
    }

    func testAddNoiseAndVelocityMatchDiffusers() throws {
        let fixtures = try SchedulerFixtures.load()
        let schedule = try SchedulerFixtures.schedule("linear", zeroTerminalSNR: false)
        let original = fixtures.forward.original.tensor, noise = fixtures.forward.noise.tensor
        for reference in fixtures.forward.cases {
            let noisy = try schedule.addNoise(to: original, noise: noise, timesteps: reference.timesteps)
            assertMatchesFixture(noisy, reference.noisy, absolute: 1e-6, "add_noise at \(reference.timesteps)")
            let velocity = try schedule.velocity(original: original, noise: noise, timesteps: reference.timesteps)
            assertMatchesFixture(velocity, reference.velocity, absolute: 1e-6, "get_velocity at \(reference.timesteps)")
        }
    }

    func testTimestepSpacingsMatchDiffusers() throws {
        let fixtures = try SchedulerFixtures.load()
        XCTAssertEqual(fixtures.spacings.count, 31)
        for reference in fixtures.spacings {
            let timesteps = try SchedulerFixtures.spacing(reference.spacing, offset: reference.offset)
                .timesteps(inferenceSteps: reference.inferenceSteps, trainingSteps: reference.trainingSteps)
            let what = "\(reference.spacing)+\(reference.offset) T=\(reference.trainingSteps) n=\(reference.inferenceSteps)"
            XCTAssertEqual(timesteps, Array(reference.timesteps.prefix(reference.inferenceSteps)), what)
            // Where numpy's arange gives diffusers one timestep too many, the extra one is -1.
            if reference.timesteps.count != reference.inferenceSteps {
                XCTAssertEqual(reference.timesteps.count, reference.inferenceSteps + 1, what)
                XCTAssertEqual(reference.timesteps.last, -1, what)
            }
        }
    }
}
