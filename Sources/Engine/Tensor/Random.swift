extension Tensor {
    /// A tensor of uniform values in [0, 1), drawn from `stream` (which advances past them).
    ///
    /// Value i (row-major) comes from block `stream.position + i/4`, lane i % 4, so the result
    /// depends only on the stream, never on the thread count.
    public static func rand(_ shape: [Int], using stream: inout RandomStream) throws -> Tensor {
        try rand(shape, low: 0, high: 1, using: &stream)
    }

    /// A tensor of uniform values in [low, high), drawn from `stream` (which advances past them).
    ///
    /// Each value is low + (high - low) * u with u uniform in [0, 1); a result that rounds up to
    /// `high` is replaced by the largest Float below it, so `high` itself never appears.
    /// `low` and `high` must be finite with low < high.
    public static func rand(
        _ shape: [Int], low: Float, high: Float, using stream: inout RandomStream
    ) throws -> Tensor {
        try Shape.checkAllocation(shape, op: "rand")
        let width = high - low
        guard low.isFinite, high.isFinite, low < high, width.isFinite else {
            throw TensorError("rand", "needs finite bounds with low < high (got low \(low), high \(high))")
        }
        let largest = high.nextDown
        return fill(shape, from: &stream) { stream, block in
            let scaled = low + width * stream.uniforms(block: block)
            return scaled.replacing(with: largest, where: scaled .>= high)
        }
    }

    /// A tensor of normal values with mean `mean` and standard deviation `std`, drawn from
    /// `stream` (which advances past them) by the Box-Muller transform: mean + std * z with
    /// z standard normal (see `RandomStream.normals(_:_:)`). `std` must be finite and
    /// non-negative, `mean` finite.
    public static func randn(
        _ shape: [Int], mean: Float = 0, std: Float = 1, using stream: inout RandomStream
    ) throws -> Tensor {
        try Shape.checkAllocation(shape, op: "randn")
        guard mean.isFinite, std.isFinite, std >= 0 else {
            throw TensorError("randn", "needs a finite mean and a finite, non-negative std (got mean \(mean), std \(std))")
        }
        return fill(shape, from: &stream) { stream, block in
            mean + std * stream.normals(block: block)
        }
    }

    /// `rand(_:using:)` from a fresh stream: the same (seed, stream) always gives the same tensor.
    public static func rand(_ shape: [Int], seed: UInt64, stream: UInt64 = 0) throws -> Tensor {
        var source = RandomStream(seed: seed, stream: stream)
        return try rand(shape, using: &source)
    }

    /// `rand(_:low:high:using:)` from a fresh stream.
    public static func rand(
        _ shape: [Int], low: Float, high: Float, seed: UInt64, stream: UInt64 = 0
    ) throws -> Tensor {
        var source = RandomStream(seed: seed, stream: stream)
        return try rand(shape, low: low, high: high, using: &source)
    }

    /// `randn(_:mean:std:using:)` from a fresh stream: the same (seed, stream) always gives the
    /// same tensor.
    public static func randn(
        _ shape: [Int], mean: Float = 0, std: Float = 1, seed: UInt64, stream: UInt64 = 0
    ) throws -> Tensor {
        var source = RandomStream(seed: seed, stream: stream)
        return try randn(shape, mean: mean, std: std, using: &source)
    }

    /// A standard normal batch [B, ...] whose item b is drawn from `streams[b]` (each advances
    /// past its draw): item b is `randn(Array(shape.dropFirst()), using: &streams[b])`, so it does
    /// not depend on the other items, and a batch of 4 is the first 4 items of a batch of 8.
    public static func randn(_ shape: [Int], items streams: inout [RandomStream]) throws -> Tensor {
        guard let count = shape.first, count == streams.count else {
            throw TensorError("randn", "needs one stream per item: shape \(describeShape(shape)), \(streams.count) streams")
        }
        try Shape.checkAllocation(shape, op: "randn")
        let item = Array(shape.dropFirst())
        let items = try (0..<count).map { try randn(item, using: &streams[$0]) }
        return try stack(items)
    }

    /// `randn(_:mean:std:using:)` from a fresh stream of `random`.
    public static func randn(_ shape: [Int], random: RandomKey) throws -> Tensor {
        var source = random.stream
        return try randn(shape, using: &source)
    }

    /// A tensor whose values come four at a time from `values(stream, block)`, for the blocks
    /// reserved from `stream`. Chunks are whole multiples of 4 values, so each chunk starts on a
    /// block boundary and computes its blocks from their indices alone: the same values for
    /// any thread count.
    private static func fill(
        _ shape: [Int], from stream: inout RandomStream,
        _ values: (RandomStream, UInt64) -> SIMD4<Float>
    ) -> Tensor {
        // The callers have checked the shape against the memory budget.
        let count = Shape.count(shape)
        let first = stream.reserveBlocks(forValues: count)
        let source = stream
        let grain = Parallel.elementGrain
        precondition(grain % 4 == 0, "Tensor.fill: the chunk size must be a whole number of blocks")
        return build(shape: shape) { out in
            Parallel.forEachChunk(count: count, grain: grain) { _, range in
                var block = first &+ UInt64(range.lowerBound / 4)
                for start in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
                    let four = values(source, block)
                    for lane in 0..<Swift.min(4, range.upperBound - start) { out[start + lane] = four[lane] }
                    block &+= 1
                }
            }
        }
    }
}
