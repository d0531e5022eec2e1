/// Shape arithmetic shared by the tensor operations.
enum Shape {
    /// The number of elements of a tensor of this shape (1 for a scalar). The shape must have
    /// passed `validate`, which guarantees that this product and every stride fit in an Int.
    static func count(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Row-major strides: the distance in elements between neighbours along each axis.
    /// For a validated shape none of them overflows.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var stride = 1
        for axis in shape.indices.reversed() {
            strides[axis] = stride
            stride = stride &* shape[axis]
        }
        return strides
    }

    /// Checks that every extent is non-negative and that the shape's sizes are countable: the
    /// product of its non-zero extents (which every stride divides) must fit in an Int, and so
    /// must its size in bytes. A zero extent does not excuse the others: [0, 2^62, 2^62] holds
    /// no values, but its strides overflow, so it is refused.
    static func validate(_ shape: [Int], op: String) throws {
        if let bad = shape.first(where: { $0 < 0 }) {
            throw TensorError(op, "negative extent \(bad) in shape \(describeShape(shape))")
        }
        guard Tensor.countIfCountable(shape) != nil else {
            throw TensorError(op, "shape \(describeShape(shape)) is too large to count: its size overflows a 64-bit integer")
        }
    }

    /// The product of `factors`, or nil when it overflows an Int: for buffer sizes that are not
    /// a tensor's shape (scratch columns, parameter counts).
    static func checkedProduct(_ factors: [Int]) -> Int? {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// Checks `shape` as `validate` does, then that a Float tensor of it fits in the memory
    /// budget: the check before any storage of a computed size is made.
    static func checkAllocation(_ shape: [Int], op: String) throws {
        try validate(shape, op: op)
        try checkBudget(shape, op: op)
    }

    /// Checks that a Float tensor of a validated `shape` fits in the memory budget.
    static func checkBudget(_ shape: [Int], op: String) throws {
        try MemoryBudget.check(count: count(shape), bytesPerValue: MemoryLayout<Float>.stride,
                               for: "\(op): \(describeShape(shape))")
    }

    /// Resolves a possibly negative axis (-1 is the last) against a rank.
    static func normalizeAxis(_ axis: Int, rank: Int, op: String, shape: [Int]) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0 && resolved < rank else {
            throw TensorError(op, "axis \(axis) is out of range for shape \(describeShape(shape)) (rank \(rank))")
        }
        return resolved
    }

    /// Resolves a list of axes; repeated axes are an error. The result is sorted.
    static func normalizeAxes(_ axes: [Int], rank: Int, op: String, shape: [Int]) throws -> [Int] {
        var seen = Set<Int>()
        for axis in axes {
            let resolved = try normalizeAxis(axis, rank: rank, op: op, shape: shape)
            guard seen.insert(resolved).inserted else {
                throw TensorError(op, "axis \(axis) appears twice in \(axes) for shape \(describeShape(shape))")
            }
        }
        return seen.sorted()
    }

    /// The NumPy broadcast of several shapes: align them at the right; along each axis the
    /// extents must be equal or 1, and the result takes the extent that is not 1.
    static func broadcast(_ shapes: [[Int]], op: String) throws -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        var result = [Int](repeating: 1, count: rank)
        for shape in shapes {
            let offset = rank - shape.count
            for (axis, extent) in shape.enumerated() {
                let current = result[offset + axis]
                if current == 1 {
                    result[offset + axis] = extent
                } else if extent != 1 && extent != current {
                    let listed = shapes.map(describeShape).joined(separator: " and ")
                    throw TensorError(op, "shapes \(listed) cannot be broadcast "
                        + "(axis \(offset + axis - rank): \(current) vs \(extent))")
                }
            }
        }
        try validate(result, op: op)
        return result
    }
}

extension Tensor {
    /// The number of values of `shape` when the shape is countable, nil when not: the product of
    /// its non-zero extents times `bytesPerValue` (at least a Float's 4 bytes, for what the values
    /// become) must fit in an Int. A zero extent does not excuse the others, since the strides of
    /// [0, 2^62, 2^62] overflow. For readers that meet a shape a file declares; extents must be
    /// non-negative.
    public static func countIfCountable(_ shape: [Int], bytesPerValue: Int = MemoryLayout<Float>.stride) -> Int? {
        let valueBytes = Swift.max(bytesPerValue, MemoryLayout<Float>.stride)
        guard let bytes = Shape.checkedProduct([valueBytes] + shape.filter { $0 > 0 }) else { return nil }
        return shape.contains(0) ? 0 : bytes / valueBytes
    }

    /// The shape `shapes` broadcast to (NumPy's rule, as every element-wise op applies it), or a
    /// `TensorError` naming `op` when they do not broadcast.
    public static func broadcastShape(_ shapes: [[Int]], op: String = "broadcast") throws -> [Int] {
        try Shape.broadcast(shapes, op: op)
    }
}
