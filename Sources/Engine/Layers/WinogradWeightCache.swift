import Synchronization

/// Winograd's transformed kernels U = G g G^T (`Convolution2D.winogradForward`), kept between
/// calls so that a sampler, which runs the same network with the same weights at every step,
/// transforms each kernel once instead of once per step.
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
///
/// Weights that change inside a scope therefore cost a transform and a copy of the weights
/// each time they change. So that a long run whose weights keep changing cannot fill memory,
/// the entries together hold at most `capacity` floats (of U and of the weights they keep):
/// the least recently used go first, and weights too large for the whole capacity are never
/// kept. The default capacity, 64 Mi floats (256 MiB), holds the transforms of networks far
/// larger than the course's (whose 3x3 kernels come to about 1.3 M weights).
public final class WinogradWeightCache: Sendable {
    private struct Key: Hashable {
        let address: Int, outputs: Int, channels: Int
    }

    /// A transformed kernel set and the weights it came from, held so they stay as they were.
    private final class Entry: @unchecked Sendable {
        let weights: Tensor
        let transformed: UnsafeMutablePointer<Float>
        /// Floats this entry keeps alive: U and the weights.
        let size: Int
        /// When it was last used, in the cache's own count of lookups (set when it goes in).
        var lastUse = 0

        init(weights: Tensor, count: Int) {
            self.weights = weights
            transformed = .allocate(capacity: count)
            size = count + weights.count
        }

        deinit { transformed.deallocate() }
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var size = 0, lookups = 0
        var transforms = 0, reuses = 0
    }

    private let state = Mutex(State())
    /// The most floats the entries may hold together.
    let capacity: Int

    init(capacity: Int = 64 << 20) {
        self.capacity = capacity
    }

    /// The cache of the current `using` scope, if any.
    @TaskLocal static var current: WinogradWeightCache?

    /// Runs `body` with a cache of transformed kernels, dropped when it returns; inside another
    /// `using`, with that one's cache. For code that runs the same network many times without
    /// changing its weights (changing them is safe, only slower: see the type's documentation).
    public static func using<R>(_ body: () throws -> R) rethrows -> R {
        if current != nil { return try body() }
        return try $current.withValue(WinogradWeightCache(), operation: body)
    }

    /// Transforms computed and transforms saved so far, and the floats the entries hold.
    var counts: (transforms: Int, reuses: Int, size: Int) {
        state.withLock { ($0.transforms, $0.reuses, $0.size) }
    }

    /// Calls `body` with U for `weights` [O, C, 3, 3] (`count` floats), running `transform` to
    /// compute it the first time these weights are seen.
    func withTransformed<R>(
        _ weights: Tensor, outputs: Int, channels: Int, count: Int,
        transform: (UnsafeMutablePointer<Float>) -> Void, _ body: (UnsafePointer<Float>) -> R
    ) -> R {
        let address = weights.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        let key = Key(address: address, outputs: outputs, channels: channels)
        let found: Entry? = state.withLock { state in
            state.lookups += 1
            guard let entry = state.entries[key] else { return nil }
            entry.lastUse = state.lookups
            state.reuses += 1
            return entry
        }
        if let found {
            return withExtendedLifetime(found) { body(found.transformed) }
        }
        let entry = Entry(weights: weights, count: count)
        transform(entry.transformed)
        state.withLock { state in
            state.transforms += 1
            // Another thread of the scope may have put the same weights in meanwhile: keep theirs.
            guard state.entries[key] == nil, entry.size <= capacity else { return }
            while state.size + entry.size > capacity, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries[oldest.key] = nil
                state.size -= oldest.value.size
            }
            state.lookups += 1
            entry.lastUse = state.lookups
            state.entries[key] = entry
            state.size += entry.size
        }
        return withExtendedLifetime(entry) { body(entry.transformed) }
    }
}
