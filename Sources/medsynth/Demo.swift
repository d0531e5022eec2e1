import ArgumentParser
import Engine

/// `medsynth demo`: a short tour of the tensor engine, printed step by step.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A short tour of the tensor engine: creation, broadcasting, reductions, matmul, softmax.",
        discussion: "Every number it prints comes from the engine; the same seed prints the same numbers."
    )

    @Option(help: "Seed of the random numbers.")
    var seed: UInt64 = 7

    func run() throws {
        func step(_ title: String, _ value: Any) {
            print("\n-- \(title)\n\(value)")
        }
        let ramp = try Tensor.arange(0, 6).reshaped([2, 3])
        step("arange(0, 6) reshaped to [2, 3]", ramp)
        step("plus a row [10, 20, 30], broadcast over rows", try ramp + Tensor([10, 20, 30]))
        step("sum over axis 1, keeping it", try ramp.sum(axes: [1], keepDims: true))
        step("matmul with its own transpose (SGEMM reads the transpose in place)",
             try Tensor.matmul(ramp, ramp, transposeB: true))
        let logits = try Tensor.randn([2, 4], seed: seed, stream: 0)
        step("randn [2, 4] (seed \(seed), stream 0)", logits)
        step("softmax over the last axis: each row sums to 1", try logits.softmax(axis: -1))
        let image = try Tensor.randn([1, 1, 64, 64], seed: seed, stream: 1)
        step("a 64x64 noise image, flipped and sliced to its top-left 4x4",
             try image.flipped([3])[.at(0), .at(0), .range(0..<4), .range(0..<4)])
        do {
            _ = try ramp + Tensor([1, 2])
        } catch {
            step("a shape mismatch is an error, not a crash", error)
        }
    }
}
