// Selection and comparison. `where` passes each position's gradient to the operand it took;
// comparisons have no derivative (their results are 0 and 1), so a gradient reaching one is an
// error unless the result is `detached()`.

extension Variable {
    /// `a` where `condition` is non-zero, `b` elsewhere (broadcast). The condition gets no gradient.
    public static func `where`(_ condition: Variable, _ a: Variable, _ b: Variable) throws -> Variable {
        let mask = condition.value
        let output = try Tensor.where(mask, a.value, b.value)
        return result(of: "where", output, inputs: [condition, a, b]) { g in
            let zero = Tensor(0)
            return [nil,
                    a.requiresGradient ? try Tensor.where(mask, g, zero).summed(toShape: a.shape) : nil,
                    b.requiresGradient ? try Tensor.where(mask, zero, g).summed(toShape: b.shape) : nil]
        }
    }

    public static func .== (a: Variable, b: Variable) throws -> Variable { try compare("equal", a, b, .==) }
    public static func .!= (a: Variable, b: Variable) throws -> Variable { try compare("notEqual", a, b, .!=) }
    public static func .< (a: Variable, b: Variable) throws -> Variable { try compare("less", a, b, .<) }
    public static func .<= (a: Variable, b: Variable) throws -> Variable { try compare("lessOrEqual", a, b, .<=) }
    public static func .> (a: Variable, b: Variable) throws -> Variable { try compare("greater", a, b, .>) }
    public static func .>= (a: Variable, b: Variable) throws -> Variable { try compare("greaterOrEqual", a, b, .>=) }

    private static func compare(
        _ op: String, _ a: Variable, _ b: Variable, _ relation: (Tensor, Tensor) throws -> Tensor
    ) throws -> Variable {
        nonDifferentiableResult(of: op, try relation(a.value, b.value), inputs: [a, b])
    }
}
