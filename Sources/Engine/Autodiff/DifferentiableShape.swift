// Shape operations on variables. None changes a value, only where it sits, so each backward
// puts the gradient back where the value came from.

extension Variable {
    public func reshaped(_ shape: [Int]) throws -> Variable {
        let original = self.shape
        return Variable.result(of: "reshape", try value.reshaped(shape), inputs: [self]) { g in
            [try g.reshaped(original)]
        }
    }

    /// Axis i of the result is axis axes[i]; the gradient is permuted back by the inverse.
    public func permuted(_ axes: [Int]) throws -> Variable {
        let output = try value.permuted(axes)
        let resolved = axes.map { $0 < 0 ? $0 + rank : $0 }
        var inverse = [Int](repeating: 0, count: resolved.count)
        for (position, axis) in resolved.enumerated() { inverse[axis] = position }
        return Variable.result(of: "permute", output, inputs: [self]) { g in [try g.permuted(inverse)] }
    }

    public func transposed(_ first: Int = -2, _ second: Int = -1) throws -> Variable {
        let output = try value.transposed(first, second)
        return Variable.result(of: "transpose", output, inputs: [self]) { g in [try g.transposed(first, second)] }
    }

    public func flipped(_ axes: [Int]) throws -> Variable {
        let output = try value.flipped(axes)
        return Variable.result(of: "flip", output, inputs: [self]) { g in [try g.flipped(axes)] }
    }

    public func unsqueezed(_ axis: Int) throws -> Variable {
        try reshaped(try value.unsqueezed(axis).shape)
    }

    public func squeezed(_ axes: [Int]? = nil) throws -> Variable {
        try reshaped(try value.squeezed(axes).shape)
    }

    /// This variable broadcast to `shape`; the gradient is summed back over the broadcast axes.
    public func broadcast(to shape: [Int]) throws -> Variable {
        let original = self.shape
        return Variable.result(of: "broadcast", try value.broadcast(to: shape), inputs: [self]) { g in
            [try g.summed(toShape: original)]
        }
    }

    /// A slice (see `Tensor.slice`); the gradient is zero outside it.
    public func slice(_ indices: [TensorIndex]) throws -> Variable {
        let original = self.shape
        return Variable.result(of: "slice", try value.slice(indices), inputs: [self]) { g in
            [try g.unsliced(into: original, at: indices)]
        }
    }

    public subscript(_ indices: TensorIndex...) -> Variable {
        get throws { try slice(indices) }
    }

    var rank: Int { value.rank }

    /// Variables joined along `axis`; each gets its own band of the gradient.
    public static func concat(_ variables: [Variable], axis: Int = 0) throws -> Variable {
        let output = try Tensor.concat(variables.map(\.value), axis: axis)
        let resolved = axis < 0 ? axis + output.rank : axis
        let extents = variables.map { $0.shape[resolved] }
        return result(of: "concat", output, inputs: variables) { g in
            var start = 0
            return try extents.map { extent in
                var index = [TensorIndex](repeating: .all, count: g.rank)
                index[resolved] = .range(start..<(start + extent))
                start += extent
                return try g.slice(index)
            }
        }
    }

    /// Variables of one shape joined along a new axis.
    public static func stack(_ variables: [Variable], axis: Int = 0) throws -> Variable {
        guard let first = variables.first else { throw TensorError("stack", "needs at least one tensor") }
        let position = try Shape.normalizeAxis(axis, rank: first.rank + 1, op: "stack", shape: first.shape)
        return try concat(variables.map { try $0.unsqueezed(position) }, axis: position)
    }

    /// Padding (see `Tensor.padded`). The constant border gets no gradient; a reflected or
    /// replicated border sends its gradient to the values it copies.
    public func padded(_ widths: [(before: Int, after: Int)], mode: Tensor.PaddingMode = .constant(0)) throws -> Variable {
        guard case .constant = mode else {
            // Reflect and replicate gather positions along each axis in turn.
            let all = try Tensor.checkPadding(widths, mode: mode, shape: shape)
            var result = self
            for axis in all.indices where all[axis].before + all[axis].after > 0 {
                result = try result.gathered(Tensor.paddingSources(extent: result.shape[axis], all[axis], mode: mode), axis: axis)
            }
            return result
        }
        let original = shape
        let interior = original.indices.map { axis -> TensorIndex in
            let before = axis < widths.count ? widths[axis].before : 0
            return .range(before..<(before + original[axis]))
        }
        return Variable.result(of: "pad", try value.padded(widths, mode: mode), inputs: [self]) { g in [try g.slice(interior)] }
    }

    /// The positions `indices` of `axis`, in that order; a position's gradient is the sum of
    /// the gradients of its copies.
    func gathered(_ indices: [Int], axis: Int) throws -> Variable {
        let extent = shape[axis]
        return Variable.result(of: "gather", try value.gathered(indices, axis: axis), inputs: [self]) { g in
            [try g.scatterAdded(indices, axis: axis, extent: extent)]
        }
    }
}
