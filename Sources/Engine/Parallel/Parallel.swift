import Foundation
import Synchronization

/// Engine's own parallel loops: large element-wise ops, reductions and data movement.
///
/// Work is cut into chunks of a fixed size that depends only on the problem, never on the number
/// of threads; threads then take contiguous runs of chunks. An element-wise op therefore computes
/// every element the same way whatever the thread count, and a reduction computes one partial
/// result per chunk and combines the partials in chunk order, so its result is bit-identical for
/// 1 or N threads.
public enum Parallel {
    private static let configuredThreads = Mutex<Int>(defaultThreadCount())

    /// The threads Engine's loops use: MEDSYNTH_THREADS if set, otherwise one per core.
    public static var threadCount: Int {
        get { configuredThreads.withLock { $0 } }
        set { configuredThreads.withLock { $0 = min(max(1, newValue), maximumThreads) } }
    }

    /// Why MEDSYNTH_THREADS was ignored or capped, if it was set to something other than a
    /// positive integer up to `maximumThreads`.
    public static var environmentWarning: String? {
        environmentWarning(ProcessInfo.processInfo.environment["MEDSYNTH_THREADS"])
    }

    static func environmentWarning(_ text: String?) -> String? {
        guard let text else { return nil }
        guard let n = Int(text), n > 0 else {
            return "MEDSYNTH_THREADS=\(text) is not a positive integer; using one thread per core"
        }
        return n > maximumThreads ? "MEDSYNTH_THREADS=\(text) is more than \(maximumThreads); using \(maximumThreads)" : nil
    }

    static func defaultThreadCount() -> Int {
        if let text = ProcessInfo.processInfo.environment["MEDSYNTH_THREADS"], let n = Int(text), n > 0 {
            return min(n, maximumThreads)
        }
        return min(max(1, ProcessInfo.processInfo.activeProcessorCount), maximumThreads)
    }

    /// The most threads Engine's loops use, whatever MEDSYNTH_THREADS says.
    public static let maximumThreads = 256

    /// Runs `body` with `threads` threads, then restores the previous count (for tests and benchmarks).
    public static func withThreadCount<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let previous = threadCount
        threadCount = threads
        defer { threadCount = previous }
        return try body()
    }

    /// The number of chunks of `grain` items that cover `count` items.
    public static func chunkCount(_ count: Int, grain: Int) -> Int {
        count <= 0 ? 0 : (count + grain - 1) / grain
    }

    /// Calls `body(chunk, range)` for every chunk of `grain` items in 0..<count, on up to
    /// `threadCount` threads. Chunk c covers c*grain ..< min(count, (c+1)*grain). `body` must
    /// write only to places that belong to its chunk.
    public static func forEachChunk(count: Int, grain: Int, _ body: (Int, Range<Int>) -> Void) {
        precondition(grain > 0, "Parallel.forEachChunk: grain must be positive")
        let chunks = chunkCount(count, grain: grain)
        let workers = min(threadCount, chunks)
        if workers <= 1 {
            for chunk in 0..<chunks { body(chunk, chunk * grain ..< min(count, (chunk + 1) * grain)) }
            return
        }
        func runShare(_ worker: Int) {
            for chunk in chunks * worker / workers ..< chunks * (worker + 1) / workers {
                body(chunk, chunk * grain ..< min(count, (chunk + 1) * grain))
            }
        }
        // The pool is busy when this loop is nested in another or runs beside one started on
        // another thread: then the caller runs every share itself.
        if !WorkerPool.shared.run(participants: workers, runShare) {
            for worker in 0..<workers { runShare(worker) }
        }
    }

    /// Element-wise work: 64K floats (256 KiB) per chunk keeps a chunk's memory in L2 and
    /// makes the fork cheap relative to the work.
    public static let elementGrain = 1 << 16
}
