#if canImport(Glibc)
import Glibc
#endif
import Engine

/// How often each code of a VQ codebook is chosen over some images: the check for codebook
/// collapse, where most codes are never used and the latent carries few bits.
public struct CodebookUsage: Equatable, Sendable {
    /// How many latent positions chose each code.
    public private(set) var counts: [Int]

    /// The usage of `counts` (one per code).
    public init(counts: [Int]) {
        self.counts = counts
    }

    /// The usage in one quantisation's `counts` tensor.
    public init(_ quantization: VectorQuantizer.Quantization) {
        counts = quantization.counts.scalars.map { Int($0) }
    }

    /// Adds another batch's counts (of the same codebook).
    public mutating func add(_ other: CodebookUsage) {
        precondition(other.counts.count == counts.count, "CodebookUsage.add: codebooks of \(counts.count) and \(other.counts.count) codes")
        for k in counts.indices { counts[k] += other.counts[k] }
    }

    /// The number of positions counted.
    public var positions: Int { counts.reduce(0, +) }

    /// The fraction of the codes chosen at least once.
    public var usedFraction: Double {
        Double(counts.filter { $0 > 0 }.count) / Double(max(1, counts.count))
    }

    /// exp(-sum_k p_k ln p_k) with p = counts / positions: the number of equally used codes
    /// that would carry the same information (K at best, 1 on collapse).
    public var perplexity: Double {
        let total = Double(max(1, positions))
        return exp(counts.reduce(0.0) { entropy, count in
            let p = Double(count) / total
            return p > 0 ? entropy - p * log(p) : entropy
        })
    }
}

extension Autoencoder {
    /// The codebook usage of a VQ autoencoder over `images` [N, C, H, W], encoded `batchSize`
    /// at a time without gradients.
    public func codebookUsage(images: Tensor, batchSize: Int = 32) throws -> CodebookUsage {
        guard let quantizer else {
            throw ModuleError("Autoencoder.codebookUsage: only the VQ autoencoder has a codebook (this one is \(configuration.regularizer))")
        }
        var usage = CodebookUsage(counts: Array(repeating: 0, count: quantizer.codebook.shape[0]))
        try forEachBatch(of: images, size: batchSize) { batch in
            usage.add(CodebookUsage(try GradientMode.withoutGradients { try quantize(Variable(batch)) }))
        }
        return usage
    }

    /// Calls `body` on consecutive slices of at most `size` images along axis 0.
    func forEachBatch(of images: Tensor, size: Int, _ body: (Tensor) throws -> Void) throws {
        guard size > 0, images.rank == 4 else {
            throw TensorError("Autoencoder", "needs images [N, C, H, W] and a positive batch size, got \(describeShape(images.shape)), batch \(size)")
        }
        for start in stride(from: 0, to: images.shape[0], by: size) {
            try body(try images.slice([.range(start..<min(start + size, images.shape[0]))]))
        }
    }
}
