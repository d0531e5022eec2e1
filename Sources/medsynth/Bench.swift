import ArgumentParser
import Diffusion
import Engine
import Foundation
import Imaging

/// `medsynth bench`: throughput of the engine's kernels and the time per run of the diffusion
/// workloads, as medians over repeats.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the benchmarks: SGEMM, element-wise, conv2d, Canny, SSIM and the diffusion workloads.",
        discussion: """
            Each benchmark runs once to warm up, then REPEATS timed repeats; the median and the \
            range (min-max) over repeats are reported. Give names or parts of names to run a subset, \
            for example `medsynth bench sgemm`. With --pytorch, benchmarks/torch_reference.py first \
            runs the diffusion workloads in PyTorch (same configurations, same thread count, one \
            after the other, never at the same time), and each gets the ratio medsynth/PyTorch of \
            the median times: below 1 means medsynth is faster.
            """
    )

    @Argument(help: "Run only benchmarks whose names contain one of these words.")
    var filters: [String] = []

    @Option(help: "Timed repeats per benchmark.")
    var repeats: Int = 10

    @Flag(help: "Print machine-readable JSON instead of a table.")
    var json = false

    @Flag(help: "Run the PyTorch reference script on the diffusion workloads too, and print ratios.")
    var pytorch = false

    @Option(help: "The Python interpreter for --pytorch.")
    var python = "python3"

    @Option(help: "The PyTorch reference script for --pytorch.")
    var pytorchScript = "benchmarks/torch_reference.py"

    @Flag(help: "Profile each diffusion workload: where its time goes, by kind of operation (see benchmarks/README.md).")
    var profile = false

    @Option(help: "Profiled runs per workload, with --profile.")
    var profileRuns = 5

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        guard (1...1000).contains(profileRuns) else { throw ValidationError("--profile-runs must be in 1...1000, got \(profileRuns)") }
    }

    func run() throws {
        let blas = try OpenBLAS.shared()
        let cases = try (EngineBenchmarks.standard() + ImagingBenchmarks.standard() + DiffusionBenchmarks.standard()).filter { benchmark in
            filters.isEmpty || filters.contains { benchmark.name.localizedCaseInsensitiveContains($0) }
        }
        guard !cases.isEmpty else {
            throw ValidationError("no benchmark matches \(filters.joined(separator: ", "))")
        }
        let reference = try pytorchReference(for: cases)
        let runner = BenchmarkRunner(repeats: repeats)
        if !json {
            print("OpenBLAS \(blas.version), \(blas.coreName) kernels; engine threads \(Parallel.threadCount); \(repeats) repeats")
            if let reference { print("PyTorch \(reference.torch), \(reference.threads) threads, the same repeats") }
            print(Self.row("benchmark", "median", "", "min-max",
                           reference == nil ? nil : ("PyTorch", "   ", "(min-max)", "ratio")))
        }
        var results: [BenchmarkResult] = []
        var comparisons: [BenchComparison] = []
        for benchmark in cases {
            let result = try runner.measure(benchmark)
            results.append(result)
            let twin = reference?.results.first { $0.name == result.name }
            let comparison = twin.map { BenchComparison(result, $0) }
            if let comparison { comparisons.append(comparison) }
            if !json {
                print(Self.row(
                    result.name, String(format: "%.2f", result.median), result.unit,
                    String(format: "%.2f-%.2f", result.min, result.max),
                    comparison.map {
                        (String(format: "%.2f", $0.pytorchMedianMilliseconds), "ms",
                         String(format: "(%.2f-%.2f)", $0.pytorchMinMilliseconds, $0.pytorchMaxMilliseconds),
                         String(format: "%.2f", $0.ratio))
                    }))
            }
        }
        let profiles = profile ? try cases.filter { $0.unit == BenchmarkCase.milliseconds }.map(profileOf) : []
        let roofline = try rooflineFigures(cases: cases, results: results, profiles: profiles, runner: runner)
        if !json {
            printRoofline(roofline)
            profiles.forEach(printProfile)
        }
        if json {
            let report = BenchReport(
                medsynth: MedSynth.versionWithCommit, openBLAS: blas.version, coreName: blas.coreName,
                coreSelection: blas.selection.explanation, engineThreads: Parallel.threadCount,
                repeats: repeats, results: results, pytorch: reference?.torch, comparisons: comparisons,
                roofline: roofline, profiles: profiles)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}

extension Bench {
    /// One line of the table, in fixed columns: the name, the median (right-aligned) and its
    /// unit, the range; then, for a workload compared with PyTorch, PyTorch's median, unit and
    /// range and the ratio.
    static func row(_ name: String, _ median: String, _ unit: String, _ range: String,
                    _ pytorch: (median: String, unit: String, range: String, ratio: String)?) -> String {
        func left(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let ours = left(name, 36) + right(median, 10) + " " + left(unit, 8) + "  " + range
        guard let pytorch else { return ours }
        return left(ours, 77) + right(pytorch.median, 10) + " " + left(pytorch.unit, 3)
            + left(pytorch.range, 21) + right(pytorch.ratio, 6)
    }

    /// With --pytorch, the reference times of the selected cases that PyTorch has twins of.
    /// PyTorch runs before medsynth so the two never compete for the cores.
    func pytorchReference(for cases: [BenchmarkCase]) throws -> PyTorchReference.Report? {
        guard pytorch else { return nil }
        let timed = cases.filter { $0.unit == BenchmarkCase.milliseconds }.map(\.name)
        guard !timed.isEmpty else {
            throw ValidationError("--pytorch compares the diffusion workloads, and none of them is selected")
        }
        if !json { print("running \(pytorchScript) (\(timed.count) workloads, \(repeats) repeats) ...") }
        do {
            return try PyTorchReference(python: python, script: pytorchScript)
                .run(repeats: repeats, threads: Parallel.threadCount, filters: timed)
        } catch let failure as PyTorchReference.Failure {
            throw ValidationError(failure.description)
        }
    }
}

/// One workload timed by medsynth and by PyTorch: ratio = medsynth's median time / PyTorch's.
struct BenchComparison: Codable {
    var name: String
    var medsynthMedianMilliseconds: Double
    var pytorchMedianMilliseconds: Double
    var pytorchMinMilliseconds: Double
    var pytorchMaxMilliseconds: Double
    var ratio: Double

    init(_ result: BenchmarkResult, _ reference: PyTorchReference.Result) {
        name = result.name
        medsynthMedianMilliseconds = result.median
        pytorchMedianMilliseconds = reference.medianSeconds * 1000
        pytorchMinMilliseconds = reference.minSeconds * 1000
        pytorchMaxMilliseconds = reference.maxSeconds * 1000
        ratio = medsynthMedianMilliseconds / pytorchMedianMilliseconds
    }
}

/// The JSON document `medsynth bench --json` prints.
struct BenchReport: Codable {
    var medsynth: String
    var openBLAS: String
    var coreName: String
    var coreSelection: String
    var engineThreads: Int
    var repeats: Int
    var results: [BenchmarkResult]
    var pytorch: String?
    var comparisons: [BenchComparison]
    var roofline: Roofline?
    var profiles: [WorkloadProfile]
}
