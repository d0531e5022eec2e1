extension Tensor {
    /// The same values in a new shape with the same number of elements. One extent may be -1,
    /// and is then inferred. No values move: the storage is shared until either tensor is mutated.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError("reshape", "target \(describeShape(newShape)) may hold at most one -1 and no other negative extent")
        }
        try Shape.validate(newShape.filter { $0 != -1 }, op: "reshape")
        var resolved = newShape
        if let axis = inferred.first {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw TensorError("reshape", "cannot infer the -1 in \(describeShape(newShape)) for \(count) values of shape \(describeShape(shape))")
            }
            resolved[axis] = count / known
        }
        guard Shape.count(resolved) == count else {
            throw TensorError("reshape", "cannot reshape \(describeShape(shape)) (\(count) values) to \(describeShape(newShape)) (\(Shape.count(resolved)) values)")
        }
        return Tensor(uncheckedShape: resolved, scalars: scalars)
    }

    /// Axes reordered: axis i of the result is axis `axes[i]` of this tensor. The values are
    /// copied into the new order.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank else {
            throw TensorError("permute", "\(axes) names \(axes.count) axes, but shape \(describeShape(shape)) has \(rank)")
        }
        let resolved = try axes.map { try Shape.normalizeAxis($0, rank: rank, op: "permute", shape: shape) }
        guard Set(resolved).count == rank else {
            throw TensorError("permute", "\(axes) is not a permutation of the axes of \(describeShape(shape))")
        }
        let ownStrides = strides
        let newShape = resolved.map { shape[$0] }
        let walk = StridedWalk(shape: newShape, strides: [Shape.strides(newShape), resolved.map { ownStrides[$0] }])
        return withUnsafeBufferPointer { source in
            Tensor.build(shape: newShape) { walk.copy(from: source, to: $0) }
        }
    }

    /// Two axes swapped; by default the last two (the matrix transpose).
    public func transposed(_ first: Int = -2, _ second: Int = -1) throws -> Tensor {
        guard rank >= 2 else {
            throw TensorError("transpose", "needs at least 2 axes, shape is \(describeShape(shape))")
        }
        let a = try Shape.normalizeAxis(first, rank: rank, op: "transpose", shape: shape)
        let b = try Shape.normalizeAxis(second, rank: rank, op: "transpose", shape: shape)
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return try permuted(axes)
    }

    /// The values in reverse order along each of `axes`.
    public func flipped(_ axes: [Int]) throws -> Tensor {
        let resolved = try Shape.normalizeAxes(axes, rank: rank, op: "flip", shape: shape)
        var sourceStrides = strides
        var base = 0
        for axis in resolved where shape[axis] > 0 {
            base += (shape[axis] - 1) * sourceStrides[axis]
            sourceStrides[axis] = -sourceStrides[axis]
        }
        let walk = StridedWalk(shape: shape, strides: [strides, sourceStrides], bases: [0, base])
        return withUnsafeBufferPointer { source in
            Tensor.build(shape: shape) { walk.copy(from: source, to: $0) }
        }
    }

    /// A new axis of extent 1 inserted at `axis` (which may be `rank`, or negative).
    public func unsqueezed(_ axis: Int) throws -> Tensor {
        let position = try Shape.normalizeAxis(axis, rank: rank + 1, op: "unsqueeze", shape: shape)
        var newShape = shape
        newShape.insert(1, at: position)
        return Tensor(uncheckedShape: newShape, scalars: scalars)
    }

    /// Axes of extent 1 removed: those in `axes`, or all of them when `axes` is nil.
    public func squeezed(_ axes: [Int]? = nil) throws -> Tensor {
        let remove: Set<Int>
        if let axes {
            remove = Set(try Shape.normalizeAxes(axes, rank: rank, op: "squeeze", shape: shape))
            if let bad = remove.sorted().first(where: { shape[$0] != 1 }) {
                throw TensorError("squeeze", "axis \(bad) of shape \(describeShape(shape)) has extent \(shape[bad]), not 1")
            }
        } else {
            remove = Set(shape.indices.filter { shape[$0] == 1 })
        }
        let newShape = shape.indices.filter { !remove.contains($0) }.map { shape[$0] }
        return Tensor(uncheckedShape: newShape, scalars: scalars)
    }

    /// This tensor broadcast to `shape` (NumPy's broadcast_to), with the values copied.
    public func broadcast(to target: [Int]) throws -> Tensor {
        let plan = try BroadcastPlan(op: "broadcast", shapes: [shape, target])
        guard plan.outputShape == target else {
            throw TensorError("broadcast", "\(describeShape(shape)) cannot be broadcast to \(describeShape(target))")
        }
        return try withUnsafeBufferPointer { source in
            try Tensor.build(shape: target, op: "broadcast", largestInput: count) { plan.walk.copy(from: source, to: $0) }
        }
    }
}
