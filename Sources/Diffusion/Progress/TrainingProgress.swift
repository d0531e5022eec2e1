import Foundation

/// A report on a run in progress, sent to the trainer's progress callback every
/// `logInterval` steps and at the last step.
public struct TrainingProgress: Sendable, Equatable {
    /// Steps completed, counting those before a resume.
    public var step: Int
    /// The steps of the whole run.
    public var totalSteps: Int
    /// The last step's mini-batch loss.
    public var loss: Float
    /// The bias-corrected moving average of the losses (`TrainingHistory.smoothedLoss`).
    public var smoothedLoss: Float
    /// Steps per second since this `train` call began.
    public var stepsPerSecond: Double
    /// The time the remaining steps should take at that rate, in seconds.
    public var secondsRemaining: Double
    /// The last step's learning rate.
    public var learningRate: Float
    /// The last step's gradient norm, before clipping.
    public var gradientNorm: Float

    /// A report of these values.
    public init(step: Int, totalSteps: Int, loss: Float, smoothedLoss: Float, stepsPerSecond: Double,
                secondsRemaining: Double, learningRate: Float, gradientNorm: Float) {
        self.step = step
        self.totalSteps = totalSteps
        self.loss = loss
        self.smoothedLoss = smoothedLoss
        self.stepsPerSecond = stepsPerSecond
        self.secondsRemaining = secondsRemaining
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
    }

    /// One terminal line: a bar `barWidth` characters wide, then the numbers, for example
    ///
    ///     [#########...........]  450/1000  45%  loss 0.0213 (0.0240)  12.3 step/s  ETA 0:45  lr 1.00e-04  |g| 0.82
    ///
    /// Write it after a carriage return ("\r") to redraw the line in place.
    public func renderedLine(barWidth: Int = 20) -> String {
        ProgressLine.bar(step: step, of: totalSteps, width: barWidth)
            + "  loss \(Self.number(loss)) (\(Self.number(smoothedLoss)))"
            + "  \(String(format: "%.1f", stepsPerSecond)) step/s"
            + "  ETA \(ProgressLine.duration(secondsRemaining))"
            + "  lr \(String(format: "%.2e", Double(learningRate)))"
            + "  |g| \(Self.number(gradientNorm))"
    }

    /// Four significant digits, in scientific notation when very small or large.
    static func number(_ value: Float) -> String {
        let magnitude = Swift.abs(value)
        return magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e4) ? String(format: "%.3e", Double(value))
            : String(format: "%.4g", Double(value))
    }
}
