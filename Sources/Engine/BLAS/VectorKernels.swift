import CKernels

/// medsynth's own C kernels (Sources/CKernels), compiled for AVX-512, AVX2 and the baseline and
/// chosen at run time by the CPU's features, as OpenBLAS chooses its core: a binary built for
/// AVX2 still runs AVX-512 code where the CPU has it. Every variant gives the same numbers.
public enum VectorKernels {
    /// The variants, widest first.
    public static let instructionSets = ["avx512", "avx2", "baseline"]

    /// The instruction set the kernels run with here: "avx512", "avx2" or "baseline".
    public static var instructionSet: String { String(cString: medsynth_kernels_instruction_set()) }

    /// Makes the kernels use `name`, for tests that compare the variants; false (and nothing
    /// changes) when this CPU cannot run it.
    @discardableResult
    public static func use(_ name: String) -> Bool { medsynth_kernels_use(name) == 0 }
}
