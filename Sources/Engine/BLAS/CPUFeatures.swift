import Foundation

/// The instruction-set extensions of the CPU this process runs on, as the Linux kernel reports
/// them in /proc/cpuinfo: a flag appears there only when both the CPU and the kernel support it
/// (AVX-512 needs the kernel to save the extended register state), which is exactly the question
/// OpenBLAS's kernels ask.
public struct CPUFeatures: Sendable, Equatable {
    /// The model name, for example "AMD EPYC 9R45".
    public var modelName: String
    /// Lower-case feature flags, for example "avx2", "avx512f".
    public var flags: Set<String>

    public init(modelName: String, flags: Set<String>) {
        self.modelName = modelName
        self.flags = flags
    }

    /// Parses the text of /proc/cpuinfo; the first processor's entry speaks for all.
    public init(cpuinfo text: String) {
        var model = "unknown CPU"
        var flags = Set<String>()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if key == "model name", model == "unknown CPU" {
                model = value
            } else if key == "flags", flags.isEmpty {
                flags = Set(value.split(separator: " ").map { $0.lowercased() })
            }
        }
        self.init(modelName: model, flags: flags)
    }

    /// The features of this machine (read once).
    public static let current: CPUFeatures = {
        let text = readProcFile("/proc/cpuinfo") ?? ""
        return CPUFeatures(cpuinfo: text)
    }()

    /// The AVX-512 subsets that OpenBLAS's SkylakeX kernels use.
    public static let skylakeXRequirements: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    /// Whether the SkylakeX (AVX-512) kernels can run here.
    public var hasAVX512: Bool { Self.skylakeXRequirements.isSubset(of: flags) }

    /// Whether the AVX2 and FMA kernels (OpenBLAS's Haswell and Zen) can run here.
    public var hasAVX2: Bool { flags.contains("avx2") && flags.contains("fma") }
}
