import Engine

/// How a `Trainer` trains: how long, on which batches, at which rates, and what it saves.
///
/// The entries that change the numbers a run computes (batch size, random key, schedule, clipping,
/// EMA decay) must be the same when a run is resumed; `steps` may grow (to train longer), and
/// where and how often checkpoints and progress are written may change freely.
public struct TrainingConfiguration: Sendable {
    /// The optimizer steps of the whole run, counting those before a resume.
    public var steps: Int
    /// Samples per mini-batch.
    public var batchSize: Int
    /// The key of the data order (`random.child("order")`) and of the loss's draws
    /// (`random.child("loss")`).
    public var random: RandomKey
    /// The learning rate of each step (warm-up included), set on the optimizer before the step.
    public var schedule: any LearningRateSchedule
    /// Clip the gradients' global L2 norm to this value (`clipGradientNorm`); nil: no clipping.
    public var maxGradientNorm: Float?
    /// Keep an exponential moving average of the weights with this decay; nil: none.
    public var emaDecay: Float?
    /// The EMA's warm-up of its decay (used only with `emaDecay`).
    public var emaSchedule: ExponentialMovingAverage.DecaySchedule
    /// Where checkpoints go (.h5, .hdf5 or .safetensors, replaced atomically each time); nil: none.
    public var checkpointPath: String?
    /// Write a checkpoint every this many steps (and at the end, and on cancellation).
    public var checkpointInterval: Int
    /// Also write one when this many seconds of wall time have passed since the last (or the
    /// start); nil: by steps only. Wall time decides only when files are written, never what is
    /// computed, so a run's weights do not depend on it.
    public var checkpointSeconds: Double?
    /// Report progress every this many steps (and at the last step).
    public var logInterval: Int
    /// What the run trains on and from, as a fingerprint (of the data and the starting
    /// weights, say): a checkpoint of another is not resumed. nil: not checked.
    public var dataIdentity: String?

    /// Refuses steps, batch size or intervals below 1, a clipping norm that is not above 0, and
    /// an EMA decay outside [0, 1].
    public init(
        steps: Int, batchSize: Int, random: RandomKey, schedule: any LearningRateSchedule,
        maxGradientNorm: Float? = nil, emaDecay: Float? = nil,
        emaSchedule: ExponentialMovingAverage.DecaySchedule = .fixed,
        checkpointPath: String? = nil, checkpointInterval: Int = 1000, logInterval: Int = 10
    ) throws {
        guard steps >= 1, batchSize >= 1, checkpointInterval >= 1, logInterval >= 1 else {
            throw TrainingError.configuration("steps, batch size, checkpoint interval and log interval must be at least 1 (got \(steps), \(batchSize), \(checkpointInterval), \(logInterval))")
        }
        if let maxGradientNorm, !(maxGradientNorm > 0 && maxGradientNorm.isFinite) {
            throw TrainingError.configuration("the maximum gradient norm must be a finite number above 0, got \(maxGradientNorm)")
        }
        if let emaDecay, !(0...1).contains(emaDecay) {
            throw TrainingError.configuration("the EMA decay must be in [0, 1], got \(emaDecay)")
        }
        self.steps = steps
        self.batchSize = batchSize
        self.random = random
        self.schedule = schedule
        self.maxGradientNorm = maxGradientNorm
        self.emaDecay = emaDecay
        self.emaSchedule = emaSchedule
        self.checkpointPath = checkpointPath
        self.checkpointInterval = checkpointInterval
        self.logInterval = logInterval
    }

    /// The entries a resumed run must share with the run that wrote the checkpoint, as text: the
    /// checkpoint's configuration. The schedule is described by its type and fields.
    public var resumeEntries: [String: String] {
        [
            "training.batchSize": String(batchSize),
            "training.random": random.description,
            "training.schedule": String(describing: schedule),
            "training.maxGradientNorm": maxGradientNorm.map { String($0) } ?? "none",
            "training.emaDecay": emaDecay.map { String($0) } ?? "none",
            "training.emaSchedule": String(describing: emaSchedule),
        ].merging(dataIdentity.map { ["training.data": $0] } ?? [:]) { $1 }
    }
}
