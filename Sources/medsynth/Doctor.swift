import ArgumentParser
import Engine
import Formats
import Foundation
import Language

/// `medsynth doctor`: what medsynth runs on, and how fast.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the libraries, CPU features, threads and BLAS kernels medsynth uses.",
        discussion: """
            Prints the versions of Swift, OpenBLAS, HDF5, libpng, readline and zlib; which OpenBLAS \
            kernels run and why (OPENBLAS_CORETYPE set by you always wins; otherwise medsynth asks \
            for SkylakeX on CPUs with AVX-512); the thread counts; the memory budget; the file formats medsynth \
            reads and writes (Formats' registry); and a one-second SGEMM figure.
            """
    )

    @Option(help: "Seconds to spend measuring SGEMM (0 skips it).")
    var sgemmSeconds: Double = 1

    func run() throws {
        let cpu = CPUFeatures.current
        // Which standard library sessions load and where it comes from, or why it cannot be used.
        let library = Result { try StandardLibrary.selected() }
        let libraryLine: String
        switch library {
        case .success(let selection): libraryLine = selection.description
        case .failure(let error): libraryLine = "not usable: \(error)"
        }
        let blas: OpenBLAS
        do {
            blas = try OpenBLAS.shared()
        } catch {
            throw ValidationError("OpenBLAS is not usable: \(error)")
        }
        var lines: [(String, String)] = [
            ("medsynth", MedSynth.versionWithCommit),
            ("stdlib", libraryLine),
            ("Swift", NativeVersions.swift),
            ("CPU", "\(cpu.modelName), \(ProcessInfo.processInfo.activeProcessorCount) cores"),
            ("AVX-512", cpu.hasAVX512 ? "yes" : "no" + (cpu.hasAVX2 ? " (AVX2 and FMA: yes)" : "")),
            ("OpenBLAS", "\(blas.version) (\(blas.path))"),
            ("BLAS kernels", "\(blas.coreName): \(blas.selection.explanation)"),
            ("own kernels", "\(VectorKernels.instructionSet) (medsynth's C kernels, chosen at run time by the CPU's features)"),
        ]
        if let warning = blas.selection.warning { lines.append(("warning", warning)) }
        lines += [
            ("HDF5", NativeVersions.hdf5),
            ("libpng", NativeVersions.libpng),
            ("readline", NativeVersions.readline),
            ("zlib", NativeVersions.zlib),
            ("threads", "engine \(Parallel.threadCount) (MEDSYNTH_THREADS), OpenBLAS \(blas.threadCount) per call"
                + (OpenBLAS.userThreadSetting().map { " (\($0) is not followed: MEDSYNTH_THREADS sets the cores)" } ?? "")),
        ]
        if let warning = Parallel.environmentWarning { lines.append(("warning", warning)) }
        lines.append(("memory budget", "\(MemoryBudget.formatSize(MemoryBudget.limit)) (\(MemoryBudget.startingLimitSource); "
            + "the most memory medsynth may use: set --max-memory or \(MemoryBudget.environmentVariable) to change it)"))
        if let warning = MemoryBudget.environmentWarning { lines.append(("warning", warning)) }
        for (index, format) in FormatRegistry.supported.split(separator: "\n").enumerated() {
            lines.append((index == 0 ? "formats" : "", String(format)))
        }
        for (key, value) in lines { print(key.padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
        if sgemmSeconds > 0 {
            let runner = BenchmarkRunner(repeats: 5, minimumRepeatSeconds: sgemmSeconds / 5)
            let result = try runner.measure(try EngineBenchmarks.sgemm(size: 1024, threads: 1))
            print("SGEMM".padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(format: "%.1f GFLOP/s (1024 x 1024, 1 thread, %@ kernels, median of 5)",
                           result.median, blas.coreName))
        }
        // A standard library that cannot be used is a broken set-up: say so in the exit status too.
        if case .failure = library { throw ExitCode(1) }
    }
}
