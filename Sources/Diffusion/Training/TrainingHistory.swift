/// What each completed step of a run measured, in step order, for plotting in a notebook:
/// `loss[i]`, `learningRate[i]` and `gradientNorm[i]` belong to step i + 1.
public struct TrainingHistory: Sendable, Equatable {
    /// The mini-batch loss of each step.
    public var loss: [Float] = []
    /// The learning rate each step used.
    public var learningRate: [Float] = []
    /// The gradients' global L2 norm of each step, before clipping.
    public var gradientNorm: [Float] = []

    public init() {}

    /// The number of steps recorded.
    public var count: Int { loss.count }

    /// Appends one step's measurements.
    mutating func record(loss: Float, learningRate: Float, gradientNorm: Float) {
        self.loss.append(loss)
        self.learningRate.append(learningRate)
        self.gradientNorm.append(gradientNorm)
    }

    /// An exponential moving average of the losses with bias correction (as Adam corrects its
    /// moments): s = β s + (1 - β) loss from s = 0, reported as s / (1 - β^n) after n steps, so
    /// the first value is the first loss rather than a fraction of it. β = 0.98 averages about
    /// the last 50 steps: the curve a progress bar shows, less jumpy than single batches.
    public func smoothedLoss(beta: Double = 0.98) -> Float? {
        guard !loss.isEmpty else { return nil }
        var s = 0.0, weight = 1.0
        for value in loss {
            s = beta * s + (1 - beta) * Double(value)
            weight *= beta
        }
        return Float(s / (1 - weight))
    }
}
