/// Misuse of a sampler or the sampling loop, or a loop the caller stopped.
public enum SamplingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Inference needs between 1 and T steps.
    case inferenceStepsOutOfRange(requested: Int, trainingSteps: Int)
    /// A spacing that puts a timestep outside 0..<T (a leading offset too large for the step count).
    case spacingLeavesSchedule(timestep: Int, trainingSteps: Int)
    /// DDPM steps only between the timesteps of its own sequence.
    case timestepNotInSequence(timestep: Int, sequence: [Int])
    /// This step adds noise and the caller supplied none.
    case missingNoise(timestep: Int)
    /// A parameter outside its domain, with what it must satisfy.
    case invalidParameter(name: String, value: Double, requirement: String)
    /// The denoiser returned a tensor whose shape is not x_t's.
    case denoiserShape(expected: [Int], found: [Int])
    /// A sampler asked for a step after its last one (call `reset()` to run it again).
    case finished(steps: Int)
    /// A sampler option its sampler does not have, or a value it does not take.
    case invalidOption(sampler: String, message: String)
    /// The caller's cancellation check returned true before step `completedSteps` of `totalSteps`.
    case cancelled(completedSteps: Int, totalSteps: Int)

    /// The error as a sentence for the person reading it.
    public var description: String {
        switch self {
        case .inferenceStepsOutOfRange(let requested, let trainingSteps):
            return "\(requested) inference steps requested, but the schedule allows 1...\(trainingSteps)"
        case .spacingLeavesSchedule(let timestep, let trainingSteps):
            return "the timestep spacing reaches \(timestep), outside the schedule's 0...\(trainingSteps - 1); choose an offset that keeps every timestep inside"
        case .timestepNotInSequence(let timestep, let sequence):
            return "timestep \(timestep) is not one of this sampler's timesteps \(sequence.prefix(8))\(sequence.count > 8 ? "..." : "")"
        case .missingNoise(let timestep):
            return "the step at timestep \(timestep) adds noise, but no noise tensor was given"
        case .invalidParameter(let name, let value, let requirement):
            return "\(name) is \(value), but it must be \(requirement)"
        case .denoiserShape(let expected, let found):
            return "the denoiser returned shape \(found) for an input of shape \(expected)"
        case .finished(let steps):
            return "the sampler has taken all its \(steps) steps; reset it to run again"
        case .invalidOption(let sampler, let message):
            return "\(sampler): \(message)"
        case .cancelled(let completedSteps, let totalSteps):
            return "sampling cancelled after \(completedSteps) of \(totalSteps) steps"
        }
    }
}
