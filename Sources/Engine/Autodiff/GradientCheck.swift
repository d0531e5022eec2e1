/// Checks an operation's backward against central finite differences.
///
/// For a function f of some tensors, it draws a fixed random weighting w of f's output and
/// compares, for every input value x_j, the gradient backward gives for L = sum(w * f) with
///
///     (L(x_j + h) - L(x_j - h)) / 2h,
///
/// L evaluated in Double from f's Float32 output. A gradient passes when it is within
/// `absoluteTolerance + relativeTolerance * |numeric|` of the numeric one. This is how every
/// op's gradient is tested; it is public so that a new op can be checked the same way.
public struct GradientCheck {
    public var step: Float = 1e-2
    public var absoluteTolerance: Double = 1e-3
    public var relativeTolerance: Double = 1e-2
    public var seed: UInt64 = 17

    public init(step: Float = 1e-2, absoluteTolerance: Double = 1e-3, relativeTolerance: Double = 1e-2) {
        self.step = step
        self.absoluteTolerance = absoluteTolerance
        self.relativeTolerance = relativeTolerance
    }

    /// The worst disagreement found.
    public struct Report: CustomStringConvertible {
        /// Whether every gradient value was within tolerance.
        public var passed: Bool
        /// The input and flat position of the worst value, and both gradients there.
        public var input: Int, position: Int
        public var analytic: Double, numeric: Double
        /// How far past its tolerance the worst value was (at most 1 when passing).
        public var excess: Double

        public var description: String {
            "\(passed ? "passed" : "FAILED"): worst at input \(input), value \(position): "
                + "backward \(analytic), finite differences \(numeric)"
        }
    }

    /// Runs `function` on variables holding `inputs` (all requiring gradients) and compares.
    public func check(_ inputs: [Tensor], _ function: ([Variable]) throws -> Variable) throws -> Report {
        let variables = inputs.map { Variable($0, requiresGradient: true) }
        let output = try function(variables)
        let weights = try Tensor.randn(output.shape, seed: seed, stream: 1)
        try output.backward(gradient: weights)

        func loss(_ values: [Tensor]) throws -> Double {
            let y = try GradientMode.withoutGradients { try function(values.map { Variable($0) }).value }
            return zip(y.scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var worst = Report(passed: true, input: 0, position: 0, analytic: 0, numeric: 0, excess: 0)
        for (i, input) in inputs.enumerated() {
            let analytic = try variables[i].grad ?? Tensor.zeros(input.shape)
            for j in 0..<input.count {
                var plus = inputs, minus = inputs
                var up = input.scalars, down = input.scalars
                up[j] += step
                down[j] -= step
                plus[i] = try Tensor(shape: input.shape, scalars: up)
                minus[i] = try Tensor(shape: input.shape, scalars: down)
                // Divide by the step actually taken, which Float rounding may have changed.
                let taken = Double(up[j]) - Double(down[j])
                let numeric = (try loss(plus) - loss(minus)) / taken
                let a = Double(analytic.scalars[j])
                let excess = Swift.abs(a - numeric) / (absoluteTolerance + relativeTolerance * Swift.abs(numeric))
                if excess > worst.excess || !(excess.isFinite) {
                    worst = Report(passed: excess <= 1, input: i, position: j, analytic: a, numeric: numeric, excess: excess)
                }
            }
        }
        worst.passed = worst.excess <= 1
        return worst
    }
}
