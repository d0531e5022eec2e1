import ArgumentParser
import Engine
import Foundation
import Imaging

/// `medsynth bench`: throughput of the engine's kernels, as medians over repeats.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the benchmarks: SGEMM, element-wise add and exp, conv2d, Canny and SSIM.",
        discussion: """
            Each benchmark runs once to warm up, then REPEATS timed repeats; the median and the \
            range (min-max) over repeats are reported. Give names or parts of names to run a subset, \
            for example `medsynth bench sgemm`.
            """
    )

    @Argument(help: "Run only benchmarks whose names contain one of these words.")
    var filters: [String] = []

    @Option(help: "Timed repeats per benchmark.")
    var repeats: Int = 10

    @Flag(help: "Print machine-readable JSON instead of a table.")
    var json = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
    }

    func run() throws {
        let blas = try OpenBLAS.shared()
        let cases = try (EngineBenchmarks.standard() + ImagingBenchmarks.standard()).filter { benchmark in
            filters.isEmpty || filters.contains { benchmark.name.localizedCaseInsensitiveContains($0) }
        }
        guard !cases.isEmpty else {
            throw ValidationError("no benchmark matches \(filters.joined(separator: ", "))")
        }
        let runner = BenchmarkRunner(repeats: repeats)
        if !json {
            print("OpenBLAS \(blas.version), \(blas.coreName) kernels; engine threads \(Parallel.threadCount); \(repeats) repeats")
            print("benchmark".padding(toLength: 36, withPad: " ", startingAt: 0) + "  median        min-max")
        }
        var results: [BenchmarkResult] = []
        for benchmark in cases {
            let result = try runner.measure(benchmark)
            results.append(result)
            if !json {
                print(result.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                      + String(format: "  %7.2f %@  %.2f-%.2f", result.median, result.unit, result.min, result.max))
            }
        }
        if json {
            let report = BenchReport(
                medsynth: MedSynth.version, openBLAS: blas.version, coreName: blas.coreName,
                coreSelection: blas.selection.explanation, engineThreads: Parallel.threadCount,
                repeats: repeats, results: results)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
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
}
