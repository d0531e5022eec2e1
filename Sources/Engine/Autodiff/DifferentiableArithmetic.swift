// Arithmetic on variables with NumPy broadcasting. For z = f(a, b) broadcast, the gradient of
// each operand is the elementwise gradient summed back to the operand's own shape.

extension Variable {
    public static func + (a: Variable, b: Variable) throws -> Variable {
        let value = try a.value + b.value
        return result(of: "add", value, inputs: [a, b]) { g in
            [try g.summed(toShape: a.shape), try g.summed(toShape: b.shape)]
        }
    }

    public static func - (a: Variable, b: Variable) throws -> Variable {
        let value = try a.value - b.value
        return result(of: "subtract", value, inputs: [a, b]) { g in
            [try g.summed(toShape: a.shape), try (-g).summed(toShape: b.shape)]
        }
    }

    /// d(ab)/da = b, d(ab)/db = a.
    public static func * (a: Variable, b: Variable) throws -> Variable {
        let (x, y) = (a.value, b.value)
        return result(of: "multiply", try x * y, inputs: [a, b]) { g in
            [a.requiresGradient ? try (g * y).summed(toShape: x.shape) : nil,
             b.requiresGradient ? try (g * x).summed(toShape: y.shape) : nil]
        }
    }

    /// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2.
    public static func / (a: Variable, b: Variable) throws -> Variable {
        let (x, y) = (a.value, b.value)
        return result(of: "divide", try x / y, inputs: [a, b]) { g in
            [a.requiresGradient ? try (g / y).summed(toShape: x.shape) : nil,
             b.requiresGradient ? try (-(g * x) / (y * y)).summed(toShape: y.shape) : nil]
        }
    }

    public static prefix func - (a: Variable) -> Variable {
        result(of: "negate", -a.value, inputs: [a]) { g in [-g] }
    }

    public static func + (a: Variable, b: Float) -> Variable {
        result(of: "add", a.value + b, inputs: [a]) { g in [g] }
    }
    public static func - (a: Variable, b: Float) -> Variable { a + (-b) }
    public static func + (a: Float, b: Variable) -> Variable { b + a }
    public static func - (a: Float, b: Variable) -> Variable { -b + a }

    public static func * (a: Variable, b: Float) -> Variable {
        result(of: "multiply", a.value * b, inputs: [a]) { g in [g * b] }
    }
    public static func * (a: Float, b: Variable) -> Variable { b * a }
    public static func / (a: Variable, b: Float) -> Variable { a * (1 / b) }

    /// a^p for a constant p: d/da = p a^(p-1).
    public func pow(_ exponent: Float) -> Variable {
        let x = value
        return Variable.result(of: "pow", x.pow(exponent), inputs: [self]) { g in
            [try g * (x.pow(exponent - 1) * exponent)]
        }
    }

    /// a^b elementwise: d/da = b a^(b-1), d/db = a^b ln a (NaN for negative a, as PyTorch).
    public func pow(_ exponent: Variable) throws -> Variable {
        let (x, y) = (value, exponent.value)
        let power = try x.pow(y)
        return Variable.result(of: "pow", power, inputs: [self, exponent]) { g in
            [self.requiresGradient ? try (g * y * x.pow(y - 1)).summed(toShape: x.shape) : nil,
             exponent.requiresGradient ? try (g * power * x.log()).summed(toShape: y.shape) : nil]
        }
    }

    /// The larger value at each position; the gradient goes to the larger operand (to `a` on ties).
    public static func maximum(_ a: Variable, _ b: Variable) throws -> Variable {
        try choose("maximum", a, b, value: try Tensor.maximum(a.value, b.value), take: try a.value .>= b.value)
    }

    /// The smaller value at each position; the gradient goes to the smaller operand (to `a` on ties).
    public static func minimum(_ a: Variable, _ b: Variable) throws -> Variable {
        try choose("minimum", a, b, value: try Tensor.minimum(a.value, b.value), take: try a.value .<= b.value)
    }

    /// The gradient routed to `a` where `take` is 1 and to `b` elsewhere.
    private static func choose(_ op: String, _ a: Variable, _ b: Variable, value: Tensor, take: Tensor) throws -> Variable {
        return result(of: op, value, inputs: [a, b]) { g in
            [try (g * take).summed(toShape: a.shape), try (g * (1 - take)).summed(toShape: b.shape)]
        }
    }
}
