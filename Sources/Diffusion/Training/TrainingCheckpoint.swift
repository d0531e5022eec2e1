import Engine
import Formats

/// Everything a `Trainer` needs to continue a run exactly where it stopped, and how it sits in a
/// `Checkpoint` file:
///
/// | Checkpoint entry                         | Holds                                                 |
/// |------------------------------------------|-------------------------------------------------------|
/// | parameter `model.<path>`                 | the model's weights                                   |
/// | parameter `ema.<path>`                   | the EMA shadows (with an EMA)                         |
/// | parameter `optimizer.<name>`             | the optimizer's tensors (Adam: `first.i`, `second.i`) |
/// | parameter `history.loss` (and `.learningRate`, `.gradientNorm`) | the history so far             |
/// | parameter `history.validationStep`, `history.validationLoss` | the validation losses so far      |
/// | metadata `training.step`                 | the completed steps                                   |
/// | metadata `training.randomPosition`       | the loss stream's next Philox block                   |
/// | metadata `optimizer.kind`, `optimizer.counter.<name>` | the optimizer's kind and counters (Adam: `steps.i`) |
/// | metadata `ema.updates`                   | the EMA's update count                                |
/// | configuration `training.*`               | `TrainingConfiguration.resumeEntries`, `training.steps`, `training.datasetCount` |
///
/// The data order needs no state of its own: `BatchOrder` derives every batch from the key and
/// the step count.
struct TrainingState {
    var step: Int
    var randomPosition: UInt64
    var model: [(path: String, tensor: Tensor)]
    var optimizer: OptimizerState
    var average: OptimizerState?
    /// The adversary's weights and optimizer state, if the run has one.
    var adversary: (model: [(path: String, tensor: Tensor)], optimizer: OptimizerState)?
    var history: TrainingHistory
    var configuration: [String: String]

    /// The names of the history's three series in the checkpoint, in `record`'s argument order.
    static let historyNames = ["history.loss", "history.learningRate", "history.gradientNorm"]
    /// The names of the validation series: the steps (whole numbers, exact in Float up to 2^24)
    /// and the losses.
    static let validationNames = ["history.validationStep", "history.validationLoss"]

    var checkpoint: Checkpoint {
        get throws {
            var parameters = model.map { ("model." + $0.path, $0.tensor) }
            if let average {
                parameters += average.tensors.sorted { $0.key < $1.key }.map { ("ema." + $0.key, $0.value) }
            }
            parameters += optimizer.tensors.sorted { $0.key < $1.key }.map { ("optimizer." + $0.key, $0.value) }
            if let adversary {
                parameters += adversary.model.map { ("adversary.model." + $0.path, $0.tensor) }
                parameters += adversary.optimizer.tensors.sorted { $0.key < $1.key }.map { ("adversary.optimizer." + $0.key, $0.value) }
            }
            if history.count > 0 {
                parameters += zip(Self.historyNames, [history.loss, history.learningRate, history.gradientNorm]).map { ($0, Tensor($1)) }
            }
            if !history.validationStep.isEmpty {
                parameters += zip(Self.validationNames, [history.validationStep.map(Float.init), history.validationLoss]).map { ($0, Tensor($1)) }
            }
            var metadata: [String: CheckpointValue] = [
                "training.step": .integer(step),
                "training.randomPosition": .integer(Int(bitPattern: UInt(randomPosition))),
                "optimizer.kind": .string(optimizer.kind),
            ]
            for (name, value) in optimizer.counters { metadata["optimizer.counter." + name] = .integer(value) }
            if let average { metadata["ema.updates"] = .integer(average.counters["updates"] ?? 0) }
            if let adversary {
                metadata["adversary.optimizer.kind"] = .string(adversary.optimizer.kind)
                for (name, value) in adversary.optimizer.counters { metadata["adversary.optimizer.counter." + name] = .integer(value) }
            }
            return try Checkpoint(parameters: parameters, configuration: configuration, metadata: metadata)
        }
    }

    /// The state stored in `checkpoint`, read from `path` (named in errors).
    init(_ checkpoint: Checkpoint, path: String) throws {
        func fail(_ reason: String) -> TrainingError { .incompatibleCheckpoint(path: path, reason: reason) }
        guard case .integer(let step)? = checkpoint.metadata["training.step"],
              case .integer(let position)? = checkpoint.metadata["training.randomPosition"],
              case .string(let kind)? = checkpoint.metadata["optimizer.kind"] else {
            throw fail("it is not a training checkpoint (it lacks training.step, training.randomPosition or optimizer.kind)")
        }
        var model: [(path: String, tensor: Tensor)] = []
        var optimizer = OptimizerState(kind: kind)
        var average: OptimizerState? = nil
        var series: [String: [Float]] = [:]
        var adversaryModel: [(path: String, tensor: Tensor)] = []
        var adversaryOptimizer: OptimizerState? = nil
        if case .string(let kind)? = checkpoint.metadata["adversary.optimizer.kind"] {
            adversaryOptimizer = OptimizerState(kind: kind)
        }
        for (name, tensor) in checkpoint.parameters {
            if name.hasPrefix("adversary.model."), adversaryOptimizer != nil {
                adversaryModel.append((String(name.dropFirst("adversary.model.".count)), tensor))
            } else if name.hasPrefix("adversary.optimizer."), adversaryOptimizer != nil {
                adversaryOptimizer!.tensors[String(name.dropFirst("adversary.optimizer.".count))] = tensor
            } else if name.hasPrefix("model.") {
                model.append((String(name.dropFirst(6)), tensor))
            } else if name.hasPrefix("ema.") {
                average = average ?? OptimizerState(kind: "ExponentialMovingAverage")
                average!.tensors[String(name.dropFirst(4))] = tensor
            } else if name.hasPrefix("optimizer.") {
                optimizer.tensors[String(name.dropFirst(10))] = tensor
            } else if Self.historyNames.contains(name) || Self.validationNames.contains(name) {
                series[name] = tensor.scalars
            } else {
                throw fail("it holds \(name), which is no part of a training checkpoint")
            }
        }
        for (key, value) in checkpoint.metadata where key.hasPrefix("optimizer.counter.") {
            guard case .integer(let count) = value else { throw fail("metadata \(key) is not an integer") }
            optimizer.counters[String(key.dropFirst("optimizer.counter.".count))] = count
        }
        for (key, value) in checkpoint.metadata where key.hasPrefix("adversary.optimizer.counter.") {
            guard case .integer(let count) = value, adversaryOptimizer != nil else { throw fail("metadata \(key) is not an adversary's integer") }
            adversaryOptimizer!.counters[String(key.dropFirst("adversary.optimizer.counter.".count))] = count
        }
        if case .integer(let updates)? = checkpoint.metadata["ema.updates"] {
            average = average ?? OptimizerState(kind: "ExponentialMovingAverage")
            average!.counters["updates"] = updates
        }
        let (losses, rates, norms) = (series["history.loss"] ?? [], series["history.learningRate"] ?? [], series["history.gradientNorm"] ?? [])
        guard losses.count == step, rates.count == step, norms.count == step else {
            throw fail("its history has \(losses.count) steps but it was written after step \(step)")
        }
        var history = TrainingHistory()
        for i in 0..<step { history.record(loss: losses[i], learningRate: rates[i], gradientNorm: norms[i]) }
        let (validationSteps, validationLosses) = (series["history.validationStep"] ?? [], series["history.validationLoss"] ?? [])
        guard validationSteps.count == validationLosses.count else {
            throw fail("its validation history has \(validationSteps.count) steps but \(validationLosses.count) losses")
        }
        var previous = 0
        for (stepValue, loss) in zip(validationSteps, validationLosses) {
            guard let validationStep = Int(exactly: stepValue), validationStep > previous, validationStep <= step else {
                throw fail("its validation history names step \(stepValue), which is not after \(previous) and at most \(step)")
            }
            history.recordValidation(step: validationStep, loss: loss)
            previous = validationStep
        }
        self.step = step
        self.randomPosition = UInt64(UInt(bitPattern: position))
        self.model = model
        self.optimizer = optimizer
        self.average = average
        self.adversary = adversaryOptimizer.map { (adversaryModel, $0) }
        self.history = history
        self.configuration = checkpoint.configuration
    }

    init(step: Int, randomPosition: UInt64, model: [(path: String, tensor: Tensor)], optimizer: OptimizerState,
         average: OptimizerState?, adversary: (model: [(path: String, tensor: Tensor)], optimizer: OptimizerState)? = nil,
         history: TrainingHistory, configuration: [String: String]) {
        self.step = step
        self.adversary = adversary
        self.randomPosition = randomPosition
        self.model = model
        self.optimizer = optimizer
        self.average = average
        self.history = history
        self.configuration = configuration
    }
}

extension Checkpoint {
    /// Which weights of a training checkpoint to take.
    public enum TrainedWeights: Sendable {
        /// The weights the optimizer was updating.
        case training
        /// The exponential moving average of them, the weights to sample with.
        case averaged
    }

    /// Loads the model weights (or their EMA) of a checkpoint a `Trainer` wrote into `module`, a
    /// model of the same architecture; the error names the first parameter that does not fit.
    public func loadTrainedWeights(into module: Module, _ weights: TrainedWeights = .averaged) throws {
        let prefix = weights == .training ? "model." : "ema."
        let selected = parameters.filter { $0.path.hasPrefix(prefix) }.map { (String($0.path.dropFirst(prefix.count)), $0.tensor) }
        guard !selected.isEmpty else {
            throw CheckpointError(parameter: nil, "holds no \(weights == .training ? "model" : "EMA") weights (no parameter starts with \"\(prefix)\")")
        }
        try module.loadParameters(selected, from: "the checkpoint's \(prefix.dropLast()) weights")
    }
}
