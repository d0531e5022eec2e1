import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the C allocator treats the engine's large, short-lived buffers.
///
/// glibc's malloc serves a large request with a mapping of its own, which goes back to the
/// system when freed, and returns the free top of its heap to the system once it passes a
/// threshold. A training step allocates its activations and frees the whole tape at its end,
/// and the next step allocates them again: by default every step touched fresh pages, one
/// minor page fault per 4 KiB. The benchmark autoencoder step took 24,561 page faults per step;
/// with the policy below, 385, and its median time fell from 320 to 254 ms (Zen 5, 2 threads,
/// `medsynth bench autoencoder --profile`).
///
/// `keepFreedMemory` serves requests up to 32 MiB (glibc's largest threshold) from the heap and
/// returns the free top of a heap to the system only past `keptBytes`, so the next step reuses
/// it. (Free memory below a heap's top, and in the arenas of other threads, glibc never returned
/// without being asked.) What the process keeps counts as resident memory: after a large
/// computation the REPL holds its peak until `MemoryBudget`, before it refuses a request for lack
/// of room, hands it back (`releaseFreedMemory`). A user's own MALLOC_MMAP_THRESHOLD_,
/// MALLOC_TRIM_THRESHOLD_ or glibc.malloc tunables (GLIBC_TUNABLES) win.
public enum HeapPolicy {
    /// The largest request served from the heap: glibc's maximum threshold on 64-bit systems.
    public static let heapRequestLimit: Int32 = 32 << 20
    /// The freed memory the heap keeps for reuse.
    public static let keptBytes: Int32 = 512 << 20

    /// Whether the user tuned glibc's malloc through its environment variables.
    static func userTunedAllocator(_ environment: [String: String]) -> Bool {
        environment.keys.contains { $0 == "MALLOC_MMAP_THRESHOLD_" || $0 == "MALLOC_TRIM_THRESHOLD_" }
            || environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.") == true
    }

    /// Applies the policy; call it once, before the first large allocation. Returns whether it
    /// was applied (not when the user's settings stand, or the allocator is not glibc's).
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        guard !userTunedAllocator(ProcessInfo.processInfo.environment),
              let mallopt = function("mallopt", as: Mallopt.self) else { return false }
        return mallopt(mmapThreshold, heapRequestLimit) == 1 && mallopt(trimThreshold, keptBytes) == 1
    }

    /// Returns the heap's free memory to the system.
    public static func releaseFreedMemory() {
        _ = function("malloc_trim", as: MallocTrim.self)?(0)
    }

    // glibc's <malloc.h>, which Swift's Glibc module does not include: found at run time.
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32
    private static let trimThreshold: Int32 = -1   // M_TRIM_THRESHOLD
    private static let mmapThreshold: Int32 = -3   // M_MMAP_THRESHOLD

    private static func function<Function>(_ name: String, as type: Function.Type) -> Function? {
        guard let symbol = dlsym(nil, name) else { return nil }  // nil: RTLD_DEFAULT, the process's own symbols
        return unsafeBitCast(symbol, to: type)
    }
}
