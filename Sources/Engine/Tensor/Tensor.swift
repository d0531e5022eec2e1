/// A dense array of Float32 values with a shape, stored contiguously in row-major order.
///
/// `Tensor` is a value type: copies share storage until one of them is mutated
/// (copy-on-write, through Swift's `Array`). Images are NCHW: batch, channels, height, width.
/// Operations that can be misused (mismatched shapes, bad axes, out-of-range slices) throw a
/// `TensorError` that names the operation and the shapes; they never crash.
public struct Tensor: Sendable, Equatable {
    /// The extent of each axis; `[]` for a scalar.
    public private(set) var shape: [Int]
    /// The values in row-major order; `scalars.count == shape.reduce(1, *)`.
    public private(set) var scalars: [Float]

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) throws {
        try Shape.validate(shape, op: "Tensor(shape:scalars:)")
        guard Shape.count(shape) == scalars.count else {
            throw TensorError("Tensor(shape:scalars:)",
                "shape \(describeShape(shape)) holds \(Shape.count(shape)) values, but \(scalars.count) were given")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Wraps storage whose size is known to match; for use inside Engine.
    init(uncheckedShape shape: [Int], scalars: [Float]) {
        assert(Shape.count(shape) == scalars.count)
        self.shape = shape
        self.scalars = scalars
    }

    /// A rank-0 tensor holding one value.
    public init(_ value: Float) {
        self.init(uncheckedShape: [], scalars: [value])
    }

    /// A vector.
    public init(_ values: [Float]) {
        self.init(uncheckedShape: [values.count], scalars: values)
    }

    /// A matrix from its rows; rows of different lengths are an error.
    public init(_ rows: [[Float]]) throws {
        let columns = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != columns }) {
            throw TensorError("Tensor(rows)", "row 0 has \(columns) values but row \(bad) has \(rows[bad].count)")
        }
        self.init(uncheckedShape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// A tensor of a newly computed shape whose values `initialize` writes; every value must be
    /// written. The shape is validated first and, when it holds more values than
    /// `largestInput` (the biggest tensor the op was given), checked against the memory budget
    /// in the name of `op`. An output no bigger than an existing input needs no admission, so
    /// lowering the budget never makes an element-wise op on existing tensors fail.
    static func build(
        shape: [Int], op: String, largestInput: Int = 0, _ initialize: (UnsafeMutableBufferPointer<Float>) -> Void
    ) throws -> Tensor {
        try Shape.validate(shape, op: op)
        if Shape.count(shape) > largestInput {
            try Shape.checkBudget(shape, op: op)
        }
        return build(shape: shape, initialize)
    }

    /// A tensor whose values `initialize` writes; every value must be written. Only for a shape
    /// that holds no more values than a tensor that exists already (an op's input, a gradient of
    /// an input's shape), which the shape checks and the memory budget have admitted.
    static func build(shape: [Int], _ initialize: (UnsafeMutableBufferPointer<Float>) -> Void) -> Tensor {
        let count = Shape.count(shape)
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            adviseHugePages(buffer)
            initialize(buffer)
            initialized = count
        }
        return Tensor(uncheckedShape: shape, scalars: scalars)
    }

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of values.
    public var count: Int { scalars.count }
    /// Row-major strides of this tensor's shape.
    public var strides: [Int] { Shape.strides(shape) }

    /// The single value of a tensor that holds exactly one value (of any shape).
    public func item() throws -> Float {
        guard count == 1 else {
            throw TensorError("item", "tensor of shape \(describeShape(shape)) holds \(count) values, not one")
        }
        return scalars[0]
    }

    /// The value at a full multi-index (negative indices count from the end).
    public func value(at index: [Int]) throws -> Float {
        guard index.count == rank else {
            throw TensorError("value(at:)", "index \(index) has \(index.count) components for shape \(describeShape(shape))")
        }
        var offset = 0
        for (axis, (i, stride)) in zip(index, strides).enumerated() {
            let resolved = i < 0 ? i + shape[axis] : i
            guard resolved >= 0 && resolved < shape[axis] else {
                throw TensorError("value(at:)", "index \(i) is out of range for axis \(axis) of shape \(describeShape(shape))")
            }
            offset += resolved * stride
        }
        return scalars[offset]
    }

    /// Read access to the values for hot loops.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Write access to the values for hot loops; copies the storage first if it is shared.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }
}
