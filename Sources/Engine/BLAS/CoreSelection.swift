/// Which OpenBLAS kernels medsynth asks for, and why.
///
/// Debian's OpenBLAS 0.3.21 does not recognise AMD Zen 5 and falls back to its Haswell (AVX2)
/// kernels; its SkylakeX (AVX-512) kernels run SGEMM about twice as fast there. OpenBLAS picks
/// its kernels once, when the library initialises, from the environment variable
/// OPENBLAS_CORETYPE. So the choice has to be made before the library loads:
/// `OpenBLAS.load()` applies this decision to the environment and only then opens the library.
public struct CoreSelection: Sendable, Equatable {
    /// Where the choice came from.
    public enum Source: Sendable, Equatable {
        /// The user set OPENBLAS_CORETYPE; their setting always wins.
        case user
        /// medsynth asked for SkylakeX because the CPU has AVX-512.
        case medsynth
        /// Nobody chose: OpenBLAS detects the CPU itself.
        case openBLAS
    }

    /// The environment variable OpenBLAS reads.
    public static let variable = "OPENBLAS_CORETYPE"
    /// The kernel set medsynth asks for on AVX-512 machines.
    public static let avx512Core = "SkylakeX"

    /// The value for OPENBLAS_CORETYPE, or nil to let OpenBLAS detect the CPU.
    public var coreType: String?
    public var source: Source
    /// A caution for the user, for example a forced AVX-512 core on a CPU without AVX-512.
    public var warning: String?

    /// Decides from the user's setting (the current value of OPENBLAS_CORETYPE, if any) and the CPU.
    public static func decide(userSetting: String?, cpu: CPUFeatures) -> CoreSelection {
        if let setting = userSetting, !setting.isEmpty {
            var warning: String? = nil
            let asksForAVX512 = ["skylakex", "cooperlake", "sapphirerapids"].contains(setting.lowercased())
            if asksForAVX512 && !cpu.hasAVX512 {
                warning = "\(variable)=\(setting) asks for AVX-512 kernels, but this CPU has no AVX-512: "
                    + "BLAS calls may stop with an illegal instruction; unset it to let medsynth choose"
            }
            return CoreSelection(coreType: setting, source: .user, warning: warning)
        }
        if cpu.hasAVX512 {
            return CoreSelection(coreType: avx512Core, source: .medsynth, warning: nil)
        }
        return CoreSelection(coreType: nil, source: .openBLAS, warning: nil)
    }

    /// One line for `medsynth doctor`.
    public var explanation: String {
        switch source {
        case .user: return "\(Self.variable)=\(coreType ?? "") set by the user (the user's setting wins)"
        case .medsynth: return "\(Self.variable)=\(coreType ?? "") chosen by medsynth (the CPU has AVX-512 and the variable was unset)"
        case .openBLAS: return "chosen by OpenBLAS's own CPU detection (no AVX-512 here, \(Self.variable) unset)"
        }
    }
}
