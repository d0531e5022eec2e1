import Engine

/// Why training stopped or could not start. The description is written for the person running
/// it: what happened, where, and what to try.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A configuration that cannot be trained with.
    case configuration(String)
    /// The loss or the gradient norm of step `step` (1-based) was NaN or infinite. The update of
    /// that step was not applied, so the weights are those after step `step - 1`.
    case nonFinite(step: Int, quantity: String, value: Float, lastFiniteLoss: Float?)
    /// A checkpoint that does not belong to this model, optimizer or configuration.
    case incompatibleCheckpoint(path: String, reason: String)

    /// The message for the person running the training.
    public var description: String {
        switch self {
        case .configuration(let message):
            return "training configuration: \(message)"
        case let .nonFinite(step, quantity, value, lastFiniteLoss):
            let last = lastFiniteLoss.map { "the last finite loss was \($0)" } ?? "no step had a finite loss yet"
            return "training stopped at step \(step): the \(quantity) is \(value); \(last). "
                + "The update of step \(step) was not applied and the last checkpoint is intact. "
                + "Try a lower learning rate (or a longer warm-up), or clip the gradients (maxGradientNorm, e.g. 1)."
        case let .incompatibleCheckpoint(path, reason):
            return "cannot resume from \(path): \(reason)"
        }
    }
}

extension TrainingError {
    /// Throws unless `optimizer` updates exactly `model`'s parameters; `owner` names the model in
    /// the message ("the model's", "the adversary's").
    static func requireOptimizer(_ optimizer: any StatefulOptimizer, updating model: Module, owner: String) throws {
        let own = Set(model.parameters.map(ObjectIdentifier.init))
        guard Set(optimizer.parameters.map(ObjectIdentifier.init)) == own, optimizer.parameters.count == own.count else {
            throw TrainingError.configuration(
                "the optimizer must update exactly \(owner) \(own.count) parameters (it has \(optimizer.parameters.count))")
        }
    }
}
