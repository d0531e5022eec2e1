// Reductions of variables. The gradient of a reduction reaches every value that was reduced:
// the incoming gradient is given back its reduced axes (extent 1) and broadcast over them.

extension Variable {
    /// The sum over `axes` (all when nil): every summed value gets the gradient of its sum.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        let x = value
        let kept = try ReductionRows.outputShape(of: x.shape, axes: axes, keepDims: true, op: "sum")
        return Variable.result(of: "sum", try x.sum(axes: axes, keepDims: keepDims), inputs: [self]) { g in
            [try g.reshaped(kept).broadcast(to: x.shape)]
        }
    }

    /// The mean over `axes`: each value gets 1/n of the gradient of its mean.
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        let x = value
        let kept = try ReductionRows.outputShape(of: x.shape, axes: axes, keepDims: true, op: "mean")
        let n = Float(x.count / Swift.max(1, Shape.count(kept)))
        return Variable.result(of: "mean", try x.mean(axes: axes, keepDims: keepDims), inputs: [self]) { g in
            [try g.reshaped(kept).broadcast(to: x.shape) / n]
        }
    }

    /// The variance over `axes`: d var / dx_i = 2 (x_i - mean) / (n - correction).
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, correction: Int = 0) throws -> Variable {
        let x = value
        let variance = try x.variance(axes: axes, keepDims: keepDims, correction: correction)
        let mean = try x.mean(axes: axes, keepDims: true)
        let n = x.count / Swift.max(1, mean.count)
        return Variable.result(of: "variance", variance, inputs: [self]) { g in
            let centred = try x - mean
            return [try g.reshaped(mean.shape) * centred * (2 / Float(n - correction))]
        }
    }

    /// The largest value over `axes`; its gradient is shared equally by the values that
    /// attain it (as PyTorch's amax).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        try extreme("max", axes: axes, keepDims: keepDims, value.max(axes: axes, keepDims: true))
    }

    /// The smallest value over `axes`; its gradient is shared equally by the values that attain it.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        try extreme("min", axes: axes, keepDims: keepDims, value.min(axes: axes, keepDims: true))
    }

    private func extreme(_ op: String, axes: [Int]?, keepDims: Bool, _ kept: Tensor) throws -> Variable {
        let x = value
        let output = keepDims ? kept : try kept.reshaped(try ReductionRows.outputShape(of: x.shape, axes: axes, keepDims: false, op: op))
        return Variable.result(of: op, output, inputs: [self]) { g in
            let attains = try x .== kept
            let share = try attains / attains.sum(axes: axes, keepDims: true)
            return [try g.reshaped(kept.shape) * share]
        }
    }

    /// Positions of the largest values: no derivative.
    public func argmax(axis: Int? = nil, keepDims: Bool = false) throws -> Variable {
        Variable.nonDifferentiableResult(of: "argmax", try value.argmax(axis: axis, keepDims: keepDims), inputs: [self])
    }

    /// Positions of the smallest values: no derivative.
    public func argmin(axis: Int? = nil, keepDims: Bool = false) throws -> Variable {
        Variable.nonDifferentiableResult(of: "argmin", try value.argmin(axis: axis, keepDims: keepDims), inputs: [self])
    }
}
