import Synchronization

/// Winograd's transformed kernels U = G g G^T (`Convolution2D.winogradForward`), kept while
/// gradients are off so that a sampler, which runs the same network with the same weights at
/// every step, transforms each kernel once instead of once per step.
///
/// `WinogradWeightCache.using` opens a cache for its body and drops it at the end (the
/// sampling loop runs its steps in one); outside one there is no cache and every call
/// transforms its weights as before. The result is the same either way, bit for bit: a cached
/// U is exactly what the transform would compute again.
///
/// An entry is found by the address of the weights' values and the kernel's channel counts,
/// and it keeps a copy of the weight `Tensor`. That copy is what makes the address a safe key:
/// while the entry holds it, the values' storage is shared, so it is never freed (and its
/// address never reused), and anything that writes to the weights (an optimizer step, a load)
/// gets a fresh copy through copy-on-write, at a new address, and so misses the cache.
public final class WinogradWeightCache: Sendable {
    private struct Key: Hashable {
        let address: Int, outputs: Int, channels: Int
    }

    /// A transformed kernel set and the weights it came from, held so they stay as they were.
    private final class Entry: @unchecked Sendable {
        let weights: Tensor
        let transformed: UnsafeMutablePointer<Float>

        init(weights: Tensor, count: Int) {
            self.weights = weights
            transformed = .allocate(capacity: count)
        }

        deinit { transformed.deallocate() }
    }

    private let entries = Mutex<[Key: Entry]>([:])
    /// How many transforms this cache computed and how many it saved (for tests and profiles).
    private let counts = Mutex<(transforms: Int, reuses: Int)>((0, 0))

    /// The cache of the current `using` scope, if any.
    @TaskLocal static var current: WinogradWeightCache?

    /// Runs `body` with a cache of transformed kernels, dropped when it returns; inside another
    /// `using`, with that one's cache. For code that runs the same network many times without
    /// changing its weights (changing them is safe, only slower: see the type's documentation).
    public static func using<R>(_ body: () throws -> R) rethrows -> R {
        if current != nil { return try body() }
        return try $current.withValue(WinogradWeightCache(), operation: body)
    }

    var transforms: Int { counts.withLock { $0.transforms } }
    var reuses: Int { counts.withLock { $0.reuses } }

    /// Calls `body` with U for `weights` [O, C, 3, 3], running `transform` to fill it (`count`
    /// floats) the first time these weights are seen.
    func withTransformed<R>(
        _ weights: Tensor, outputs: Int, channels: Int, count: Int,
        transform: (UnsafeMutablePointer<Float>) -> Void, _ body: (UnsafePointer<Float>) -> R
    ) -> R {
        let address = weights.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        let key = Key(address: address, outputs: outputs, channels: channels)
        if let entry = entries.withLock({ $0[key] }) {
            counts.withLock { $0.reuses += 1 }
            return body(entry.transformed)
        }
        let entry = Entry(weights: weights, count: count)
        transform(entry.transformed)
        entries.withLock { $0[key] = entry }
        counts.withLock { $0.transforms += 1 }
        return body(entry.transformed)
    }
}
