import TestSupport
import XCTest
@testable import Engine

/// Average and max pooling: forward and backward against PyTorch (Fixtures/pooling.json,
/// float64 references; tolerance 1e-6 + 1e-6 |reference|), gradients against central finite
/// differences (GradientCheck's defaults), and the routing of max pooling's gradient.
final class PoolingTests: XCTestCase {
    struct Case: Decodable {
        let name: String, kind: String
        let kernel: [Int], stride: [Int], padding: [Int]
        let input: FixtureTensor, gradOutput: FixtureTensor, output: FixtureTensor, gradInput: FixtureTensor
    }

    func pool(_ x: Variable, _ kind: String, kernel: Size2D, stride: Size2D?, padding: Size2D) throws -> Variable {
        kind == "max"
            ? try x.maxPool2d(kernel: kernel, stride: stride, padding: padding)
            : try x.avgPool2d(kernel: kernel, stride: stride, padding: padding)
    }

    func testForwardAndBackwardMatchPyTorch() throws {
        let cases = try loadFixtureCases("pooling.json", as: Case.self)
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let x = Variable(c.input.tensor, requiresGradient: true)
            let y = try pool(x, c.kind, kernel: Size2D(height: c.kernel[0], width: c.kernel[1]),
                             stride: Size2D(height: c.stride[0], width: c.stride[1]),
                             padding: Size2D(height: c.padding[0], width: c.padding[1]))
            try y.backward(gradient: c.gradOutput.tensor)
            assertMatchesFixture(y.value, c.output, absolute: 1e-6, relative: 1e-6, "\(c.name): output")
            assertMatchesFixture(x.grad, c.gradInput, absolute: 1e-6, relative: 1e-6, "\(c.name): input gradient")
        }
    }

    /// A shuffled ramp: values at least 0.07 apart, so no finite-difference step of 1e-2 changes
    /// which value of a window is the largest.
    func distinct(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return try! Tensor(shape: shape, scalars: (0..<n).map { Float(($0 * 37) % n) * 0.07 - 1 })
    }

    func testGradientsMatchFiniteDifferences() {
        let configurations: [(input: [Int], kernel: Size2D, stride: Size2D?, padding: Size2D)] = [
            ([2, 3, 6, 6], 2, nil, 0),
            ([2, 3, 7, 6], 3, 2, 1),
            ([2, 3, 5, 7], Size2D(height: 3, width: 2), Size2D(height: 1, width: 2), Size2D(height: 1, width: 0)),
            ([2, 3, 6, 5], Size2D(height: 2, width: 3), 1, Size2D(height: 1, width: 1)),
        ]
        for kind in ["max", "avg"] {
            for c in configurations {
                do {
                    let report = try GradientCheck().check([distinct(c.input)]) { v in
                        try pool(v[0], kind, kernel: c.kernel, stride: c.stride, padding: c.padding)
                    }
                    XCTAssertTrue(report.passed, "\(kind) \(c): \(report)")
                } catch {
                    XCTFail("\(kind) \(c): \(error)")
                }
            }
        }
    }

    func testMaxRoutesTheGradientToTheFirstMaximum() throws {
        // One 2x3 window holding 3 twice; overlapping windows (stride 1) that share a maximum
        // add their gradients there.
        let x = Variable(try Tensor(shape: [1, 1, 2, 3], scalars: [1, 3, 3, 2, 0, 3]), requiresGradient: true)
        try x.maxPool2d(kernel: Size2D(height: 2, width: 3)).backward(gradient: try Tensor.full([1, 1, 1, 1], value: 5))
        XCTAssertEqual(x.grad?.scalars, [0, 5, 0, 0, 0, 0])

        let y = Variable(try Tensor(shape: [1, 1, 1, 4], scalars: [1, 9, 2, 4]), requiresGradient: true)
        let pooled = try y.maxPool2d(kernel: Size2D(height: 1, width: 2), stride: 1)
        XCTAssertEqual(pooled.value.scalars, [9, 9, 4])
        try pooled.backward(gradient: try Tensor(shape: [1, 1, 1, 3], scalars: [1, 10, 100]))
        XCTAssertEqual(y.grad?.scalars, [0, 11, 0, 100])
    }

    func testPaddingCountsInTheAverageButIsNeverTheMaximum() throws {
        let x = Variable(try Tensor(shape: [1, 1, 2, 2], scalars: [-4, -8, -12, -16]))
        // A 2x2 window at stride 2 with padding 1: each output sees one real value and three
        // padded zeros; avg divides by 4 anyway, max ignores the padding.
        XCTAssertEqual(try x.avgPool2d(kernel: 2, padding: 1).value.scalars, [-1, -2, -3, -4])
        XCTAssertEqual(try x.maxPool2d(kernel: 2, padding: 1).value.scalars, [-4, -8, -12, -16])
    }

    func testAverageWithoutThePaddingDividesByThePositionsInside() throws {
        // A 3x3 plane, 3x3 windows at stride 1 with padding 1 (Inception's pooling branch in
        // pytorch-fid): a corner window holds 4 values, an edge one 6, the centre 9.
        let x = Variable(try Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9]), requiresGradient: true)
        let y = try x.avgPool2d(kernel: 3, stride: 1, padding: 1, countingPadding: false)
        let expected: [Float] = [12.0 / 4, 21.0 / 6, 16.0 / 4, 27.0 / 6, 45.0 / 9, 33.0 / 6, 24.0 / 4, 39.0 / 6, 28.0 / 4]
        for (value, wanted) in zip(y.value.scalars, expected) { XCTAssertEqual(value, wanted, accuracy: 1e-6) }
        // The top-left value is in four windows: the corner's (1/4), two edges' (1/6 each) and the centre's (1/9).
        try y.sum().backward()
        XCTAssertEqual(x.grad!.scalars[0], 1.0 / 4 + 2.0 / 6 + 1.0 / 9, accuracy: 1e-6)
        for c in [([2, 3, 7, 6], Size2D(3), Size2D(2), Size2D(1)), ([1, 2, 5, 7], Size2D(height: 3, width: 2), Size2D(1), Size2D(height: 1, width: 1))] {
            let report = try GradientCheck().check([distinct(c.0)]) { v in
                try v[0].avgPool2d(kernel: c.1, stride: c.2, padding: c.3, countingPadding: false)
            }
            XCTAssertTrue(report.passed, "\(c): \(report)")
        }
    }

    func testResultsDoNotDependOnTheThreadCount() throws {
        func run(threads: Int) throws -> [Tensor] {
            try Parallel.withThreadCount(threads) {
                let x = Variable(try Tensor.randn([4, 16, 40, 40], seed: 1), requiresGradient: true)
                let y = try (try x.maxPool2d(kernel: 3, stride: 2, padding: 1)).sum()
                    + (try x.avgPool2d(kernel: 3, stride: 1, padding: 1) * 2).sum()
                try y.backward()
                return [y.value, x.grad!]
            }
        }
        XCTAssertEqual(try run(threads: 1), try run(threads: 2))
    }

    func testErrors() {
        let x = Variable(try! Tensor.zeros([2, 3, 4, 4]))
        assertTensorError("maxPool2d", mentions: ["[3, 4, 4]"]) { try Variable(try Tensor.zeros([3, 4, 4])).maxPool2d(kernel: 2) }
        assertTensorError("avgPool2d", mentions: ["padding 2", "half the kernel size 3"]) { try x.avgPool2d(kernel: 3, padding: 2) }
        assertTensorError("maxPool2d", mentions: ["5x5 kernel", "[2, 3, 4, 4]"]) { try x.maxPool2d(kernel: 5) }
        assertTensorError("avgPool2d", mentions: ["stride must be positive"]) { try x.avgPool2d(kernel: 2, stride: 0) }
        assertTensorError("avgPool2d", mentions: ["no images"]) { try Variable(try Tensor.zeros([0, 3, 4, 4])).avgPool2d(kernel: 2) }
    }
}

/// Sizes too large to count are errors, not traps.
final class HugeSizeTests: XCTestCase {
    func testAbsurdPaddingScaleAndPlanesThrow() throws {
        let x = Variable(try Tensor.zeros([1, 1, 4, 4]))
        assertTensorError("maxPool2d", mentions: ["too large"]) { try x.maxPool2d(kernel: Size2D(Int.max / 2), padding: Size2D(Int.max / 4)) }
        assertTensorError("upsampleNearest", mentions: ["too many values"]) { try x.upsampleNearest(scale: Size2D(Int.max / 2)) }
        assertTensorError("upsampleBilinear", mentions: ["too many values"]) { try x.upsampleBilinear(scale: Size2D(1 << 40)) }
    }
}
