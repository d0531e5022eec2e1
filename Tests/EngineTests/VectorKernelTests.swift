import CKernels
import XCTest
@testable import Engine

/// The C kernels' variants (AVX-512, AVX2, baseline) give the numbers of a plain Swift loop that
/// adds in the documented order, bit for bit, on every variant this CPU can run; and the widest
/// variant the CPU has is the one chosen.
final class VectorKernelTests: XCTestCase {
    // 37 columns: two whole blocks of sixteen and a tail of five.
    let (height, width) = (5, 37)
    var paddedWidth: Int { width + 2 }

    func plane(_ count: Int, seed: UInt64) -> [Float] {
        var random = RandomStream(seed: seed)
        return (try? Tensor.rand([count], low: -1, high: 1, using: &random))?.withUnsafeBufferPointer { Array($0) } ?? []
    }

    /// A padded plane: zero border, random inside.
    func padded(seed: UInt64) -> [Float] {
        let inside = plane(height * width, seed: seed)
        var result = [Float](repeating: 0, count: (height + 2) * paddedWidth)
        for row in 0..<height {
            for column in 0..<width { result[(row + 1) * paddedWidth + column + 1] = inside[row * width + column] }
        }
        return result
    }

    /// y += the nine taps, each output's sum in the order w0 x[r][j] + w1 x[r][j+1], then + w2 ... + w8.
    func referenceTaps(_ y: inout [Float], _ x: [Float], _ w: [Float]) {
        for row in 0..<height {
            for j in 0..<width {
                let at = { (r: Int, c: Int) in x[(row + r) * self.paddedWidth + j + c] }
                var sum = w[0] * at(0, 0) + w[1] * at(0, 1)
                for k in 2..<9 { sum += w[k] * at(k / 3, k % 3) }
                y[row * width + j] += sum
            }
        }
    }

    /// Per tap: sixteen lanes over whole blocks, row by row; a tail Float; lanes added in order from -0.
    func referenceProducts(_ g: [Float], _ x: [Float], into sums: inout [Double]) {
        let whole = width / 16 * 16
        for k in 0..<9 {
            var lanes = [Float](repeating: 0, count: 16), tail: Float = 0
            for row in 0..<height {
                for j in 0..<width {
                    let product = g[row * width + j] * x[(row + k / 3) * paddedWidth + j + k % 3]
                    if j < whole { lanes[j % 16] += product } else { tail += product }
                }
            }
            var total: Float = -0.0
            for lane in lanes { total += lane }
            sums[k] += Double(total) + Double(tail)
        }
    }

    func testEveryVariantThisCPUCanRunGivesTheReferenceBitForBit() throws {
        let chosen = VectorKernels.instructionSet
        defer { XCTAssertTrue(VectorKernels.use(chosen)) }
        let (x, w, g) = (padded(seed: 1), plane(9, seed: 2), plane(height * width, seed: 3))
        let start = plane(height * width, seed: 4)
        var expectedY = start
        referenceTaps(&expectedY, x, w)
        var expectedSums = [Double](repeating: 0.25, count: 9)
        referenceProducts(g, x, into: &expectedSums)

        var ran: [String] = []
        for name in VectorKernels.instructionSets where VectorKernels.use(name) {
            ran.append(name)
            XCTAssertEqual(VectorKernels.instructionSet, name)
            var y = start
            medsynth_same_convolution_taps(&y, x, height, width, paddedWidth, w)
            XCTAssertEqual(y.map(\.bitPattern), expectedY.map(\.bitPattern), name)
            var sums = [Double](repeating: 0.25, count: 9)
            medsynth_same_convolution_tap_products(g, x, height, width, paddedWidth, &sums)
            XCTAssertEqual(sums.map(\.bitPattern), expectedSums.map(\.bitPattern), name)
        }
        XCTAssertTrue(ran.contains("baseline"), "the baseline runs everywhere")
        XCTAssertFalse(VectorKernels.use("sse9"), "an unknown instruction set is refused")
        print("vector kernels compared on this CPU: \(ran.joined(separator: ", ")); chosen: \(chosen)")
    }

    /// The widest variant the CPU has is chosen: AVX-512 where /proc/cpuinfo lists avx512f.
    func testTheWidestVariantTheCPUHasIsChosen() {
        let flags = CPUFeatures.current.flags
        #if arch(x86_64)
        let expected = flags.contains("avx512f") ? "avx512" : flags.contains("avx2") ? "avx2" : "baseline"
        #else
        let expected = "baseline"
        #endif
        XCTAssertEqual(VectorKernels.instructionSet, expected, "CPU flags: \(flags.filter { $0.hasPrefix("avx") }.sorted())")
    }
}
