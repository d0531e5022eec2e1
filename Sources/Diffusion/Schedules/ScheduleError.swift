/// Misuse of a noise schedule, the forward process or a prediction: a schedule that cannot
/// exist, a timestep outside it, tensors whose shapes disagree.
///
/// Every case reads as a sentence through `description`, for example
/// `timestep 1000 is outside the schedule's 0...999`.
public enum ScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A schedule needs at least one training step (T >= 1).
    case invalidTrainingSteps(Int)
    /// A beta the schedule would use lies outside the open interval (0, 1); `which` names it.
    case betaOutOfRange(which: String, value: Double)
    /// The zero-terminal-SNR rescale divides by sqrt(alpha-bar_0) - sqrt(alpha-bar_T), which
    /// needs at least two steps with different alpha-bars.
    case zeroTerminalSNRNeedsTwoDistinctSteps
    /// A timestep outside 0...(trainingSteps - 1).
    case timestepOutOfRange(timestep: Int, trainingSteps: Int)
    /// Two tensors that must have the same shape do not.
    case shapeMismatch(operation: String, expected: [Int], found: [Int])
    /// A tensor without a batch axis (rank 0 or an empty batch) where one is needed.
    case missingBatchAxis(operation: String, shape: [Int])
    /// A per-item list (timesteps or alpha-bars) whose length is neither 1 nor the batch size.
    case batchCountMismatch(operation: String, count: Int, batch: Int)

    /// The error as a sentence for the person reading it.
    public var description: String {
        switch self {
        case .invalidTrainingSteps(let count):
            return "a noise schedule needs at least 1 training step, got \(count)"
        case .betaOutOfRange(let which, let value):
            return "\(which) is \(value), but every beta must lie strictly between 0 and 1"
        case .zeroTerminalSNRNeedsTwoDistinctSteps:
            return "the zero-terminal-SNR rescale needs at least 2 steps whose alpha-bars differ"
        case .timestepOutOfRange(let timestep, let trainingSteps):
            return "timestep \(timestep) is outside the schedule's 0...\(trainingSteps - 1)"
        case .shapeMismatch(let operation, let expected, let found):
            return "\(operation): expected a tensor of shape \(expected), found \(found)"
        case .missingBatchAxis(let operation, let shape):
            return "\(operation): needs a tensor [B, ...] with B >= 1, found shape \(shape)"
        case .batchCountMismatch(let operation, let count, let batch):
            return "\(operation): \(count) per-item values for a batch of \(batch); give 1 or \(batch)"
        }
    }
}
