import Foundation

/// How far a run of steps has come (a sampler's steps, a batch's chunks), with its rate and the
/// time left, as a progress line such as
///
///     sampling [########............] 20/50  40%  3.1 step/s  ETA 0:09
///
/// The clock starts when the meter is made.
public struct StepProgress: Sendable {
    /// What runs: "sampling", "encoding".
    public let label: String
    /// What a step is called in the rate: "step", "batch".
    public let unit: String
    private let start: ContinuousClock.Instant

    public init(_ label: String, unit: String = "step", startingAt start: ContinuousClock.Instant = .now) {
        self.label = label
        self.unit = unit
        self.start = start
    }

    /// The line after `completed` of `total` steps, timed at `now`.
    public func line(completed: Int, of total: Int, at now: ContinuousClock.Instant = .now) -> String {
        let elapsed = (now - start) / .seconds(1)
        let rate = elapsed > 0 ? Double(completed) / elapsed : 0
        let remaining = rate > 0 ? Double(total - completed) / rate : .nan
        return "\(label) " + ProgressLine.bar(step: completed, of: total)
            + "  \(String(format: "%.1f", rate)) \(unit)/s  ETA \(ProgressLine.duration(remaining))"
    }
}

/// The parts of a progress line that training and sampling share.
public enum ProgressLine {
    /// A bar `width` characters wide, the count and the percentage, for example
    /// "[#########...........]  450/1000  45%".
    public static func bar(step: Int, of total: Int, width: Int = 20) -> String {
        let fraction = total > 0 ? Swift.min(Swift.max(Double(step) / Double(total), 0), 1) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let digits = String(total).count
        let counter = String(repeating: " ", count: Swift.max(digits - String(step).count, 0)) + "\(step)/\(total)"
        return "[\(bar)] \(counter) \(String(format: "%3d%%", Int((fraction * 100).rounded(.down))))"
    }

    /// h:mm:ss, or m:ss under an hour; "--" when unknown.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--" }
        let total = Int(seconds.rounded())
        let (hours, rest) = total.quotientAndRemainder(dividingBy: 3600)
        let (minutes, secs) = rest.quotientAndRemainder(dividingBy: 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
