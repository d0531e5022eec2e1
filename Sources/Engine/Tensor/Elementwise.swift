extension Tensor {
    /// Applies `kernel` to every value, in parallel chunks for large tensors.
    func map<K: UnaryKernel>(_ kernel: K) -> Tensor {
        withUnsafeBufferPointer { input in
            Tensor.build(shape: shape) { output in
                Parallel.forEachChunk(count: input.count, grain: Parallel.elementGrain) { _, range in
                    for i in range { output[i] = kernel(input[i]) }
                }
            }
        }
    }

    /// Combines two tensors value by value with NumPy broadcasting.
    static func combine<K: BinaryKernel>(_ op: String, _ a: Tensor, _ b: Tensor, _ kernel: K) throws -> Tensor {
        if a.shape == b.shape {
            return a.withUnsafeBufferPointer { x in
                b.withUnsafeBufferPointer { y in
                    build(shape: a.shape) { out in
                        Parallel.forEachChunk(count: out.count, grain: Parallel.elementGrain) { _, range in
                            for i in range { out[i] = kernel(x[i], y[i]) }
                        }
                    }
                }
            }
        }
        let plan = try BroadcastPlan(op: op, shapes: [a.shape, b.shape])
        let walk = plan.walk, length = walk.rowLength
        let strideA = walk.rowStride(1), strideB = walk.rowStride(2)
        return try a.withUnsafeBufferPointer { x in
            try b.withUnsafeBufferPointer { y in
                try build(shape: plan.outputShape, op: op, largestInput: Swift.max(a.count, b.count)) { out in
                    walk.forEachRow { _, offsets in
                        let o = out.baseAddress! + offsets[0]
                        let p = x.baseAddress! + offsets[1], q = y.baseAddress! + offsets[2]
                        // The three row patterns, written out so each loop vectorises.
                        switch (strideA, strideB) {
                        case (1, 1): for j in 0..<length { o[j] = kernel(p[j], q[j]) }
                        case (1, 0): let v = q[0]; for j in 0..<length { o[j] = kernel(p[j], v) }
                        case (0, 1): let v = p[0]; for j in 0..<length { o[j] = kernel(v, q[j]) }
                        default: for j in 0..<length { o[j] = kernel(p[j * strideA], q[j * strideB]) }
                        }
                    }
                }
            }
        }
    }

    /// The variants of GELU.
    public enum GELUApproximation: Sendable {
        /// Exact: x * Phi(x) through erf (PyTorch's default).
        case none
        /// The tanh approximation (PyTorch's approximate="tanh").
        case tanh
    }

    /// e^x.
    public func exp() -> Tensor { map(Exp()) }
    /// The natural logarithm; NaN for negative values, -infinity for 0.
    public func log() -> Tensor { map(Log()) }
    /// The square root; NaN for negative values.
    public func sqrt() -> Tensor { map(SquareRoot()) }
    /// The absolute value.
    public func abs() -> Tensor { map(Absolute()) }
    /// Each value raised to `exponent`.
    public func pow(_ exponent: Float) -> Tensor { map(PowerOf(exponent: exponent)) }
    /// Each value raised to the matching value of `exponent` (broadcast).
    public func pow(_ exponent: Tensor) throws -> Tensor { try Tensor.combine("pow", self, exponent, Power()) }
    /// The hyperbolic tangent.
    public func tanh() -> Tensor { map(HyperbolicTangent()) }
    /// The logistic function 1 / (1 + e^-x).
    public func sigmoid() -> Tensor { map(Sigmoid()) }
    /// SiLU: x * sigmoid(x).
    public func silu() -> Tensor { map(SiLU()) }
    /// GELU: x * Phi(x), exact by default.
    public func gelu(approximation: GELUApproximation = .none) -> Tensor { map(GELU(approximation: approximation)) }

    /// Limits every value to [lower, upper]; either bound may be omitted.
    public func clamp(min lower: Float = -.infinity, max upper: Float = .infinity) throws -> Tensor {
        guard !(lower > upper) else { throw TensorError("clamp", "lower bound \(lower) is above upper bound \(upper)") }
        return map(Clamp(lower: lower, upper: upper))
    }

    /// The larger of the two values at each position (broadcast); NaN if either is NaN.
    public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try combine("maximum", a, b, Maximum()) }
    /// The smaller of the two values at each position (broadcast); NaN if either is NaN.
    public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try combine("minimum", a, b, Minimum()) }
}

// MARK: - Arithmetic operators

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try combine("add", a, b, Add()) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try combine("subtract", a, b, Subtract()) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try combine("multiply", a, b, Multiply()) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try combine("divide", a, b, Divide()) }

    // A scalar operand broadcasts to any shape, so these cannot fail.
    public static func + (a: Tensor, b: Float) -> Tensor { try! combine("add", a, Tensor(b), Add()) }
    public static func - (a: Tensor, b: Float) -> Tensor { try! combine("subtract", a, Tensor(b), Subtract()) }
    public static func * (a: Tensor, b: Float) -> Tensor { try! combine("multiply", a, Tensor(b), Multiply()) }
    public static func / (a: Tensor, b: Float) -> Tensor { try! combine("divide", a, Tensor(b), Divide()) }
    public static func + (a: Float, b: Tensor) -> Tensor { try! combine("add", Tensor(a), b, Add()) }
    public static func - (a: Float, b: Tensor) -> Tensor { try! combine("subtract", Tensor(a), b, Subtract()) }
    public static func * (a: Float, b: Tensor) -> Tensor { try! combine("multiply", Tensor(a), b, Multiply()) }
    public static func / (a: Float, b: Tensor) -> Tensor { try! combine("divide", Tensor(a), b, Divide()) }

    public static prefix func - (a: Tensor) -> Tensor { a.map(Negate()) }
}
