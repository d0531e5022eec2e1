import Foundation
import Engine

/// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
/// Probabilistic Models", Algorithm 2), as diffusers' DPMSolverMultistepScheduler with its
/// defaults (order 2, dpmsolver++, midpoint, lower_order_final, final sigma zero).
///
/// The process is written in the variance-exploding noise level s = sqrt((1 - a) / a) (a =
/// alpha-bar): alpha = 1 / sqrt(1 + s^2), sigma = s * alpha, and the half log-SNR
/// lambda = log(alpha / sigma) = -log s. From step i (level s_i) to step i+1, with
/// h = lambda_{i+1} - lambda_i and D the model's data prediction x_0^ (from epsilon, v or x_0):
///
///     first order:  x_{i+1} = (sigma_{i+1} / sigma_i) x_i - alpha_{i+1} (e^-h - 1) D_i        (= DDIM)
///     second order: x_{i+1} = (sigma_{i+1} / sigma_i) x_i - alpha_{i+1} (e^-h - 1) (D_i + (D_i - D_{i-1}) / (2 r)),
///                   r = h_{i-1} / h_i
///
/// The first step has no earlier prediction and is first order; so is the last, whose level is 0
/// (alpha = 1, sigma = 0): it returns x_0^ itself. No step adds noise.
///
/// With `karras`, the levels are Karras et al.'s (2022, eq. 5, rho = 7) between s(T - 1) and s(0),
/// and the model sees each at the timestep whose log s it falls between, interpolated and rounded;
/// rounded timesteps may repeat. (On the cosine schedule diffusers truncates instead of rounding,
/// and its first level, s(T - 1) after a float round trip, lands just below T - 1: it shows the
/// model T - 2 where medsynth shows T - 1. The solver's arithmetic is the same.)
public struct DPMSolverMultistepSampler: Sampler {
    /// The schedule the model was trained with.
    public let schedule: NoiseSchedule
    /// What the model predicts.
    public let prediction: Prediction
    /// The timestep the model sees at each step, noisiest first.
    public let timesteps: [Int]
    /// The noise level s of each step, and 0 after the last.
    public let levels: [Double]
    public private(set) var stepIndex = 0
    /// The data prediction of the step before, for the second-order update.
    private var previousPrediction: Tensor?

    /// A DPM-Solver++(2M) sampler over `inferenceSteps` steps. `spacing` places them as
    /// diffusers' DPM scheduler does (which differs from DDIM's for linspace and leading:
    /// n + 1 points, the last, 0, dropped); `karras` uses Karras sigmas instead.
    public init(
        schedule: NoiseSchedule, inferenceSteps: Int, spacing: TimestepSpacing = .linspace, prediction: Prediction = .epsilon,
        karras: Bool = false
    ) throws {
        let trainingSteps = schedule.trainingSteps
        guard inferenceSteps >= 1, inferenceSteps <= trainingSteps else {
            throw SamplingError.inferenceStepsOutOfRange(requested: inferenceSteps, trainingSteps: trainingSteps)
        }
        guard !schedule.alphaBars.contains(where: { !($0 > 0 && $0 < 1) }) else {
            throw SamplingError.invalidOption(
                sampler: "dpm2m", message: "the schedule reaches alpha-bar 0 or 1 (a zero terminal SNR), where the noise level is infinite or zero")
        }
        self.schedule = schedule
        self.prediction = prediction
        let table = schedule.alphaBars.map { ((1 - $0) / $0).squareRoot() }
        if karras {
            let karrasLevels = Self.karrasLevels(from: table[trainingSteps - 1], to: table[0], count: inferenceSteps)
            let logTable = table.map { Foundation.log($0) }
            timesteps = karrasLevels.map { Int(Self.interpolatedTimestep($0, logTable: logTable).rounded(.toNearestOrEven)) }
            levels = karrasLevels + [0]
        } else {
            timesteps = try Self.timesteps(spacing, inferenceSteps: inferenceSteps, trainingSteps: trainingSteps)
            levels = timesteps.map { table[$0] } + [0]
        }
        // Two steps at one noise level make h = 0 and the next second-order step divide by it
        // (diffusers gives NaN there): linspace and leading spacing repeat a timestep when the
        // step count nears T.
        if let repeated = levels.indices.dropLast().first(where: { !(levels[$0] > levels[$0 + 1]) }) {
            throw SamplingError.invalidOption(
                sampler: "dpm2m",
                message: "\(inferenceSteps) steps on a schedule of \(trainingSteps) visit timestep \(timesteps[repeated]) twice; "
                    + "take fewer steps or trailing spacing")
        }
    }

    public func needsNoise(atStep index: Int) -> Bool { false }

    public mutating func step(modelOutput: Tensor, sample: Tensor, noise: Tensor?) throws -> SamplerStep {
        guard stepIndex < timesteps.count else { throw SamplingError.finished(steps: timesteps.count) }
        let level = levels[stepIndex], next = levels[stepIndex + 1]
        let original = try prediction.originalSample(modelOutput: modelOutput, sample: sample, alphaBars: [1 / (1 + level * level)])
        defer {
            previousPrediction = original
            stepIndex += 1
        }
        // The last level is 0: the sample is its prediction.
        guard next > 0 else { return SamplerStep(previousSample: original, predictedOriginalSample: original) }
        let (alpha, sigma) = Self.alphaSigma(next)
        let sigmaNow = Self.alphaSigma(level).sigma
        let h = Foundation.log(level / next)
        // alpha_{i+1} (1 - e^-h), the weight of the data prediction.
        let weight = alpha * -Foundation.expm1(-h)
        var terms = [WeightedTerm(sample, sigma / sigmaNow)]
        if stepIndex > 0, stepIndex < timesteps.count - 1, let previousPrediction {
            let r = Foundation.log(levels[stepIndex - 1] / level) / h
            terms += [WeightedTerm(original, weight * (1 + 0.5 / r)), WeightedTerm(previousPrediction, -weight * 0.5 / r)]
        } else {
            terms.append(WeightedTerm(original, weight))
        }
        return SamplerStep(previousSample: try combinePerItem("DPMSolverMultistepSampler.step", terms), predictedOriginalSample: original)
    }

    public mutating func reset() {
        stepIndex = 0
        previousPrediction = nil
    }

    /// alpha = 1 / sqrt(1 + s^2) and sigma = s alpha at noise level s.
    static func alphaSigma(_ level: Double) -> (alpha: Double, sigma: Double) {
        let alpha = 1 / (1 + level * level).squareRoot()
        return (alpha, level * alpha)
    }

    /// The timesteps of diffusers' DPM scheduler for `spacing`, highest first.
    static func timesteps(_ spacing: TimestepSpacing, inferenceSteps n: Int, trainingSteps t: Int) throws -> [Int] {
        switch spacing {
        case .linspace:
            // numpy: linspace(0, T - 1, n + 1).round()[::-1][:-1]
            let step = Double(t - 1) / Double(n)
            return (1...n).reversed().map { $0 == n ? t - 1 : Int((Double($0) * step).rounded(.toNearestOrEven)) }
        case .leading(let offset):
            // numpy: (arange(0, n + 1) * (T // (n + 1)))[::-1][:-1] + offset
            let ratio = t / (n + 1)
            let timesteps = (1...n).reversed().map { $0 * ratio + offset }
            if let outside = timesteps.first(where: { !(0..<t).contains($0) }) {
                throw SamplingError.spacingLeavesSchedule(timestep: outside, trainingSteps: t)
            }
            return timesteps
        case .trailing:
            return try TimestepSpacing.trailing.timesteps(inferenceSteps: n, trainingSteps: t)
        }
    }

    /// Karras et al. 2022, eq. 5: n levels from `high` down to `low`, evenly spaced in s^(1/rho).
    static func karrasLevels(from high: Double, to low: Double, count n: Int, rho: Double = 7) -> [Double] {
        let (top, bottom) = (Foundation.pow(high, 1 / rho), Foundation.pow(low, 1 / rho))
        return (0..<n).map { i in
            let ramp = n > 1 ? Double(i) / Double(n - 1) : 0
            return Foundation.pow(top + ramp * (bottom - top), rho)
        }
    }

    /// The (fractional) timestep at which the schedule's log noise level is log `level`: linear
    /// between the two training timesteps around it, clamped to the table (diffusers'
    /// _sigma_to_t). `logTable` rises with t.
    static func interpolatedTimestep(_ level: Double, logTable: [Double]) -> Double {
        let logLevel = Foundation.log(max(level, 1e-10))
        // The last timestep whose log level is at most logLevel, kept below the top one.
        let low = min(max((logTable.lastIndex { $0 <= logLevel }) ?? 0, 0), logTable.count - 2)
        let weight = min(max((logTable[low] - logLevel) / (logTable[low] - logTable[low + 1]), 0), 1)
        return (1 - weight) * Double(low) + weight * Double(low + 1)
    }
}

/// How the sampler registry offers it (see `SamplerRegistry`).
extension DPMSolverMultistepSampler {
    static let description = SamplerDescription(
        name: "dpm2m", summary: "DPM-Solver++(2M) (Lu et al. 2022): second-order multistep, good in 10 to 20 steps",
        options: [SamplerOption("karras", .flag, default: .flag(false), "use Karras et al.'s noise levels (rho 7)")]
    ) { request in
        try DPMSolverMultistepSampler(schedule: request.schedule, inferenceSteps: request.steps, spacing: request.spacing ?? .linspace,
                                      prediction: request.prediction, karras: request.flag("karras"))
    }
}
