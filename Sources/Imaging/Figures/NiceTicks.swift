import Foundation

/// Axis ticks at "nice" numbers: multiples of 1, 2 or 5 times a power of ten (Heckbert, "Nice
/// numbers for graph labels", Graphics Gems, 1990).
public struct NiceTicks: Sendable, Equatable {
    /// The axis range, widened outwards to whole steps so the first and last ticks are its ends.
    public var range: ClosedRange<Double>
    /// The distance between ticks.
    public var step: Double
    /// The tick values, from range.lowerBound to range.upperBound.
    public var values: [Double]

    /// Ticks covering `low...high`, about `count` intervals: the step is the smallest of
    /// 1, 2, 5, 10 × 10^k that is at least (high - low) / count. Equal ends are widened by one
    /// on each side (or by 10% of their size).
    public init(low: Double, high: Double, count: Int = 5) {
        var (low, high) = (Swift.min(low, high), Swift.max(low, high))
        if high == low {
            let half = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (low - half, high + half)
        }
        let raw = (high - low) / Double(Swift.max(count, 1))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        // 10 x 0.1 is 1.0000000000000002 in binary: twelve significant digits are the step meant.
        let step = Double(String(format: "%.12g", nice * magnitude))!
        self.step = step
        // Widen the ends to whole steps; an end within rounding error of a step is on it.
        let first = (low / step + 1e-9).rounded(.down)
        let last = (high / step - 1e-9).rounded(.up)
        values = (0...Int(last - first)).map { (first + Double($0)) * step }
        range = values.first!...values.last!
    }

    /// `value` as a tick label: as many decimals as the step needs, no more ("0.25", "10", "-0.5").
    public func label(_ value: Double) -> String {
        let decimals = Swift.max(0, Int((-log10(step) - 1e-9).rounded(.up)))
        let text = String(format: "%.\(decimals)f", value)
        // "-0" and "-0.0" are zero.
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }
}

/// Ticks for a logarithmic axis: the powers of ten from the one at or below `low` to the one at
/// or above `high` (both must be positive).
func logTicks(low: Double, high: Double) -> [Double] {
    let first = Int(log10(low).rounded(.down))
    var last = Int(log10(high).rounded(.up))
    if last == first { last += 1 }
    return (first...last).map { pow(10, Double($0)) }
}

/// A power of ten as a tick label: "0.01", "1", "1000" for exponents -2...3, else "1e-5", "1e6".
func logTickLabel(_ value: Double) -> String {
    let exponent = Int(log10(value).rounded())
    switch exponent {
    case -2 ..< 0: return String(format: "%.\(-exponent)f", value)
    case 0 ... 3: return String(Int(value.rounded()))
    default: return "1e\(exponent)"
    }
}
