import Engine

/// Which samples each training step sees: every epoch visits the data set in a fresh random order,
/// cut into mini-batches of `batchSize` consecutive indices of that order.
///
/// The order of epoch e is a Fisher-Yates shuffle (Knuth, TAOCP vol. 2, Algorithm P) driven by
/// the key `random.item(e)`: a pure function of (random, e), so step s's batch is
/// known without replaying the steps before it, and a resumed run needs only the step count.
///
/// Last partial batch: dropped. An epoch has floor(count / batchSize) batches and the
/// count % batchSize samples left at the end of its order wait for a later epoch (which reshuffles,
/// so no sample is left out for good). Every step thus averages its loss over the same number of
/// samples, and the gradient's scale does not jump once per epoch.
public struct BatchOrder: Sendable {
    /// The number of samples in the data set.
    public let count: Int
    /// Samples per batch.
    public let batchSize: Int
    /// The key of the shuffles: epoch e draws from `random.item(e)`.
    public let random: RandomKey
    /// The last epoch's permutation, so that consecutive steps shuffle once per epoch.
    private var current: (epoch: Int, order: [Int])?

    /// Refuses a data set smaller than one batch.
    public init(count: Int, batchSize: Int, random: RandomKey) throws {
        guard batchSize >= 1, count >= batchSize else {
            throw TrainingError.configuration("a batch of \(batchSize) needs at least \(batchSize) samples, but the data set has \(count)")
        }
        self.count = count
        self.batchSize = batchSize
        self.random = random
    }

    /// Whole batches per epoch.
    public var batchesPerEpoch: Int { count / batchSize }

    /// The permutation of 0..<count that epoch `epoch` visits.
    ///
    /// Going down from i = count - 1 to 1, position i swaps with j = floor(u (i + 1) / 2^32), u the
    /// next 32-bit Philox word (Lemire's multiply-shift: a bias below (i + 1) / 2^32, negligible
    /// for data sets of any size a CPU trains on).
    public func permutation(epoch: Int) -> [Int] {
        var order = Array(0..<count)
        let stream = random.item(epoch).stream
        var words = SIMD4<UInt32>()
        for (draw, i) in stride(from: count - 1, through: 1, by: -1).enumerated() {
            if draw % 4 == 0 { words = stream.block(UInt64(draw / 4)) }
            let j = Int((UInt64(words[draw % 4]) * UInt64(i + 1)) >> 32)
            order.swapAt(i, j)
        }
        return order
    }

    /// The sample indices of the step that follows `completedSteps` steps. Keeps the epoch's
    /// permutation for the next call.
    public mutating func indices(afterSteps completedSteps: Int) -> [Int] {
        let (epoch, batch) = completedSteps.quotientAndRemainder(dividingBy: batchesPerEpoch)
        if current?.epoch != epoch { current = (epoch, permutation(epoch: epoch)) }
        return Array(current!.order[batch * batchSize ..< (batch + 1) * batchSize])
    }
}

extension Tensor {
    /// The samples (entries along the first axis) at `indices`, in that order: a mini-batch
    /// `[indices.count, ...]` of a data set `[N, ...]`.
    public func samples(at indices: [Int]) throws -> Tensor {
        guard rank >= 1 else { throw TensorError("samples(at:)", "needs a tensor with a sample axis, got a scalar") }
        try Tensor.checkAllocation([indices.count] + shape.dropFirst(), op: "samples(at:)")
        let sampleSize = count / Swift.max(shape[0], 1)
        var values = [Float]()
        values.reserveCapacity(indices.count * sampleSize)
        try withUnsafeBufferPointer { source in
            for index in indices {
                guard (0..<shape[0]).contains(index) else {
                    throw TensorError("samples(at:)", "index \(index) is outside 0..<\(shape[0])")
                }
                values.append(contentsOf: source[index * sampleSize ..< (index + 1) * sampleSize])
            }
        }
        return try Tensor(shape: [indices.count] + shape.dropFirst(), scalars: values)
    }
}
