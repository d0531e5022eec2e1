/// Reductions over axes: sum, mean, variance, min, max, argmax, argmin.
///
/// The reduced axes are moved to the end (a copy, unless they are already last), so that each
/// output value reduces one contiguous row. Every row is cut into blocks of `blockLength`
/// values; each block yields a partial result and the partials of a row are combined in block
/// order. Blocks are the unit of parallel work, so the result is the same bit for bit whatever
/// the thread count. Sums accumulate in Double.
extension Tensor {
    static let blockLength = 4096

    /// The sum over `axes` (all axes when nil); with `keepDims` the reduced axes stay with extent 1.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let rows = try ReductionRows(self, axes: axes, keepDims: keepDims, op: "sum")
        return rows.result { $0.blockSums(rows: rows.count, length: rows.length) }
    }

    /// The mean over `axes` (all axes when nil); NaN over zero values.
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let rows = try ReductionRows(self, axes: axes, keepDims: keepDims, op: "mean")
        let n = Double(rows.length)
        return rows.result { $0.blockSums(rows: rows.count, length: rows.length).map { $0 / n } }
    }

    /// The variance over `axes`: the mean squared deviation from the mean, divided by
    /// n - correction (0 gives NumPy's default, 1 the unbiased estimate, PyTorch's default).
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, correction: Int = 0) throws -> Tensor {
        let rows = try ReductionRows(self, axes: axes, keepDims: keepDims, op: "variance")
        guard rows.length - correction > 0 else {
            throw TensorError("variance", "\(rows.length) values per result with correction \(correction) leave no degrees of freedom (shape \(describeShape(shape)))")
        }
        let divisor = Double(rows.length - correction)
        return rows.result { data in
            // Two passes: the mean, then the squared deviations from it (no cancellation).
            let means = data.blockSums(rows: rows.count, length: rows.length).map { $0 / Double(rows.length) }
            return data.reduceBlocks(rows: rows.count, length: rows.length, partial: { block, row -> Double in
                var total = 0.0
                for x in block { let d = Double(x) - means[row]; total += d * d }
                return total
            }, finish: { partials in partials.reduce(0, +) }).map { $0 / divisor }
        }
    }

    /// The largest value over `axes`; NaN if any value is NaN. Empty reductions are an error.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extreme(axes: axes, keepDims: keepDims, op: "max", larger: true, positions: false).values
    }

    /// The smallest value over `axes`; NaN if any value is NaN. Empty reductions are an error.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extreme(axes: axes, keepDims: keepDims, op: "min", larger: false, positions: false).values
    }

    /// The position of the largest value along `axis` (of the flattened tensor when nil), as
    /// Float values; the first one on ties, and the first NaN if there is one (as NumPy).
    public func argmax(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        try extreme(axes: axis.map { [$0] }, keepDims: keepDims, op: "argmax", larger: true, positions: true).positions
    }

    /// The position of the smallest value along `axis`, as `argmax`.
    public func argmin(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        try extreme(axes: axis.map { [$0] }, keepDims: keepDims, op: "argmin", larger: false, positions: true).positions
    }

    /// The extreme value of each row and its first position, NaN winning over numbers. Positions
    /// are Float values, exact only up to 2^24, so an op that returns them refuses longer rows.
    private func extreme(
        axes: [Int]?, keepDims: Bool, op: String, larger: Bool, positions: Bool
    ) throws -> (values: Tensor, positions: Tensor) {
        let rows = try ReductionRows(self, axes: axes, keepDims: keepDims, op: op)
        guard rows.length > 0 else {
            throw TensorError(op, "reduces over no values (shape \(describeShape(shape)))")
        }
        guard !positions || rows.length <= 1 << 24 else {
            throw TensorError(op, "positions beyond 2^24 are not exact in Float32; this reduces over \(rows.length) values, at most \(1 << 24) are allowed (shape \(describeShape(shape)))")
        }
        func better(_ a: Float, than b: Float) -> Bool {
            if b.isNaN { return false }
            return a.isNaN || (larger ? a > b : a < b)
        }
        var best: [(value: Float, position: Int)] = []
        rows.data.withUnsafeBufferPointer { data in
            best = data.reduceBlocks(rows: rows.count, length: rows.length, partial: { block, _ -> (value: Float, position: Int) in
                var winner = (value: block[block.startIndex], position: block.startIndex)
                for i in block.indices where better(block[i], than: winner.value) { winner = (block[i], i) }
                return winner
            }, finish: { partials in
                // Strictly better only: an earlier block keeps a tie.
                partials.dropFirst().reduce(partials.first!) { better($1.value, than: $0.value) ? $1 : $0 }
            })
        }
        // Block positions count from the start of the data; make them relative to their row.
        return (Tensor(uncheckedShape: rows.outputShape, scalars: best.map(\.value)),
                Tensor(uncheckedShape: rows.outputShape, scalars: best.enumerated().map { Float($1.position - $0 * rows.length) }))
    }
}

/// A tensor rearranged so that each output value of a reduction reduces one contiguous row.
struct ReductionRows {
    /// The values, reduced axes last.
    let data: Tensor
    /// The number of values each result reduces.
    let length: Int
    /// The number of results.
    var count: Int { Shape.count(outputShape) }
    /// The shape of the result.
    let outputShape: [Int]

    init(_ tensor: Tensor, axes: [Int]?, keepDims: Bool, op: String) throws {
        let reduced = try Self.reducedAxes(axes, of: tensor.shape, op: op)
        let kept = (0..<tensor.rank).filter { !reduced.contains($0) }
        length = reduced.reduce(1) { $0 * tensor.shape[$1] }
        outputShape = try Self.outputShape(of: tensor.shape, axes: axes, keepDims: keepDims, op: op)
        let order = kept + reduced
        data = order == Array(0..<tensor.rank) ? tensor : try tensor.permuted(order)
    }

    /// The axes a reduction over `axes` (all when nil) reduces, resolved and sorted.
    static func reducedAxes(_ axes: [Int]?, of shape: [Int], op: String) throws -> [Int] {
        try axes.map { try Shape.normalizeAxes($0, rank: shape.count, op: op, shape: shape) } ?? Array(shape.indices)
    }

    /// The shape of a reduction's result, without computing it.
    static func outputShape(of shape: [Int], axes: [Int]?, keepDims: Bool, op: String) throws -> [Int] {
        let reduced = try reducedAxes(axes, of: shape, op: op)
        return keepDims
            ? shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
            : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
    }

    /// The result tensor from the values `reduce` computes for each row.
    func result(_ reduce: (UnsafeBufferPointer<Float>) -> [Double]) -> Tensor {
        let values = data.withUnsafeBufferPointer(reduce)
        return Tensor(uncheckedShape: outputShape, scalars: values.map { Float($0) })
    }
}

extension UnsafeBufferPointer<Float> {
    /// One value for each of `rows` rows of `length` values: `partial` reduces each block of a
    /// row (given the block, as a slice with absolute indices, and its row), in parallel;
    /// `finish` combines a row's partials in block order. A row of no values is one empty block.
    func reduceBlocks<Partial>(
        rows: Int, length: Int,
        partial: (Slice<UnsafeBufferPointer<Float>>, Int) -> Partial,
        finish: (ArraySlice<Partial>) -> Partial
    ) -> [Partial] {
        let blocksPerRow = Swift.max(1, Parallel.chunkCount(length, grain: Tensor.blockLength))
        let units = rows * blocksPerRow
        let partials = [Partial](unsafeUninitializedCapacity: units) { buffer, initialized in
            let grain = Swift.max(1, Parallel.elementGrain / Swift.max(1, Swift.min(length, Tensor.blockLength)))
            Parallel.forEachChunk(count: units, grain: grain) { _, range in
                for unit in range {
                    let row = unit / blocksPerRow, block = unit % blocksPerRow
                    let start = row * length + block * Tensor.blockLength
                    let end = Swift.min(row * length + length, start + Tensor.blockLength)
                    (buffer.baseAddress! + unit).initialize(to: partial(self[start..<end], row))
                }
            }
            initialized = units
        }
        return (0..<rows).map { row in finish(partials[row * blocksPerRow ..< (row + 1) * blocksPerRow]) }
    }

    /// The sum of each of `rows` rows of `length` values, accumulated in Double.
    func blockSums(rows: Int, length: Int) -> [Double] {
        reduceBlocks(rows: rows, length: length, partial: { block, _ -> Double in
            var total = 0.0
            for x in block { total += Double(x) }
            return total
        }, finish: { partials in partials.reduce(0, +) })
    }
}

extension Tensor {
    /// This tensor summed down to `shape`, a shape it was broadcast from: leading axes it lacks
    /// and axes where it has extent 1 are summed away. The gradient of a broadcast operand.
    public func summed(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        guard target.count <= rank, (try? Shape.broadcast([target, shape], op: "")) == shape else {
            throw TensorError("summed(toShape:)", "\(describeShape(shape)) is not a broadcast of \(describeShape(target))")
        }
        let offset = rank - target.count
        let axes = (0..<rank).filter { $0 < offset || (target[$0 - offset] == 1 && shape[$0] != 1) }
        return try sum(axes: axes, keepDims: true).reshaped(target)
    }
}
