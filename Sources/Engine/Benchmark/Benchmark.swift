import Dispatch

/// A workload to time: `run` does the work once, and `work` says how much that is in `unit`s
/// (10^9 floating-point operations for GFLOP/s, 10^9 bytes for GB/s). A case in
/// `BenchmarkCase.milliseconds` reports the time of one run instead (lower is better): the
/// train steps and samplers, whose natural measure, and PyTorch's, is time.
public struct BenchmarkCase {
    /// The unit of cases measured by time per run rather than by throughput.
    public static let milliseconds = "ms"

    public var name: String
    public var unit: String
    public var work: Double
    public var run: () throws -> Void

    public init(name: String, unit: String, work: Double, run: @escaping () throws -> Void) {
        self.name = name
        self.unit = unit
        self.work = work
        self.run = run
    }
}

/// The throughput of one workload over repeated runs (or its time per run, in milliseconds).
public struct BenchmarkResult: Codable, Equatable, Sendable {
    public var name: String
    public var unit: String
    public var median: Double
    public var min: Double
    public var max: Double
    /// The number of timed repeats.
    public var repeats: Int
    /// How many times the workload ran within each repeat.
    public var iterations: Int
    /// The median time of one run of the workload, in seconds.
    public var secondsPerRun: Double
}

/// Times workloads: one warm-up run, a calibration so each repeat lasts at least
/// `minimumRepeatSeconds`, then `repeats` timed repeats. Throughput is reported as the median
/// and the range over repeats, because the machines are shared and noisy.
public struct BenchmarkRunner: Sendable {
    public var repeats: Int
    public var minimumRepeatSeconds: Double

    public init(repeats: Int = 10, minimumRepeatSeconds: Double = 0.05) {
        self.repeats = Swift.max(1, repeats)
        self.minimumRepeatSeconds = minimumRepeatSeconds
    }

    public func measure(_ benchmark: BenchmarkCase) throws -> BenchmarkResult {
        let once = try Self.seconds(benchmark.run)
        let iterations = Swift.max(1, Int((minimumRepeatSeconds / Swift.max(once, 1e-9)).rounded(.up)))
        var perRun: [Double] = []
        for _ in 0..<repeats {
            let elapsed = try Self.seconds { for _ in 0..<iterations { try benchmark.run() } }
            perRun.append(elapsed / Double(iterations))
        }
        let values = (benchmark.unit == BenchmarkCase.milliseconds
            ? perRun.map { $0 * 1000 } : perRun.map { benchmark.work / $0 }).sorted()
        return BenchmarkResult(
            name: benchmark.name, unit: benchmark.unit,
            median: Self.median(values), min: values.first!, max: values.last!,
            repeats: repeats, iterations: iterations, secondsPerRun: Self.median(perRun.sorted()))
    }

    /// The wall-clock time of `body`, in seconds.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The middle of sorted values (the mean of the two middle ones for an even count).
    public static func median(_ sorted: [Double]) -> Double {
        precondition(!sorted.isEmpty, "median of no values")
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
