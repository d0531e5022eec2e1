/// How one axis of a tensor is indexed: Python's `x[i]`, `x[start:end:step]` and `x[:]`.
public enum TensorIndex: Sendable, Equatable {
    /// One position; the axis disappears from the result. Negative counts from the end.
    case at(Int)
    /// Positions start, start + step, ... before end, as a Python slice: nil bounds mean the
    /// whole axis in the direction of `step`, negative bounds count from the end, bounds past
    /// the ends are clipped, and a negative step walks backwards. The axis stays.
    case range(start: Int?, end: Int?, step: Int)
    /// The whole axis.
    public static let all = TensorIndex.range(start: nil, end: nil, step: 1)

    /// `start..<end` with an optional step.
    public static func range(_ bounds: Range<Int>, step: Int = 1) -> TensorIndex {
        .range(start: bounds.lowerBound, end: bounds.upperBound, step: step)
    }
}

extension Tensor {
    /// The part of this tensor that `indices` select, one index per leading axis (axes not
    /// named are taken whole), as NumPy's basic indexing. The values are copied.
    public func slice(_ indices: [TensorIndex]) throws -> Tensor {
        let layout = try SliceLayout(shape: shape, indices: indices)
        let walk = StridedWalk(shape: layout.walkShape, strides: [Shape.strides(layout.walkShape), layout.walkStrides],
                               bases: [0, layout.base])
        return withUnsafeBufferPointer { source in
            Tensor.build(shape: layout.resultShape) { walk.copy(from: source, to: $0) }
        }
    }

    /// A tensor of `shape` that is zero except where `indices` select, which hold this tensor's
    /// values: the inverse of `slice`, and its gradient.
    func unsliced(into shape: [Int], at indices: [TensorIndex]) throws -> Tensor {
        let layout = try SliceLayout(shape: shape, indices: indices)
        guard layout.resultShape == self.shape else {
            throw TensorError("unslice", "values of shape \(describeShape(self.shape)) for a slice of shape \(describeShape(layout.resultShape))")
        }
        let walk = StridedWalk(shape: layout.walkShape, strides: [layout.walkStrides, Shape.strides(layout.walkShape)],
                               bases: [layout.base, 0])
        var result = try Tensor.zeros(shape)
        withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { walk.copy(from: source, to: $0) }
        }
        return result
    }

    /// `slice` with indices written inline: `x[.at(0), .range(0..<4)]`.
    public subscript(_ indices: TensorIndex...) -> Tensor {
        get throws { try slice(indices) }
    }

    /// The first position and the number of positions a Python slice selects on an axis of
    /// `extent` (CPython's PySlice_AdjustIndices). Any Int is a valid bound or step (except a
    /// step of 0): bounds are clipped before they are used, and the count is taken as
    /// 1 + (span - 1) / |step|, which cannot overflow where CPython's (span + step - 1) / step can.
    static func sliceBounds(start: Int?, end: Int?, step: Int, extent: Int) -> (first: Int, count: Int) {
        func clip(_ bound: Int?, default value: Int, lower: Int, upper: Int) -> Int {
            guard var bound else { return value }
            if bound < 0 { bound = bound < -extent ? lower : bound + extent }
            return Swift.min(Swift.max(bound, lower), upper)
        }
        func positions(span: Int) -> Int {
            span > 0 ? 1 + Int(UInt(span - 1) / step.magnitude) : 0
        }
        if step > 0 {
            let first = clip(start, default: 0, lower: 0, upper: extent)
            let last = clip(end, default: extent, lower: 0, upper: extent)
            return (first, positions(span: last - first))
        } else {
            let first = clip(start, default: extent - 1, lower: -1, upper: extent - 1)
            let last = clip(end, default: -1, lower: -1, upper: extent - 1)
            return (first, positions(span: first - last))
        }
    }
}

/// Where a slice lies in a tensor of `shape`: the offset of its first value and, for each axis
/// it keeps, its extent and its stride in the tensor's storage.
struct SliceLayout {
    var base = 0
    var walkShape: [Int] = []
    var walkStrides: [Int] = []
    /// The shape of the slice: the kept axes.
    var resultShape: [Int] { walkShape }

    init(shape: [Int], indices: [TensorIndex]) throws {
        guard indices.count <= shape.count else {
            throw TensorError("slice", "\(indices.count) indices for shape \(describeShape(shape)) of rank \(shape.count)")
        }
        let strides = Shape.strides(shape)
        for axis in shape.indices {
            let extent = shape[axis]
            switch axis < indices.count ? indices[axis] : .all {
            case .at(let i):
                let resolved = i < 0 ? i + extent : i
                guard resolved >= 0 && resolved < extent else {
                    throw TensorError("slice", "index \(i) is out of range for axis \(axis) of shape \(describeShape(shape))")
                }
                base += resolved * strides[axis]
            case .range(let start, let end, let step):
                guard step != 0 else {
                    throw TensorError("slice", "step 0 on axis \(axis) of shape \(describeShape(shape))")
                }
                let (first, length) = Tensor.sliceBounds(start: start, end: end, step: step, extent: extent)
                base += length > 0 ? first * strides[axis] : 0
                walkShape.append(length)
                // With two or more positions, step * stride lies inside the storage; with fewer
                // the stride is never used (and a huge step times the stride could overflow).
                walkStrides.append(length > 1 ? strides[axis] * step : 0)
            }
        }
    }
}
