extension Tensor {
    /// A tensor of `shape` with every value `value`.
    public static func full(_ shape: [Int], value: Float) throws -> Tensor {
        try filled(shape, value: value, op: "full")
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) throws -> Tensor {
        try filled(shape, value: 0, op: "zeros")
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) throws -> Tensor {
        try filled(shape, value: 1, op: "ones")
    }

    private static func filled(_ shape: [Int], value: Float, op: String) throws -> Tensor {
        try Shape.checkAllocation(shape, op: op)
        return Tensor(uncheckedShape: shape, scalars: [Float](repeating: value, count: Shape.count(shape)))
    }

    /// 0, 1, ..., end - 1, as NumPy's arange(end).
    public static func arange(_ end: Double) throws -> Tensor {
        try arange(0, end)
    }

    /// start, start + step, ... up to but excluding `end`, as NumPy's arange. Each value is
    /// computed as start + i * step (in Double), so long ranges do not accumulate rounding error.
    public static func arange(_ start: Double, _ end: Double, step: Double = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError("arange", "needs finite start, end and a non-zero step (got \(start), \(end), \(step))")
        }
        let steps = ((end - start) / step).rounded(.up)
        guard steps <= Double(Int32.max) else {
            throw TensorError("arange", "from \(start) to \(end) by \(step) would hold \(steps) values")
        }
        let count = Swift.max(0, Int(steps))
        try Shape.checkAllocation([count], op: "arange")
        return Tensor((0..<count).map { Float(start + Double($0) * step) })
    }

    /// `count` evenly spaced values from `start` to `end`, both included, as NumPy's linspace.
    public static func linspace(_ start: Double, _ end: Double, count: Int) throws -> Tensor {
        guard count >= 0 else { throw TensorError("linspace", "count must be non-negative, got \(count)") }
        try Shape.checkAllocation([count], op: "linspace")
        guard count > 1 else { return Tensor(count == 1 ? [Float(start)] : []) }
        let step = (end - start) / Double(count - 1)
        // The last value is exactly `end`, not start + (count - 1) * step rounded.
        return Tensor((0..<count).map { $0 == count - 1 ? Float(end) : Float(start + Double($0) * step) })
    }
}
