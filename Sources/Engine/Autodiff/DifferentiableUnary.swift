#if canImport(Glibc)
import Glibc
#endif

// Element-wise functions of one variable. Each backward multiplies the incoming gradient by the
// derivative, written in terms of the saved input x or the saved output y where that is cheaper.

extension Variable {
    /// d e^x / dx = e^x = y.
    public func exp() -> Variable {
        let y = value.exp()
        return Variable.result(of: "exp", y, inputs: [self]) { g in [try g * y] }
    }

    /// d ln x / dx = 1 / x.
    public func log() -> Variable {
        let x = value
        return Variable.result(of: "log", x.log(), inputs: [self]) { g in [try g / x] }
    }

    /// d sqrt(x) / dx = 1 / (2 sqrt(x)) = 1 / (2 y).
    public func sqrt() -> Variable {
        let y = value.sqrt()
        return Variable.result(of: "sqrt", y, inputs: [self]) { g in [try g / (y * 2)] }
    }

    /// d |x| / dx = sign(x), 0 at 0 (as PyTorch).
    public func abs() -> Variable {
        let x = value
        return Variable.result(of: "abs", x.abs(), inputs: [self]) { g in
            [try g * ((x .> 0) - (x .< 0))]
        }
    }

    /// d tanh(x) / dx = 1 - y^2.
    public func tanh() -> Variable {
        let y = value.tanh()
        return Variable.result(of: "tanh", y, inputs: [self]) { g in [try g * (1 - y * y)] }
    }

    /// d sigmoid(x) / dx = y (1 - y).
    public func sigmoid() -> Variable {
        let y = value.sigmoid()
        return Variable.result(of: "sigmoid", y, inputs: [self]) { g in [try g * (y * (1 - y))] }
    }

    /// SiLU, x sigmoid(x): d/dx = s + x s (1 - s) with s = sigmoid(x), in one pass over g and x
    /// (`SiLUGradient`).
    public func silu() -> Variable {
        let x = value
        return Variable.result(of: "silu", x.silu(), inputs: [self]) { g in
            [try Tensor.combine("silu backward", g, x, SiLUGradient())]
        }
    }

    /// GELU. Exact: d/dx x Phi(x) = Phi(x) + x phi(x). Tanh form: differentiated as written.
    public func gelu(approximation: Tensor.GELUApproximation = .none) -> Variable {
        let x = value
        return Variable.result(of: "gelu", x.gelu(approximation: approximation), inputs: [self]) { g in
            [try g * x.map(GELUDerivative(approximation: approximation))]
        }
    }

    /// The gradient passes where lower <= x <= upper, and is 0 where x was clamped.
    public func clamp(min lower: Float = -.infinity, max upper: Float = .infinity) throws -> Variable {
        let x = value
        return Variable.result(of: "clamp", try x.clamp(min: lower, max: upper), inputs: [self]) { g in
            [try g * ((x .>= lower) * (x .<= upper))]
        }
    }
}

/// The derivative of GELU at x, for its backward.
struct GELUDerivative: UnaryKernel {
    let approximation: Tensor.GELUApproximation
    @inline(__always) func callAsFunction(_ x: Float) -> Float {
        switch approximation {
        case .none:
            let cdf = 0.5 * (1 + erff(x * 0.70710678118654752))
            let pdf = exponential(-0.5 * x * x) * 0.39894228040143268
            return cdf + x * pdf
        case .tanh:
            let k: Float = 0.79788456080286536
            let inner = k * (x + 0.044715 * x * x * x)
            let t = tanhf(inner)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
        }
    }
}
