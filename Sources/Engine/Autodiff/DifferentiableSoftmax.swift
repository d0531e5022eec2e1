extension Variable {
    /// Softmax along `axis`: with y = softmax(x), dx = y (g - sum(g y)) over the axis.
    public func softmax(axis: Int = -1) throws -> Variable {
        let y = try value.softmax(axis: axis)
        return Variable.result(of: "softmax", y, inputs: [self]) { g in
            let gy = try g * y
            return [try y * (g - gy.sum(axes: [axis], keepDims: true))]
        }
    }

    /// Log-softmax along `axis`: with y = log softmax(x), dx = g - softmax(x) sum(g) over the axis.
    public func logSoftmax(axis: Int = -1) throws -> Variable {
        let y = try value.logSoftmax(axis: axis)
        return Variable.result(of: "logSoftmax", y, inputs: [self]) { g in
            [try g - y.exp() * g.sum(axes: [axis], keepDims: true)]
        }
    }
}
