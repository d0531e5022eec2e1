#if canImport(Glibc)
import Glibc
#endif

/// A function of one value, applied element-wise. Kernels are small structs so that the generic
/// loops in `map` are specialised and inlined for each one.
protocol UnaryKernel {
    func callAsFunction(_ x: Float) -> Float
}

/// A function of two values, applied element-wise with broadcasting.
protocol BinaryKernel {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

struct Add: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
struct Subtract: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
struct Multiply: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
struct Divide: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
struct Power: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { powf(a, b) } }
/// The larger of two values; NaN if either is NaN (as NumPy's maximum).
struct Maximum: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
}
/// The smaller of two values; NaN if either is NaN (as NumPy's minimum).
struct Minimum: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.min(a, b) }
}

/// A comparison as a kernel: 1 where it holds, 0 where not (NaN compares false, except `!=`).
struct Compare: BinaryKernel {
    enum Relation: Sendable { case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual }
    let relation: Relation
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float {
        let holds: Bool
        switch relation {
        case .equal: holds = a == b
        case .notEqual: holds = a != b
        case .less: holds = a < b
        case .lessOrEqual: holds = a <= b
        case .greater: holds = a > b
        case .greaterOrEqual: holds = a >= b
        }
        return holds ? 1 : 0
    }
}

struct Negate: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
struct Exp: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { exponential(x) } }
struct Log: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { logf(x) } }
struct SquareRoot: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
struct Absolute: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
struct HyperbolicTangent: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { tanhf(x) } }
struct PowerOf: UnaryKernel {
    let exponent: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float {
        exponent == 2 ? x * x : powf(x, exponent)
    }
}

/// 1 / (1 + e^-x), evaluated so that neither branch overflows.
struct Sigmoid: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Float) -> Float {
        // e^-|x| never overflows; the two branches are selects, so loops still vectorise.
        let e = exponential(-Swift.abs(x))
        return x >= 0 ? 1 / (1 + e) : e / (1 + e)
    }
}

/// SiLU (swish): x * sigmoid(x).
struct SiLU: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * Sigmoid()(x) }
}

/// The gradient through SiLU, g (s + x s (1 - s)) with s = sigmoid(x), from the gradient g of
/// its output and its input x: one pass, with no temporary tensors, in the same operations and
/// order as the expression written out on tensors.
struct SiLUGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float {
        let s = Sigmoid()(x)
        return g * (s + (x * s) * (1 - s))
    }
}

/// GELU, Hendrycks and Gimpel (2016): x * Phi(x) with Phi the standard normal CDF, exactly
/// through erf, or with their tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct GELU: UnaryKernel {
    let approximation: Tensor.GELUApproximation
    @inline(__always) func callAsFunction(_ x: Float) -> Float {
        switch approximation {
        case .none:
            return 0.5 * x * (1 + erff(x * 0.70710678118654752))
        case .tanh:
            return 0.5 * x * (1 + tanhf(0.79788456080286536 * (x + 0.044715 * x * x * x)))
        }
    }
}

/// Limits values to [lower, upper]; NaN stays NaN.
struct Clamp: UnaryKernel {
    let lower: Float
    let upper: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float {
        x.isNaN ? x : Swift.min(Swift.max(x, lower), upper)
    }
}
