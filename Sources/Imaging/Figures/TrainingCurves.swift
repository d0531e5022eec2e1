extension LinePlot {
    /// The curves of a training run: the loss of each step, its smoothed curve (the
    /// bias-corrected exponential average with weight `smoothing`, as Adam corrects its
    /// moments), and the validation loss when there is one. The y axis is logarithmic when
    /// every loss is positive, as losses falling over decades read best that way.
    public static func trainingCurves(
        steps: [Double], loss: [Double], validationSteps: [Double] = [], validationLoss: [Double] = [],
        smoothing: Double, title: String = "training loss"
    ) -> LinePlot {
        var average = 0.0, decayed = 1.0
        let smoothed = loss.map { value -> Double in
            average = smoothing * average + (1 - smoothing) * value
            decayed *= smoothing
            return average / (1 - decayed)
        }
        var series: [Series] = [Series(name: "batch loss", x: steps, y: loss), Series(name: "smoothed", x: steps, y: smoothed)]
        if !validationSteps.isEmpty, validationSteps.count == validationLoss.count {
            series.append(Series(name: "validation", x: validationSteps, y: validationLoss))
        }
        let positive = (loss + validationLoss).allSatisfy { !$0.isFinite || $0 > 0 }
        return LinePlot(series: series, title: title, xLabel: "step", yLabel: "loss", logY: positive)
    }
}
