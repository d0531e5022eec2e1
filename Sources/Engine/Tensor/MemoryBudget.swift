import Foundation
import Synchronization

/// The memory medsynth's process agrees to use, in bytes: a process-wide ceiling.
///
/// A notebook can ask for any shape (`zeros [100000, 1, 256, 256]`, `phantom n=100000`), a file
/// can declare any size, and a request past the machine's memory ends in an abort or the kernel's
/// OOM killer, with the REPL's state lost. So every place that allocates storage of a computed
/// size (tensor creation, op outputs, model construction, decoded images, decompressed streams)
/// first estimates the bytes and calls `check(bytes:for:)`, which throws a `MemoryBudgetError`
/// naming the request and the budget. A request larger than the budget is refused outright (one
/// comparison); a large one (`residentCheckThreshold` bytes or more) is refused also when it
/// would take the process's resident memory, read from /proc/self/statm, over the budget: that
/// counts the tensors alive (an op's input and output, a REPL session's names) without
/// tracking each one, at the cost of one read for an allocation that takes milliseconds anyway.
///
/// The limit starts as `MEDSYNTH_MAX_MEMORY` ("8G", "512M", a number of bytes) when that is set
/// and valid, otherwise as three quarters of physical memory; `limit` changes it for the process
/// (the command line's `--max-memory` and the REPL's `:memory` do that).
public enum MemoryBudget {
    /// The environment variable that sets the starting limit.
    public static let environmentVariable = "MEDSYNTH_MAX_MEMORY"

    /// An atomic, so that the check on every allocation reads it without taking a lock.
    private static let configuredLimit = Atomic<Int>(initialLimit())

    /// The budget in bytes: a request that would take the process over it is refused.
    public static var limit: Int {
        get { configuredLimit.load(ordering: .relaxed) }
        set { configuredLimit.store(Swift.max(0, newValue), ordering: .relaxed) }
    }

    /// Three quarters of physical memory: room for the request next to what the process and
    /// the system already hold. 8 GiB when the physical size cannot be read.
    public static var defaultLimit: Int {
        guard let memory = usableMemory() else { return 8 << 30 }
        return memory.bytes / 4 * 3
    }

    /// Where the starting limit came from, for `medsynth doctor`: MEDSYNTH_MAX_MEMORY, or the
    /// default's three quarters of the memory the process may use.
    public static var startingLimitSource: String {
        environmentLimit() != nil ? "from \(environmentVariable)" : "3/4 of \(usableMemory()?.source ?? "physical memory")"
    }

    /// Why MEDSYNTH_MAX_MEMORY was ignored, if it was set to something that is not a size.
    public static var environmentWarning: String? {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable], parseSize(text) == nil else { return nil }
        return "\(environmentVariable)=\(text) is not a size such as 8G, 512M or a number of bytes; using 3/4 of physical memory"
    }

    /// The smallest request that is also checked against the memory already in use.
    public static let residentCheckThreshold = 64 << 20

    /// Throws a `MemoryBudgetError` when `bytes` is over the budget, or, for a request of
    /// `residentCheckThreshold` bytes or more, when it and the process's resident memory
    /// together are. `what` names the request for the message: "zeros: [100000, 1, 256, 256]",
    /// "PNG image scan.png (20000 x 20000, 1 channel)".
    public static func check(bytes: Int, for what: @autoclosure () -> String) throws {
        let budget = limit
        if bytes > budget {
            throw MemoryBudgetError(request: what(), bytes: bytes, limit: budget)
        }
        if bytes >= residentCheckThreshold, let inUse = residentBytes(), inUse > budget - bytes {
            // Part of it may be freed memory the heap keeps for reuse (`HeapPolicy`): hand that
            // back to the system, then look again.
            HeapPolicy.releaseFreedMemory()
            if let inUse = residentBytes(), inUse > budget - bytes {
                throw MemoryBudgetError(request: what(), bytes: bytes, limit: budget, inUse: inUse)
            }
        }
    }

    /// Throws a `MemoryBudgetError` when `count` values of `bytesPerValue` bytes each are over
    /// the budget; a product that overflows is over any budget.
    public static func check(count: Int, bytesPerValue: Int, for what: @autoclosure () -> String) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: bytesPerValue)
        try check(bytes: overflow ? Int.max : bytes, for: what())
    }

    /// A size written as bytes ("1048576") or with a binary suffix K, M, G or T, optionally
    /// followed by "B" or "iB", and optionally fractional ("1.5G"); nil when it is not one.
    public static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let suffixes: [(String, Double)] = [("T", 0x1p40), ("G", 0x1p30), ("M", 0x1p20), ("K", 0x1p10), ("", 1)]
        var number = Substring(trimmed)
        for ending in ["IB", "B"] where number.hasSuffix(ending) {
            number = number.dropLast(ending.count)
            break
        }
        for (suffix, scale) in suffixes where number.hasSuffix(suffix) {
            guard let value = Double(number.dropLast(suffix.count)), value.isFinite, value >= 0 else { return nil }
            let bytes = (value * scale).rounded(.down)
            return bytes < 0x1p63 ? Int(bytes) : nil
        }
        return nil
    }

    /// A byte count for people: "512 B", "64.0 MiB", "24.4 GiB".
    public static func formatSize(_ bytes: Int) -> String {
        let units: [(String, Double)] = [("TiB", 0x1p40), ("GiB", 0x1p30), ("MiB", 0x1p20), ("KiB", 0x1p10)]
        for (unit, scale) in units where Double(bytes) >= scale {
            return String(format: "%.1f %@", Double(bytes) / scale, unit)
        }
        return "\(bytes) B"
    }

    private static func initialLimit() -> Int {
        environmentLimit() ?? defaultLimit
    }

    private static func environmentLimit() -> Int? {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap(parseSize)
    }

    /// The process's resident memory in bytes: the second field of /proc/self/statm, in pages.
    /// Nil where there is no /proc (the check then compares with the budget alone).
    /// The memory this process can use at most: the least of physical memory, `ulimit -v` and
    /// the control group's limit (nil if none can be read).
    public static var usableBytes: Int? { usableMemory()?.bytes }

    public static func residentBytes() -> Int? {
        let descriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * sysconf(Int32(_SC_PAGESIZE))
    }

    /// The machine's physical memory in bytes (pages times page size, as sysconf reports them).
    /// The memory this process may use: physical memory, or less where the process's
    /// address-space limit (ulimit -v) or its control group (a container's memory limit) says
    /// so. Beyond those an allocation fails, and a failed allocation ends a Swift process, so
    /// the budget must stay below the smallest of them.
    private static func usableMemory() -> (bytes: Int, source: String)? {
        var limits: [(bytes: Int, source: String)] = []
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, pageSize > 0, case (let bytes, false) = pages.multipliedReportingOverflow(by: pageSize) {
            limits.append((bytes, "physical memory"))
        }
        var addressSpace = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &addressSpace) == 0, addressSpace.rlim_cur != rlim_t.max,
           addressSpace.rlim_cur < UInt64(Int.max) {
            limits.append((Int(addressSpace.rlim_cur), "the address-space limit (ulimit -v)"))
        }
        // cgroup v2, then v1; "max" or an absurd v1 value means no limit.
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let bytes = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes > 0, bytes < 1 << 60 {
                limits.append((bytes, "the control group's memory limit"))
                break
            }
        }
        return limits.min { $0.bytes < $1.bytes }
    }
}

/// A request for more memory than `MemoryBudget.limit` allows.
///
/// Its text says what was asked, how much it needs and how to change the budget:
/// `zeros: [100000, 1, 256, 256] needs 24.4 GiB, over the memory budget of 17.7 GiB (set
/// --max-memory or MEDSYNTH_MAX_MEMORY to change it)`.
public struct MemoryBudgetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What asked for the memory: an operation and its shape, a file, a model.
    public var request: String
    /// The bytes the request needs (Int.max when the count overflowed).
    public var bytes: Int
    /// The budget at the time.
    public var limit: Int
    /// The process's resident memory at the time, when the request alone fitted the budget
    /// but not together with what was in use.
    public var inUse: Int?

    public init(request: String, bytes: Int, limit: Int, inUse: Int? = nil) {
        self.request = request
        self.bytes = bytes
        self.limit = limit
        self.inUse = inUse
    }

    public var description: String {
        let needs = bytes == Int.max ? "needs more bytes than a 64-bit count can hold" : "needs \(MemoryBudget.formatSize(bytes))"
        let held = inUse.map { " with \(MemoryBudget.formatSize($0)) already in use" } ?? ""
        return "\(request) \(needs), over the memory budget of \(MemoryBudget.formatSize(limit))\(held)"
            + " (set --max-memory or \(MemoryBudget.environmentVariable) to change it)"
    }
}

extension Tensor {
    /// Checks, before anything is allocated, that a Float tensor of `shape` can be made: its
    /// extents are non-negative, its size is countable (no overflow) and within the memory
    /// budget. For code outside Engine that fills its own [Float] of a computed size; `op`
    /// names the caller in the error.
    public static func checkAllocation(_ shape: [Int], op: String) throws {
        try Shape.checkAllocation(shape, op: op)
    }
}
