import CBLAS
import Foundation

/// OpenBLAS, loaded at run time after medsynth has chosen its kernels (see `CoreSelection`).
///
/// Everything in Engine that multiplies matrices goes through `OpenBLAS.shared()`, so every
/// program built on Engine (the command line, the REPL, the tests) runs the same kernels without
/// re-executing itself or relying on a wrapper script.
public final class OpenBLAS: Sendable {
    private typealias SGEMM = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
        Float, UnsafePointer<Float>?, blasint, UnsafePointer<Float>?, blasint,
        Float, UnsafeMutablePointer<Float>?, blasint) -> Void
    private typealias DGEMM = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
        Double, UnsafePointer<Double>?, blasint, UnsafePointer<Double>?, blasint,
        Double, UnsafeMutablePointer<Double>?, blasint) -> Void
    private typealias GetString = @convention(c) () -> UnsafeMutablePointer<CChar>?
    private typealias GetInt = @convention(c) () -> Int32
    private typealias SetInt = @convention(c) (Int32) -> Void

    /// The kernel choice that was in force when the library loaded.
    public let selection: CoreSelection
    /// The file the library was loaded from.
    public let path: String
    /// The kernel set OpenBLAS runs, for example "SkylakeX", "Haswell" or "Zen".
    public let coreName: String
    /// OpenBLAS's build description, for example "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64".
    public let configuration: String

    private let sgemmFunction: SGEMM
    private let dgemmFunction: DGEMM
    private let getThreads: GetInt
    private let setThreads: SetInt
    /// Recursive: a convolution inside `withThreads` (a benchmark, a test that pins the thread
    /// count) sets the count again on the same thread.
    private let threadLock = NSRecursiveLock()

    /// The version number from the build description, for example "0.3.21".
    public var version: String {
        let words = configuration.split(separator: " ")
        return words.count > 1 && words[0] == "OpenBLAS" ? String(words[1]) : "unknown"
    }

    /// The threads OpenBLAS uses for one call.
    public var threadCount: Int {
        get { Int(getThreads()) }
    }

    /// Runs `body` with OpenBLAS limited to `threads` threads, then restores the previous count.
    public func withThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        threadLock.lock()
        defer { threadLock.unlock() }
        let previous = getThreads()
        setThreads(Int32(max(1, threads)))
        defer { setThreads(previous) }
        return try body()
    }

    private static let loaded = Result<OpenBLAS, any Error> { try OpenBLAS() }

    /// The process's OpenBLAS, loaded on first use; an error says what is missing.
    public static func shared() throws -> OpenBLAS {
        try loaded.get()
    }

    /// Marks OPENBLAS_CORETYPE as medsynth's own choice, so a child process (medsynth run by a
    /// test, say) does not mistake the inherited value for the user's.
    static let markerVariable = "MEDSYNTH_OPENBLAS_CORETYPE_CHOSEN"

    /// The user's OPENBLAS_CORETYPE, if they set one (not one inherited from a medsynth parent).
    static func userCoreSetting(environment: [String: String]) -> String? {
        guard let value = environment[CoreSelection.variable] else { return nil }
        return environment[markerVariable] == value ? nil : value
    }

    private init() throws {
        let environment = ProcessInfo.processInfo.environment
        let selection = CoreSelection.decide(
            userSetting: Self.userCoreSetting(environment: environment), cpu: .current)
        if selection.source == .medsynth, let core = selection.coreType {
            // Must happen before dlopen: OpenBLAS reads the variable in its initialiser.
            setenv(CoreSelection.variable, core, 1)
            setenv(Self.markerVariable, core, 1)
        }
        let library = try NativeLibrary.open(
            anyOf: ["libopenblas.so.0", "libopenblas.so"], purpose: "OpenBLAS (libopenblas-dev)")
        let corename = try library.function("openblas_get_corename", as: GetString.self)
        let config = try library.function("openblas_get_config", as: GetString.self)
        self.selection = selection
        self.sgemmFunction = try library.function("cblas_sgemm", as: SGEMM.self)
        self.dgemmFunction = try library.function("cblas_dgemm", as: DGEMM.self)
        self.getThreads = try library.function("openblas_get_num_threads", as: GetInt.self)
        self.setThreads = try library.function("openblas_set_num_threads", as: SetInt.self)
        self.coreName = corename().map { String(cString: $0) } ?? "unknown"
        self.configuration = config().map { String(cString: $0) } ?? "unknown"
        self.path = library.loadedPath() ?? library.name
        setThreads(Int32(Self.threadsPerCall))
    }

    /// OpenBLAS runs every call on the calling core: Engine shares out the work itself
    /// (`forEachProduct`, `Convolution2D`'s groups) in pieces that depend only on the problem's
    /// shape, so that no value's arithmetic depends on the thread count or on the batch it is
    /// in. (OpenBLAS's threaded driver cuts a product differently from its single-threaded one,
    /// and its threads, once woken, spin on sched_yield for a while before they sleep: that
    /// spinning took a core from Engine's next loop, and DDIM sampling ran about 15% slower for
    /// it on 2 cores.) MEDSYNTH_THREADS sets the cores; OPENBLAS_NUM_THREADS and
    /// OMP_NUM_THREADS are not followed (`userThreadSetting` names them so `doctor` can say so).
    static let threadsPerCall = 1

    /// The user's OpenBLAS or OpenMP thread setting, which medsynth does not follow, if any.
    public static func userThreadSetting(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"] {
            if let value = environment[name] { return "\(name)=\(value)" }
        }
        return nil
    }

    /// Products worth a fork: below this many floating-point operations in all (about 10
    /// microseconds of SGEMM), `forEachProduct` runs them one after the other on the caller.
    static let parallelProductFlops = 2e6

    /// Runs the independent products `body(0)`, ..., `body(count - 1)` (each one or more SGEMM
    /// calls writing only its own output), of `flops` floating-point operations each, shared
    /// out over Engine's threads when they are worth it, each SGEMM on one core. Which thread
    /// runs a product never changes its arithmetic.
    public func forEachProduct(count: Int, flops: Double, _ body: (Int) -> Void) {
        if Double(count) * flops < Self.parallelProductFlops {
            for index in 0..<count { body(index) }
        } else {
            Parallel.forEachChunk(count: count, grain: 1) { index, _ in body(index) }
        }
    }

    /// C = alpha * op(A) * op(B) + beta * C for row-major matrices, where op(X) is X or its
    /// transpose: op(A) is m x k, op(B) is k x n, C is m x n; lda, ldb and ldc are the row strides
    /// of A, B and C as stored. A transposed operand is read in place, never copied.
    public func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemmFunction(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// `sgemm` in double precision, for the statistics (covariances, Fréchet distances) that
    /// need it.
    public func dgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        dgemmFunction(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// The row-major product op(A) op(B) of double matrices, op(A) m x k and op(B) k x n.
    public func product(
        _ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false
    ) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        guard m > 0, n > 0 else { return c }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    dgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                          a: a.baseAddress!, lda: max(1, transposeA ? m : k), b: b.baseAddress!, ldb: max(1, transposeB ? k : n),
                          beta: 0, c: c.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }
}
