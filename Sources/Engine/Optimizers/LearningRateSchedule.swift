import Foundation

/// The learning rate as a function of the training step. A training loop asks for the rate
/// before each optimizer step and sets it:
///
///     optimizer.learningRate = schedule.learningRate(atStep: step)
///     try optimizer.step()
///
/// `step` counts the optimizer steps already taken: 0 for the first. Schedules are values that
/// hold no state, so a resumed run asks for the step it stopped at.
public protocol LearningRateSchedule: Sendable {
    /// The rate for the optimizer step that follows `step` completed steps.
    func learningRate(atStep step: Int) -> Float
}

/// The same rate at every step.
public struct ConstantLearningRate: LearningRateSchedule {
    public let rate: Float

    public init(_ rate: Float) { self.rate = rate }

    public func learningRate(atStep step: Int) -> Float { rate }
}

/// A linear warm-up to a peak rate, then a half cosine down to a minimum (Loshchilov and
/// Hutter 2017, SGDR, one cycle without restarts; the warm-up as in Goyal et al. 2017), the
/// schedule most diffusion and transformer training uses. With W warm-up steps and T steps in
/// all, the rate at step s (0-based) is:
///
///     s < W:        peak (s + 1) / W                                     rises to the peak at s = W - 1
///     W ≤ s < T:    minimum + (peak - minimum) (1 + cos(π (s - W) / (T - W))) / 2
///     s ≥ T:        minimum
///
/// The warm-up counts from s + 1 so that the first step already moves (a rate of 0 would waste
/// it, as peak s / W does); the rate therefore holds the peak for steps W - 1 and W. With W = 0
/// there is no warm-up and the decay starts at the peak.
public struct WarmupCosineDecay: LearningRateSchedule {
    public let peak: Float
    public let minimum: Float
    public let warmupSteps: Int
    public let totalSteps: Int

    /// Refuses a negative warm-up, a warm-up longer than the whole schedule, and a minimum
    /// outside 0...peak.
    public init(peak: Float, minimum: Float = 0, warmupSteps: Int, totalSteps: Int) throws {
        guard warmupSteps >= 0, totalSteps >= warmupSteps else {
            throw OptimizerError("WarmupCosineDecay: needs 0 ≤ warmupSteps ≤ totalSteps, got \(warmupSteps) warm-up steps of \(totalSteps)")
        }
        try requireHyperparameter(peak >= 0, "WarmupCosineDecay", "the peak rate must be at least 0", peak)
        try requireHyperparameter(minimum >= 0 && minimum <= peak, "WarmupCosineDecay",
                                  "the minimum rate must be in 0...peak (\(peak))", minimum)
        self.peak = peak
        self.minimum = minimum
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func learningRate(atStep step: Int) -> Float {
        let step = max(step, 0)
        if step < warmupSteps {
            return Float(Double(peak) * Double(step + 1) / Double(warmupSteps))
        }
        guard step < totalSteps else { return minimum }
        let progress = Double(step - warmupSteps) / Double(totalSteps - warmupSteps)
        return Float(Double(minimum) + (Double(peak) - Double(minimum)) * (1 + cos(Double.pi * progress)) / 2)
    }
}
