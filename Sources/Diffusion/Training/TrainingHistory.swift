/// What each completed step of a run measured, in step order, for plotting in a notebook:
/// `loss[i]`, `learningRate[i]` and `gradientNorm[i]` belong to step i + 1; `validationLoss[j]`
/// was measured after step `validationStep[j]`, when the run has a validation set.
public struct TrainingHistory: Sendable, Equatable {
    /// The mini-batch loss of each step.
    public private(set) var loss: [Float] = []
    /// The learning rate each step used.
    public private(set) var learningRate: [Float] = []
    /// The gradients' global L2 norm of each step, before clipping.
    public private(set) var gradientNorm: [Float] = []
    /// The steps after which the validation loss was measured, ascending.
    public private(set) var validationStep: [Int] = []
    /// The loss over the whole validation set after each of `validationStep`.
    public private(set) var validationLoss: [Float] = []
    /// The running average s and the weight β^n of `smoothedLoss`.
    private var average = 0.0, decayed = 1.0

    /// β of `smoothedLoss`: 0.98 averages about the last 50 steps.
    public static let smoothing = 0.98

    /// An empty history.
    public init() {}

    /// The number of steps recorded.
    public var count: Int { loss.count }

    /// Appends one step's measurements.
    public mutating func record(loss: Float, learningRate: Float, gradientNorm: Float) {
        self.loss.append(loss)
        self.learningRate.append(learningRate)
        self.gradientNorm.append(gradientNorm)
        average = Self.smoothing * average + (1 - Self.smoothing) * Double(loss)
        decayed *= Self.smoothing
    }

    /// Appends the validation loss measured after `step` (the last step recorded).
    public mutating func recordValidation(step: Int, loss: Float) {
        validationStep.append(step)
        validationLoss.append(loss)
    }

    /// An exponential moving average of the losses with bias correction (as Adam corrects its
    /// moments): s = β s + (1 - β) loss from s = 0, reported as s / (1 - β^n) after n steps, so
    /// the first value is the first loss rather than a fraction of it. The curve a progress bar
    /// shows, less jumpy than single batches; nil before the first step. Kept up to date by
    /// `record`, so asking costs nothing however long the run.
    public var smoothedLoss: Float? {
        count > 0 ? Float(average / (1 - decayed)) : nil
    }
}
