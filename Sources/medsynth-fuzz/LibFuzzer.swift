#if FUZZING
import Foundation
import FuzzTargets

/// libFuzzer's driver, linked from the toolchain's `libclang_rt.fuzzer_no_main` (the library
/// without its own `main`, which would clash with SwiftPM's renamed entry point). Declared
/// here because libFuzzer ships no Swift module; see FuzzerInterface.h.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

enum LibFuzzer {
    /// The target the C callback runs: a C function pointer captures nothing, and libFuzzer
    /// calls it from one thread only.
    nonisolated(unsafe) private static var target = FuzzTarget.png

    /// Runs libFuzzer on `target` with libFuzzer's command-line `arguments` (the first being
    /// the program's name); returns its exit status.
    static func run(_ target: FuzzTarget, arguments: [String]) -> Int32 {
        self.target = target
        var argumentVector: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var argumentCount = Int32(arguments.count)
        return argumentVector.withUnsafeMutableBufferPointer { vector in
            var pointer = vector.baseAddress
            return LLVMFuzzerRunDriver(&argumentCount, &pointer) { data, size in
                let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
                // A thrown error is a reader refusing bad input, which is what it should do.
                try? LibFuzzer.target.run(input)
                return 0
            }
        }
    }
}
#endif
