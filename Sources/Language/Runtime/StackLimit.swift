#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far down the current thread's stack recursion may go. The parser bounds how deeply a
/// program nests, and the interpreter how deeply functions call themselves, but a frame's size
/// differs between debug and release builds and a thread's stack between the main thread (8 MiB)
/// and others (often 512 KiB): a recursive walker that checks `hasRoom` stops with an error
/// wherever it runs, instead of overflowing the stack.
///
/// Made on the thread it is used on (stacks grow down; the floor is the stack's lowest address
/// plus a reserve for what runs below the last check: a verb, the engine, BLAS).
struct StackLimit {
    private let floor: UInt

    init() {
        guard let (lowest, size) = Self.currentStack() else {
            floor = 0
            return
        }
        let reserve = max(64 * 1024, min(1 << 20, size / 4))
        floor = lowest + UInt(reserve)
    }

    /// Whether the stack has room for more recursion below the caller's frame.
    var hasRoom: Bool {
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return here > floor
    }

    /// The lowest address and the size of the current thread's stack, when the system says.
    private static func currentStack() -> (lowest: UInt, size: Int)? {
        #if canImport(Glibc)
        // glibc declares pthread_getattr_np only under _GNU_SOURCE, which Swift's Glibc module
        // does not define: it is looked up by name instead.
        typealias GetAttributes = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "pthread_getattr_np") else { return nil }
        let getAttributes = unsafeBitCast(symbol, to: GetAttributes.self)
        var attributes = pthread_attr_t()
        guard getAttributes(pthread_self(), &attributes) == 0 else { return nil }
        defer { pthread_attr_destroy(&attributes) }
        var address: UnsafeMutableRawPointer?
        var size = 0
        guard pthread_attr_getstack(&attributes, &address, &size) == 0, let address else { return nil }
        return (UInt(bitPattern: address), size)
        #elseif canImport(Darwin)
        let top = UInt(bitPattern: pthread_get_stackaddr_np(pthread_self()))
        let size = pthread_get_stacksize_np(pthread_self())
        return (top - UInt(size), size)
        #else
        return nil
        #endif
    }
}
