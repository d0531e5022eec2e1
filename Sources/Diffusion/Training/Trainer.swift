import Engine
import Foundation
import Formats

/// The samples of one training step.
public struct TrainingBatch: Sendable, Equatable {
    /// The step's number, from 1.
    public let step: Int
    /// The indices of the step's samples in the data set (take them with `Tensor.samples(at:)`).
    public let indices: [Int]
}

/// How a call to `Trainer.train` ended.
public struct TrainingResult: Sendable, Equatable {
    /// Whether the run reached its last step or was cancelled.
    public enum Outcome: Sendable, Equatable {
        /// All `configuration.steps` steps are done.
        case completed
        /// Stopped by the cancellation flag after `atStep` completed steps.
        case cancelled(atStep: Int)
    }

    /// Whether the run completed or was cancelled.
    public let outcome: Outcome
    /// The steps completed, counting those before a resume.
    public let completedSteps: Int
    /// Every completed step's loss, learning rate and gradient norm, from step 1.
    public let history: TrainingHistory
}

/// A training loop for any model and loss: the autoencoder and the diffusion UNet alike.
///
/// Each step (the loop of `Optimizer`'s documentation, made safe and resumable):
///
/// 1. stop if cancellation was requested (after a checkpoint, if there is a path);
/// 2. take the step's mini-batch from `BatchOrder` and the learning rate from the schedule
///    (warm-up included), and set it on the optimizer;
/// 3. compute the loss with the model's gradients zeroed; a loss that is not finite stops training;
/// 4. backward; clip the gradients' global norm if configured, recording the norm before
///    clipping; a norm that is not finite stops training, before any weight changes;
/// 5. the optimizer step, then the EMA update; then, if there is an adversary, its own step on
///    the same batch (`TrainingAdversary`);
/// 6. record the history, report progress every `logInterval` steps and write a checkpoint every
///    `checkpointInterval` steps.
///
/// Everything random comes from the configuration's key: the data order from `BatchOrder` (its
/// child "order"), the loss's own draws
/// (diffusion timesteps and noise, a VAE's sampling) from the stream the loss is handed (its
/// child "loss"), whose position the checkpoints keep. So two runs with the same key compute the same weights bit for
/// bit, and a run resumed from a checkpoint computes the weights the uninterrupted run would have.
/// The loss must draw its randomness only from that stream for this to hold.
public final class Trainer {
    /// Computes the loss of a mini-batch: a single-value Variable built from the model's
    /// parameters, drawing any randomness from `random`.
    public typealias LossFunction = (_ batch: TrainingBatch, _ random: inout RandomStream) throws -> Variable

    /// The model being optimised.
    public let model: Module
    /// The optimizer over the model's parameters.
    public let optimizer: any StatefulOptimizer
    /// How to train.
    public let configuration: TrainingConfiguration
    /// The data order.
    public private(set) var order: BatchOrder
    /// The exponential moving average of the weights, if the configuration asks for one.
    public let average: ExponentialMovingAverage?
    /// Steps completed, counting those before a resume.
    public private(set) var completedSteps = 0
    /// Every completed step's measurements.
    public private(set) var history = TrainingHistory()
    /// The stream the loss draws from: the key `configuration.random.child("loss")`.
    public private(set) var random: RandomStream
    private let loss: LossFunction
    /// The network trained against the model after each step, if any.
    public let adversary: TrainingAdversary?
    /// The held-out set whose loss is measured every few steps, if any.
    public let validation: Validation?
    /// When set, each checkpoint is first written beside its path (`stagedPath(for:)`), handed to
    /// this with the path it is for (a notebook's cache seals it), and only then renamed into
    /// place: a run killed at any moment leaves the previous checkpoint or the new one, each
    /// sealed. When nil, checkpoints are written in place.
    public var afterCheckpoint: ((_ staged: String, _ path: String) throws -> Void)?
    /// When set, a checkpoint that cannot be written (a full disk) is reported here once and
    /// no more are tried, and training goes on; when nil, the error stops training.
    public var checkpointFailed: ((Error) -> Void)?

    /// A held-out set: its loss is measured after every `interval` steps and after the last, in
    /// batches of `batchSize`, with the model in evaluation mode and the same random draws each
    /// time (the key's child "validation"), so that the points of the curve differ only by the
    /// weights. Measuring changes nothing the run computes: not the weights, not the loss's
    /// random stream.
    public struct Validation {
        public let loss: LossFunction
        public let count: Int
        public let batchSize: Int
        public let interval: Int

        public init(loss: @escaping LossFunction, count: Int, batchSize: Int, interval: Int) throws {
            guard count >= 1, batchSize >= 1, interval >= 1 else {
                throw TrainingError.configuration("a validation set needs at least one sample, and its batch size and interval must be at least 1")
            }
            self.loss = loss
            self.count = count
            self.batchSize = batchSize
            self.interval = interval
        }
    }

    /// A trainer of `model` on a data set of `datasetCount` samples. The optimizer must be built
    /// over exactly the model's parameters.
    public init(model: Module, optimizer: any StatefulOptimizer, datasetCount: Int,
                configuration: TrainingConfiguration, adversary: TrainingAdversary? = nil,
                validation: Validation? = nil, loss: @escaping LossFunction) throws {
        try TrainingError.requireOptimizer(optimizer, updating: model, owner: "the model's")
        self.model = model
        self.optimizer = optimizer
        self.configuration = configuration
        self.order = try BatchOrder(count: datasetCount, batchSize: configuration.batchSize,
                                    random: configuration.random.child("order"))
        self.average = try configuration.emaDecay.map {
            try ExponentialMovingAverage(of: model, decay: $0, schedule: configuration.emaSchedule)
        }
        self.random = configuration.random.child("loss").stream
        self.loss = loss
        if let adversary, !Set(adversary.model.parameters.map(ObjectIdentifier.init)).isDisjoint(with: model.parameters.map(ObjectIdentifier.init)) {
            throw TrainingError.configuration("the adversary shares parameters with the model")
        }
        self.adversary = adversary
        self.validation = validation
    }

    /// The checkpoint's configuration: what must match on resume, plus the run's length and the
    /// data set's size and the optimizer's type.
    private var checkpointConfiguration: [String: String] {
        configuration.resumeEntries.merging([
            "training.steps": String(configuration.steps),
            "training.datasetCount": String(order.count),
        ]) { $1 }
    }

    /// Writes everything needed to resume to `path` (.h5, .hdf5 or .safetensors), atomically.
    public func saveCheckpoint(to path: String) throws {
        let state = TrainingState(
            step: completedSteps, randomPosition: random.position,
            model: model.namedParameters().map { ($0.path, $0.variable.value) },
            optimizer: optimizer.exportState(), average: average?.exportState(),
            adversary: adversary.map { ($0.model.namedParameters().map { ($0.path, $0.variable.value) }, $0.optimizer.exportState()) },
            history: history, configuration: checkpointConfiguration)
        try Checkpoint.write(state.checkpoint, to: path)
    }

    /// Where a checkpoint for `path` is staged: `run.h5` as `run.staged.h5`, keeping the
    /// extension that names its format.
    public static func stagedPath(for path: String) -> String {
        let stem = (path as NSString).deletingPathExtension, format = (path as NSString).pathExtension
        return format.isEmpty ? path + ".staged" : stem + ".staged." + format
    }

    /// Restores the model, optimizer, EMA, history, step and random stream from a checkpoint this
    /// trainer's configuration wrote. Refuses, with the reason, a checkpoint of another model
    /// (a parameter missing or of another shape), another optimizer, another data set size, or
    /// another configuration (batch size, random key, schedule, clipping, EMA); `steps` may differ, to
    /// train longer. On error nothing changes.
    public func resume(from path: String) throws {
        func fail(_ reason: String) -> TrainingError { .incompatibleCheckpoint(path: path, reason: reason) }
        let state = try TrainingState(Checkpoint(reading: path), path: path)
        let expected = checkpointConfiguration
        if state.configuration["training.random"] == nil, state.configuration["training.seed"] != nil {
            throw fail("it was written by an earlier medsynth, whose training drew its random numbers differently: "
                       + "resuming it would not continue the same run; start again from step 0")
        }
        for key in expected.keys.sorted() where key != "training.steps" && state.configuration[key] != expected[key] {
            throw fail("its \(key) is \(state.configuration[key] ?? "missing") but this run's is \(expected[key]!)")
        }
        guard state.step <= configuration.steps else {
            throw fail("it was written after step \(state.step), beyond this run's \(configuration.steps) steps")
        }
        guard (state.average == nil) == (average == nil) else {
            throw fail(average == nil ? "it has EMA weights but this run keeps no EMA" : "it has no EMA weights but this run keeps an EMA")
        }
        guard (state.adversary == nil) == (adversary == nil) else {
            throw fail(adversary == nil ? "it has an adversary but this run has none" : "it has no adversary but this run has one")
        }
        // Each part checks everything before it changes; if a later part refuses, the earlier ones are put back.
        let weights = model.namedParameters().map { ($0.path, $0.variable.value) }
        let optimizerState = optimizer.exportState(), averageState = average?.exportState()
        let adversaryState = adversary.map { ($0.model.namedParameters().map { ($0.path, $0.variable.value) }, $0.optimizer.exportState()) }
        do {
            try model.loadParameters(state.model, from: "the checkpoint")
            try optimizer.importState(state.optimizer)
            if let average, let saved = state.average { try average.importState(saved) }
            if let adversary, let saved = state.adversary {
                try adversary.model.loadParameters(saved.model, from: "the checkpoint's adversary")
                try adversary.optimizer.importState(saved.optimizer)
            }
        } catch {
            try model.loadParameters(weights)
            try optimizer.importState(optimizerState)
            if let average, let averageState { try average.importState(averageState) }
            if let adversary, let adversaryState {
                try adversary.model.loadParameters(adversaryState.0)
                try adversary.optimizer.importState(adversaryState.1)
            }
            throw fail("\(error)")
        }
        completedSteps = state.step
        history = state.history
        random = RandomStream(seed: random.seed, stream: random.stream, position: state.randomPosition)
    }

    /// Trains until `configuration.steps` steps are complete or `cancellation` is set, calling
    /// `progress` every `logInterval` steps and at the last. Switches the model to training mode.
    /// Throws `TrainingError.nonFinite` when the loss or the gradient norm is NaN or infinite,
    /// with the weights, optimizer and EMA as they were after the step before and no checkpoint
    /// written for the failed step.
    public func train(cancellation: CancellationFlag? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainingResult {
        model.setTraining(true)
        let clock = ContinuousClock(), start = clock.now, firstStep = completedSteps
        var lastCheckpoint: Int? = nil
        var lastCheckpointTime = start
        var checkpointsFailed = false
        func checkpoint() throws {
            guard let path = configuration.checkpointPath, lastCheckpoint != completedSteps, !checkpointsFailed else { return }
            do {
                if let afterCheckpoint {
                    let staged = Self.stagedPath(for: path)
                    try saveCheckpoint(to: staged)
                    try afterCheckpoint(staged, path)
                    guard rename(staged, path) == 0 else {
                        throw TrainingError.configuration("cannot move the checkpoint into place at \(path): \(String(cString: strerror(errno)))")
                    }
                } else {
                    try saveCheckpoint(to: path)
                }
            } catch {
                guard let checkpointFailed else { throw error }
                checkpointFailed(error)
                checkpointsFailed = true
            }
            lastCheckpoint = completedSteps
            lastCheckpointTime = clock.now
        }
        while completedSteps < configuration.steps {
            if cancellation?.isCancelled == true {
                try checkpoint()
                return TrainingResult(outcome: .cancelled(atStep: completedSteps), completedSteps: completedSteps, history: history)
            }
            let (value, rate, norm) = try takeStep()
            completedSteps += 1
            history.record(loss: value, learningRate: rate, gradientNorm: norm)
            if let validation, completedSteps % validation.interval == 0 || completedSteps == configuration.steps {
                history.recordValidation(step: completedSteps, loss: try validationLoss(validation))
            }
            if let progress, completedSteps % configuration.logInterval == 0 || completedSteps == configuration.steps {
                let elapsed = (clock.now - start) / .seconds(1)
                let rate = Double(completedSteps - firstStep) / Swift.max(elapsed, 1e-9)
                progress(TrainingProgress(
                    step: completedSteps, totalSteps: configuration.steps, loss: value,
                    smoothedLoss: history.smoothedLoss ?? value, stepsPerSecond: rate,
                    secondsRemaining: Double(configuration.steps - completedSteps) / rate,
                    learningRate: history.learningRate.last!, gradientNorm: norm))
            }
            if completedSteps % configuration.checkpointInterval == 0 { try checkpoint() }
            if let seconds = configuration.checkpointSeconds, (clock.now - lastCheckpointTime) / .seconds(1) >= seconds { try checkpoint() }
        }
        try checkpoint()
        return TrainingResult(outcome: .completed, completedSteps: completedSteps, history: history)
    }

    /// The mean loss over the validation set with the current weights.
    private func validationLoss(_ validation: Validation) throws -> Float {
        model.setTraining(false)
        defer { model.setTraining(true) }
        var stream = configuration.random.child("validation").stream
        var total = 0.0
        for start in stride(from: 0, to: validation.count, by: validation.batchSize) {
            let indices = Array(start..<min(start + validation.batchSize, validation.count))
            let output = try GradientMode.withoutGradients { try validation.loss(TrainingBatch(step: completedSteps, indices: indices), &stream) }
            guard output.value.count == 1 else {
                throw TrainingError.configuration("the validation loss must be a single value, but it has shape \(output.shape)")
            }
            total += Double(output.value.scalars[0]) * Double(indices.count)
        }
        return Float(total / Double(validation.count))
    }

    /// Steps 2 to 5 of one training step; returns its loss, learning rate and gradient norm. The
    /// random stream moves on only if the step is applied.
    private func takeStep() throws -> (loss: Float, learningRate: Float, gradientNorm: Float) {
        let number = completedSteps + 1
        let batch = TrainingBatch(step: number, indices: order.indices(afterSteps: completedSteps))
        let rate = configuration.schedule.learningRate(atStep: completedSteps)
        optimizer.learningRate = rate
        optimizer.zeroGradients()
        var stream = random
        let output = try loss(batch, &stream)
        guard output.value.count == 1 else {
            throw TrainingError.configuration("the loss must be a single value, but it has shape \(output.shape)")
        }
        let value = output.value.scalars[0]
        guard value.isFinite else {
            throw TrainingError.nonFinite(step: number, quantity: "loss", value: value, lastFiniteLoss: history.loss.last)
        }
        try output.backward()
        let norm = try configuration.maxGradientNorm.map { try clipGradientNorm(optimizer.parameters, maxNorm: $0) }
            ?? gradientNorm(optimizer.parameters)
        guard norm.isFinite else {
            throw TrainingError.nonFinite(step: number, quantity: "gradient norm", value: norm, lastFiniteLoss: value)
        }
        try optimizer.step()
        try average?.update()
        if let adversary {
            adversary.optimizer.zeroGradients()
            if let adversaryLoss = try adversary.loss(batch, &stream) {
                guard adversaryLoss.value.count == 1, adversaryLoss.value.scalars[0].isFinite else {
                    throw TrainingError.nonFinite(step: number, quantity: "adversary loss",
                                                  value: adversaryLoss.value.scalars.first ?? .nan, lastFiniteLoss: value)
                }
                try adversaryLoss.backward()
                try adversary.optimizer.step()
            }
        }
        random = stream
        return (value, rate, norm)
    }
}
