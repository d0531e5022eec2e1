import Engine
import Foundation

/// How close each workload comes to the machine's arithmetic peak, measured in the same run:
/// its floating-point operations per run (counted by the products, `OperationProfile`) over
/// its median time, against the rate of a large SGEMM on the same threads.
struct Roofline: Codable {
    struct Figure: Codable {
        var name: String
        var gflopPerRun: Double
        var gflopPerSecond: Double
        /// gflopPerSecond / the SGEMM rate.
        var fractionOfSGEMM: Double
    }

    /// The reference: SGEMM 1024 on the engine's threads, median GFLOP/s.
    var sgemmName: String
    var sgemmGFLOPPerSecond: Double
    var figures: [Figure]
}

/// One workload's profile, per run: each kind of operation's time, calls and rate, and the
/// CPU time of the phases inside convolutions.
struct WorkloadProfile: Codable {
    struct Row: Codable {
        var kind: String
        var calls: Int
        var milliseconds: Double
        var share: Double
        var gflopPerSecond: Double?
    }

    var name: String
    var runs: Int
    var millisecondsPerRun: Double
    var minorFaultsPerRun: Int
    var gflopPerRun: Double
    var rows: [Row]
    /// CPU milliseconds per run of each convolution phase, summed over the cores.
    var convolutionPhases: [String: Double]
}

extension Bench {
    /// The roofline figures of the timed workloads (and the conv2d benchmark), if any is
    /// selected: the SGEMM reference is taken from the results, or measured now; a workload's
    /// operations are counted by its profile, or by one recorded run when it has none.
    func rooflineFigures(
        cases: [BenchmarkCase], results: [BenchmarkResult], profiles: [WorkloadProfile], runner: BenchmarkRunner
    ) throws -> Roofline? {
        let timed = cases.filter { $0.unit == BenchmarkCase.milliseconds }
        let convolutions = results.filter { $0.name.hasPrefix("conv2d") }
        guard !timed.isEmpty || !convolutions.isEmpty else { return nil }
        let reference = try EngineBenchmarks.sgemm(size: 1024, threads: Parallel.threadCount)
        let sgemm = try results.first { $0.name == reference.name } ?? runner.measure(reference)
        var figures: [Roofline.Figure] = []
        for benchmark in timed {
            guard let result = results.first(where: { $0.name == benchmark.name }) else { continue }
            let gflop: Double
            if let profile = profiles.first(where: { $0.name == benchmark.name }) {
                gflop = profile.gflopPerRun
            } else {
                let counter = OperationProfile()
                try counter.record(runs: 1, benchmark.run)
                gflop = counter.flopsPerRun / 1e9
            }
            let rate = gflop / result.secondsPerRun
            figures.append(.init(name: benchmark.name, gflopPerRun: gflop, gflopPerSecond: rate, fractionOfSGEMM: rate / sgemm.median))
        }
        for result in convolutions {
            figures.append(.init(name: result.name, gflopPerRun: result.median * result.secondsPerRun, gflopPerSecond: result.median,
                                 fractionOfSGEMM: result.median / sgemm.median))
        }
        return Roofline(sgemmName: sgemm.name, sgemmGFLOPPerSecond: sgemm.median, figures: figures)
    }

    func printRoofline(_ roofline: Roofline?) {
        guard let roofline else { return }
        print("\nroofline: \(roofline.sgemmName) runs at \(String(format: "%.1f", roofline.sgemmGFLOPPerSecond)) GFLOP/s in this run")
        for figure in roofline.figures {
            print("  " + figure.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + String(format: "%7.2f GFLOP per run  %6.1f GFLOP/s  %5.1f%% of SGEMM",
                           figure.gflopPerRun, figure.gflopPerSecond, 100 * figure.fractionOfSGEMM))
        }
    }

    /// Profiles `profileRuns` runs of a timed workload (after the measurement's warm-up).
    func profileOf(_ benchmark: BenchmarkCase) throws -> WorkloadProfile {
        let profile = OperationProfile()
        try profile.record(runs: profileRuns, benchmark.run)
        let perRun = profile.seconds / Double(profile.runs)
        let rows = profile.perRun.map { kind, entry in
            WorkloadProfile.Row(
                kind: kind, calls: entry.calls, milliseconds: entry.seconds * 1000, share: entry.seconds / perRun,
                gflopPerSecond: entry.flops > 0 && entry.seconds > 0 ? entry.flops / entry.seconds / 1e9 : nil)
        }
        return WorkloadProfile(
            name: benchmark.name, runs: profile.runs, millisecondsPerRun: perRun * 1000,
            minorFaultsPerRun: profile.minorFaults / profile.runs, gflopPerRun: profile.flopsPerRun / 1e9, rows: rows,
            convolutionPhases: profile.phases.mapValues { $0 * 1000 / Double(profile.runs) })
    }

    func printProfile(_ profile: WorkloadProfile) {
        print("\nprofile of \(profile.name): \(profile.runs) runs, \(String(format: "%.1f", profile.millisecondsPerRun)) ms, "
              + "\(String(format: "%.2f", profile.gflopPerRun)) GFLOP and \(profile.minorFaultsPerRun) minor page faults per run")
        print("  " + "kind".padding(toLength: 32, withPad: " ", startingAt: 0) + "  calls/run     ms/run   share   GFLOP/s")
        for row in profile.rows where row.share >= 0.001 {
            print("  " + row.kind.padding(toLength: 32, withPad: " ", startingAt: 0)
                  + String(format: "%11d %10.2f %6.1f%%", row.calls, row.milliseconds, 100 * row.share)
                  + (row.gflopPerSecond.map { String(format: " %9.1f", $0) } ?? ""))
        }
        let phases = profile.convolutionPhases.sorted { $0.value > $1.value }
        if !phases.isEmpty {
            let total = phases.reduce(0) { $0 + $1.value }
            print("  inside conv2d, CPU time of the engine's threads per run: "
                  + phases.map { "\($0.key) " + String(format: "%.1f ms (%.0f%%)", $0.value, 100 * $0.value / total) }.joined(separator: ", "))
        }
    }
}
