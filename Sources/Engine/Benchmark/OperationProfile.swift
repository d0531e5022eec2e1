import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where the time of a workload goes, by kind of operation: `medsynth bench --profile`.
///
/// The engine's operations are issued one after another from one thread (each may use every
/// core inside), so the wall time of a run is cut into consecutive intervals, each closed by a
/// mark and charged to the mark's kind:
///
/// - a differentiable operation marks when it records its result (`Variable.result(of:)`), so
///   the interval since the previous mark, its own computation, is charged to its name
///   ("conv2d", "groupNorm", "add", ...), or to the enclosing `scope` ("attention");
/// - backward marks before and after each operation's derivative, charging it to the
///   operation's kind + " backward", and the adding up of gradients to "gradient accumulation";
/// - the optimizer marks at the end of its step ("optimizer"), a workload wherever its own glue
///   ends (a sampler's arithmetic), and the end of a run charges what is left to "outside
///   operations".
///
/// Inside a convolution the cores work in parallel; there the profile adds each engine thread's
/// CPU time per phase (im2col, SGEMM, col2im and layout for im2col's path, transform and SGEMM
/// for Winograd's, direct for the direct one), which says how the convolution's share splits,
/// and the floating-point operations of the convolution as defined (a Winograd convolution
/// multiplies 2.25 times fewer), which give its rate.
/// A kind's "calls" are the intervals charged to it: for an operation, its calls; for a scope
/// or bookkeeping, the stretches of it.
///
/// Recording costs a clock read per operation; when no profile records, a mark is one load and
/// a branch.
public final class OperationProfile: @unchecked Sendable {
    /// The time, calls and floating-point operations of one kind, summed over the runs.
    public struct Entry: Sendable, Equatable {
        public var seconds = 0.0
        public var calls = 0
        public var flops = 0.0
    }

    /// The profile recording now, if any: set only by `record`, on the thread that runs the
    /// workload, which is the only thread that marks.
    nonisolated(unsafe) static var active: OperationProfile?

    /// Each kind's totals over all recorded runs.
    public private(set) var entries: [String: Entry] = [:]
    /// CPU seconds per phase inside convolutions, summed over cores and runs.
    public var phases: [String: Double] { phaseSeconds.withLock { $0 } }
    /// The runs recorded.
    public private(set) var runs = 0
    /// Minor page faults (first touches of fresh memory) over all runs.
    public private(set) var minorFaults = 0
    /// The wall time of all runs.
    public private(set) var seconds = 0.0

    private let phaseSeconds = Mutex<[String: Double]>([:])
    private var last: UInt64 = 0
    private var pendingFlops = 0.0
    private var scopes: [String] = []

    public init() {}

    /// Runs `body` `runs` times, recording each.
    public func record(runs: Int, _ body: () throws -> Void) rethrows {
        precondition(Self.active == nil, "one profile records at a time")
        Self.active = self
        defer { Self.active = nil }
        for _ in 0..<runs {
            let faults = Self.minorFaultCount()
            let start = DispatchTime.now().uptimeNanoseconds
            last = start
            try body()
            close("outside operations")
            seconds += Double(last - start) / 1e9
            minorFaults += Self.minorFaultCount() - faults
            self.runs += 1
        }
    }

    /// The kinds by time, largest first, with their totals divided by the runs.
    public var perRun: [(kind: String, entry: Entry)] {
        let n = Double(Swift.max(runs, 1))
        return entries.map { kind, total in
            (kind, Entry(seconds: total.seconds / n, calls: Int((Double(total.calls) / n).rounded()), flops: total.flops / n))
        }.sorted { $0.entry.seconds > $1.entry.seconds }
    }

    /// Floating-point operations per run, as counted by the products that report them.
    public var flopsPerRun: Double { entries.values.reduce(0) { $0 + $1.flops } / Double(Swift.max(runs, 1)) }

    private func close(_ kind: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        entries[kind, default: Entry()].seconds += Double(now - last) / 1e9
        entries[kind, default: Entry()].calls += 1
        entries[kind, default: Entry()].flops += pendingFlops
        pendingFlops = 0
        last = now
    }

    /// The kind an operation recorded now belongs to: the innermost scope, or the operation.
    static func kind(of op: String) -> String? {
        guard let profile = active else { return nil }
        return profile.scopes.last ?? op
    }

    /// Charges the time since the previous mark to `kind` (or the enclosing scope).
    public static func mark(_ kind: @autoclosure () -> String) {
        guard let profile = active else { return }
        profile.close(profile.scopes.last ?? kind())
    }

    /// Counts floating-point operations of the work in progress; the next mark charges them to
    /// its kind. Called on the thread that marks.
    static func count(flops: @autoclosure () -> Double) {
        active?.pendingFlops += flops()
    }

    /// Charges everything `body` does to `name`: for a layer made of many small operations
    /// (attention), whose backward is charged to "`name` backward".
    public static func scope<Result>(_ name: String, _ body: () throws -> Result) rethrows -> Result {
        guard let profile = active else { return try body() }
        profile.close(profile.scopes.last ?? "outside operations")
        profile.scopes.append(name)
        defer {
            profile.close(name)
            profile.scopes.removeLast()
        }
        return try body()
    }

    /// Whether a profile records: a convolution times its phases only then.
    static var isRecording: Bool { active != nil }

    /// Adds CPU seconds of one core to a phase of a convolution.
    static func addPhase(_ phase: String, seconds: Double) {
        active?.phaseSeconds.withLock { $0[phase, default: 0] += seconds }
    }

    /// The calling thread's CPU time, in seconds.
    static func threadCPUTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func minorFaultCount() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_minflt
    }
}
