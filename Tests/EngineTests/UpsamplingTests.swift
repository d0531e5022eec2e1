import TestSupport
import XCTest
@testable import Engine

/// Nearest and bilinear upsampling: forward and backward against PyTorch's F.interpolate
/// (Fixtures/upsampling.json, float64 references; tolerance 1e-6 + 1e-6 |reference|), and
/// gradients against central finite differences (GradientCheck's defaults).
final class UpsamplingTests: XCTestCase {
    struct Case: Decodable {
        let name: String, mode: String
        let scale: [Int]?, size: [Int]?
        let input: FixtureTensor, gradOutput: FixtureTensor, output: FixtureTensor, gradInput: FixtureTensor
    }

    func testForwardAndBackwardMatchPyTorch() throws {
        let cases = try loadFixtureCases("upsampling.json", as: Case.self)
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let x = Variable(c.input.tensor, requiresGradient: true)
            let y: Variable
            if let size = c.size {
                y = try x.resizeBilinear(height: size[0], width: size[1])
            } else {
                let scale = Size2D(height: c.scale![0], width: c.scale![1])
                y = c.mode == "nearest" ? try x.upsampleNearest(scale: scale) : try x.upsampleBilinear(scale: scale)
            }
            try y.backward(gradient: c.gradOutput.tensor)
            assertMatchesFixture(y.value, c.output, absolute: 1e-6, relative: 1e-6, "\(c.name): output")
            assertMatchesFixture(x.grad, c.gradInput, absolute: 1e-6, relative: 1e-6, "\(c.name): input gradient")
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        let x = try Tensor.randn([2, 3, 4, 5], seed: 3)
        let operations: [(String, (Variable) throws -> Variable)] = [
            ("nearest x2", { try $0.upsampleNearest(scale: 2) }),
            ("nearest x(3, 1)", { try $0.upsampleNearest(scale: Size2D(height: 3, width: 1)) }),
            ("bilinear x2", { try $0.upsampleBilinear(scale: 2) }),
            ("bilinear x(1, 3)", { try $0.upsampleBilinear(scale: Size2D(height: 1, width: 3)) }),
            ("bilinear to 7x3", { try $0.resizeBilinear(height: 7, width: 3) }),
        ]
        for (name, operation) in operations {
            let report = try GradientCheck().check([x]) { v in try operation(v[0]) }
            XCTAssertTrue(report.passed, "\(name): \(report)")
        }
    }

    func testNearestRepeatsEachValueOverABlock() throws {
        let x = Variable(try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]))
        XCTAssertEqual(try x.upsampleNearest(scale: Size2D(height: 1, width: 2)).value.scalars, [1, 1, 2, 2, 3, 3, 4, 4])
    }

    func testBilinearKeepsTheImageAtItsOwnSizeAndInterpolatesBetweenPixelCentres() throws {
        let x = Variable(try Tensor.randn([2, 3, 5, 4], seed: 1))
        XCTAssertEqual(try x.resizeBilinear(height: 5, width: 4).value, x.value)
        // Doubling [0, 4]: the output pixel centres sit at input coordinates -1/4 (clamped to 0),
        // 1/4, 3/4 and 5/4 (past the last pixel, which is repeated).
        let ramp = Variable(try Tensor(shape: [1, 1, 1, 2], scalars: [0, 4]))
        XCTAssertEqual(try ramp.upsampleBilinear(scale: Size2D(height: 1, width: 2)).value.scalars, [0, 1, 3, 4])
    }

    func testResultsDoNotDependOnTheThreadCount() throws {
        func run(threads: Int) throws -> [Tensor] {
            try Parallel.withThreadCount(threads) {
                let x = Variable(try Tensor.randn([4, 16, 24, 24], seed: 2), requiresGradient: true)
                let y = try (try x.upsampleBilinear(scale: 2)).sum() + (try x.upsampleNearest(scale: 2) * 3).sum()
                try y.backward()
                return [y.value, x.grad!]
            }
        }
        XCTAssertEqual(try run(threads: 1), try run(threads: 2))
    }

    func testErrors() {
        let x = Variable(try! Tensor.zeros([2, 3, 4, 4]))
        assertTensorError("upsampleNearest", mentions: ["[3, 4]"]) { try Variable(try Tensor.zeros([3, 4])).upsampleNearest(scale: 2) }
        assertTensorError("upsampleNearest", mentions: ["positive", "(2, 0)"]) {
            try x.upsampleNearest(scale: Size2D(height: 2, width: 0))
        }
        assertTensorError("upsampleBilinear", mentions: ["positive"]) { try x.upsampleBilinear(scale: -1) }
        assertTensorError("resizeBilinear", mentions: ["0x4"]) { try x.resizeBilinear(height: 0, width: 4) }
        assertTensorError("resizeBilinear", mentions: ["empty"]) { try Variable(try Tensor.zeros([2, 0, 4, 4])).resizeBilinear(height: 2, width: 2) }
    }
}
