import Engine

/// The random numbers of one sample's degradation, from the sample's own key, so sample i is
/// degraded the same way whether it comes alone or in a batch of any size, and independently of
/// every other sample.
struct SampleRandomness {
    private let stream: RandomStream
    private var block: UInt64 = 0
    private var lane = 4
    private var words = SIMD4<UInt32>()

    init(_ key: RandomKey) {
        stream = key.stream
    }

    /// The sample's stream itself, for drawing whole tensors (Tensor.randn).
    var tensorStream: RandomStream { stream }

    /// The next uniform value in [0, 1), one 32-bit word of the stream at a time.
    mutating func uniform() -> Float {
        if lane == 4 {
            words = stream.block(block)
            block += 1
            lane = 0
        }
        defer { lane += 1 }
        return RandomStream.uniform(words[lane])
    }

    /// A uniform value in `range`.
    mutating func uniform(_ range: ClosedRange<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// A uniform whole number in `range`.
    mutating func integer(_ range: ClosedRange<Int>) -> Int {
        Swift.min(range.lowerBound + Int(uniform() * Float(range.count)), range.upperBound)
    }
}

/// The planes of a batch [N, 1, H, W] of one-channel images: N, H and W, or an error naming `op`.
func singleChannelPlanes(_ images: Tensor, op: String) throws -> (count: Int, height: Int, width: Int) {
    guard images.rank == 4, images.shape[1] == 1 else {
        throw TensorError(op, "expects images [N, 1, H, W], got \(describeShape(images.shape))")
    }
    return (images.shape[0], images.shape[2], images.shape[3])
}
