extension Tensor {
    /// The tensors joined end to end along `axis`; all other extents must agree.
    public static func concat(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("concat", "needs at least one tensor") }
        let resolved = try Shape.normalizeAxis(axis, rank: first.rank, op: "concat", shape: first.shape)
        for (i, tensor) in tensors.enumerated() {
            var expected = first.shape, found = tensor.shape
            guard expected.count == found.count else {
                throw TensorError("concat", "tensor \(i) has shape \(describeShape(tensor.shape)), rank \(tensor.rank); tensor 0 has \(describeShape(first.shape))")
            }
            expected[resolved] = 0
            found[resolved] = 0
            guard expected == found else {
                throw TensorError("concat", "shapes \(describeShape(first.shape)) (tensor 0) and \(describeShape(tensor.shape)) (tensor \(i)) differ outside axis \(axis)")
            }
        }
        var shape = first.shape
        shape[resolved] = try tensors.reduce(0) { total, tensor in
            let (sum, overflow) = total.addingReportingOverflow(tensor.shape[resolved])
            guard !overflow else { throw TensorError("concat", "the joined extent along axis \(axis) overflows a 64-bit integer") }
            return sum
        }
        try Shape.checkAllocation(shape, op: "concat")
        let outputStrides = Shape.strides(shape)
        return build(shape: shape) { output in
            var position = 0
            for tensor in tensors {
                // Each piece is copied into its own band of the output along `axis`.
                let walk = StridedWalk(shape: tensor.shape, strides: [outputStrides, tensor.strides],
                                       bases: [position * outputStrides[resolved], 0])
                tensor.withUnsafeBufferPointer { walk.copy(from: $0, to: output) }
                position += tensor.shape[resolved]
            }
        }
    }

    /// The tensors, all of one shape, joined along a new axis at `axis`.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("stack", "needs at least one tensor") }
        if let bad = tensors.firstIndex(where: { $0.shape != first.shape }) {
            throw TensorError("stack", "tensor \(bad) has shape \(describeShape(tensors[bad].shape)), tensor 0 has \(describeShape(first.shape))")
        }
        let position = try Shape.normalizeAxis(axis, rank: first.rank + 1, op: "stack", shape: first.shape)
        return try concat(tensors.map { try $0.unsqueezed(position) }, axis: position)
    }

    /// How `padded` fills the new border.
    public enum PaddingMode: Sendable, Equatable {
        /// A constant value.
        case constant(Float)
        /// The mirror image without repeating the edge: [1, 2, 3] padded by 2 is [3, 2, 1, 2, 3, 2, 1]
        /// (NumPy's "reflect", PyTorch's "reflect").
        case reflect
        /// The edge value repeated: [1, 2, 3] padded by 2 is [1, 1, 1, 2, 3, 3, 3].
        case replicate
    }

    /// This tensor with `widths[i] = (before, after)` positions added on each side of axis i;
    /// axes beyond `widths.count` get none (as NumPy's pad). Widths must be non-negative.
    public func padded(_ widths: [(before: Int, after: Int)], mode: PaddingMode = .constant(0)) throws -> Tensor {
        let all = try Tensor.checkPadding(widths, mode: mode, shape: shape)
        let newShape = try zip(shape, all).map { extent, width in
            let (partial, first) = extent.addingReportingOverflow(width.before)
            let (total, second) = partial.addingReportingOverflow(width.after)
            guard !first, !second else {
                throw TensorError("pad", "widths \(width) on an axis of \(extent) overflow a 64-bit integer")
            }
            return total
        }
        try Shape.checkAllocation(newShape, op: "pad")
        if case .constant(let value) = mode {
            let outputStrides = Shape.strides(newShape)
            let base = zip(all, outputStrides).reduce(0) { $0 + $1.0.before * $1.1 }
            var result = try Tensor.full(newShape, value: value)
            let walk = StridedWalk(shape: shape, strides: [outputStrides, strides], bases: [base, 0])
            withUnsafeBufferPointer { source in
                result.withUnsafeMutableBufferPointer { walk.copy(from: source, to: $0) }
            }
            return result
        }
        // Reflect and replicate: one axis at a time, each border a gathered slice.
        var result = self
        for axis in 0..<rank where all[axis] != (0, 0) {
            let positions = Tensor.paddingSources(extent: result.shape[axis], all[axis], mode: mode)
            result = try result.gathered(positions, axis: axis)
        }
        return result
    }

    /// The widths for every axis (zero beyond `widths.count`), after checking that they are
    /// non-negative and that `mode` can fill them.
    static func checkPadding(_ widths: [(before: Int, after: Int)], mode: PaddingMode, shape: [Int]) throws -> [(before: Int, after: Int)] {
        let rank = shape.count
        guard widths.count <= rank else {
            throw TensorError("pad", "\(widths.count) widths for shape \(describeShape(shape)) of rank \(rank)")
        }
        let all = widths + Array(repeating: (before: 0, after: 0), count: rank - widths.count)
        if let axis = all.indices.first(where: { all[$0].before < 0 || all[$0].after < 0 }) {
            throw TensorError("pad", "negative width \(all[axis]) on axis \(axis) of shape \(describeShape(shape))")
        }
        for axis in 0..<rank where all[axis] != (0, 0) {
            switch mode {
            case .constant: break
            case .reflect:
                guard all[axis].before < shape[axis] && all[axis].after < shape[axis] else {
                    throw TensorError("pad", "reflect padding of \(all[axis]) on axis \(axis) needs more than that many positions, shape is \(describeShape(shape))")
                }
            case .replicate:
                guard shape[axis] > 0 else {
                    throw TensorError("pad", "replicate padding of an empty axis \(axis) of shape \(describeShape(shape))")
                }
            }
        }
        return all
    }

    /// For each position of a padded axis (from -before to extent + after - 1, shifted to start
    /// at 0), the position of the original axis whose value it holds, for reflect and replicate.
    static func paddingSources(extent n: Int, _ width: (before: Int, after: Int), mode: PaddingMode) -> [Int] {
        (-width.before ..< n + width.after).map { i in
            if mode == .replicate { return Swift.min(Swift.max(i, 0), n - 1) }
            return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)
        }
    }

    /// The positions `indices` of `axis`, in that order (a position may repeat): result[..., i, ...]
    /// = self[..., indices[i], ...]. Indices must lie in 0..<shape[axis].
    func gathered(_ indices: [Int], axis: Int) throws -> Tensor {
        let extent = shape[axis]
        if let bad = indices.first(where: { $0 < 0 || $0 >= extent }) {
            throw TensorError("gather", "position \(bad) is out of range for axis \(axis) of shape \(describeShape(shape))")
        }
        var newShape = shape
        newShape[axis] = indices.count
        let (outer, inner) = (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
        return try withUnsafeBufferPointer { source in
            try Tensor.build(shape: newShape, op: "gather") { output in
                for o in 0..<outer {
                    for (i, position) in indices.enumerated() {
                        let from = source.baseAddress! + (o * extent + position) * inner
                        (output.baseAddress! + (o * indices.count + i) * inner).update(from: from, count: inner)
                    }
                }
            }
        }
    }

    /// The gradient of `gathered`: a tensor with `extent` positions along `axis`, each the sum
    /// of this tensor's positions i with indices[i] equal to it (0 where none is).
    func scatterAdded(_ indices: [Int], axis: Int, extent: Int) throws -> Tensor {
        guard shape[axis] == indices.count, indices.allSatisfy({ $0 >= 0 && $0 < extent }) else {
            throw TensorError("scatterAdd", "\(indices.count) positions into \(extent) for axis \(axis) of shape \(describeShape(shape))")
        }
        var newShape = shape
        newShape[axis] = extent
        let (outer, inner) = (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
        var result = try Tensor.zeros(newShape)
        withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { output in
                for o in 0..<outer {
                    // Added in the order of i, so repeated positions sum the same way every time.
                    for (i, position) in indices.enumerated() {
                        let from = source.baseAddress! + (o * indices.count + i) * inner
                        let to = output.baseAddress! + (o * extent + position) * inner
                        for j in 0..<inner { to[j] += from[j] }
                    }
                }
            }
        }
        return result
    }
}
