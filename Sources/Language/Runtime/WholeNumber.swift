/// The one conversion from the language's numbers to Swift's `Int`.
///
/// Numbers in medsynth are Doubles, and `Int(_:)` traps on NaN, on infinities and on anything
/// beyond ±2^63: `reshape x [1e30]` or `mean x axes=[0/0]` would end the process. Every verb,
/// operator and check that needs a whole number converts through `Int(wholeNumber:in:)`, which
/// answers nil instead, so the caller can say which verb and option got what.
extension Int {
    /// The whole numbers a Double holds exactly, -2^53 ... 2^53: beyond them not every integer
    /// is a Double, so a number there cannot be trusted to be the integer the user wrote.
    public static let exactInDouble: ClosedRange<Int> = -(1 << 53)...(1 << 53)

    /// `value` as an Int when it is finite, whole and in `range`; nil otherwise.
    public init?(wholeNumber value: Double, in range: ClosedRange<Int> = Int.exactInDouble) {
        // The magnitude check comes before `Int(value)`, which is what traps.
        guard value.isFinite, value == value.rounded(), value.magnitude <= 9_007_199_254_740_992 else { return nil }
        let integer = Int(value)
        guard range.contains(integer) else { return nil }
        self = integer
    }

    /// How a message states a range: ">= 0", "<= 8" or "in 1...64".
    public static func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound >= exactInDouble.upperBound, range.lowerBound <= exactInDouble.lowerBound { return "" }
        if range.upperBound >= exactInDouble.upperBound { return ">= \(range.lowerBound)" }
        if range.lowerBound <= exactInDouble.lowerBound { return "<= \(range.upperBound)" }
        return "in \(range.lowerBound)...\(range.upperBound)"
    }
}
