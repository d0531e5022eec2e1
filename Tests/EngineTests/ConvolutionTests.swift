import TestSupport
import XCTest
@testable import Engine

/// conv2d and the Conv2d layer: forward and backward against PyTorch (Fixtures/conv2d.json,
/// float64 references; tolerance 1e-5 + 1e-5 |reference| per value), gradients against central
/// finite differences (GradientCheck's defaults: step 1e-2, 1e-3 + 1e-2 |numeric|; the op is
/// linear in each input, so the differences are exact up to rounding), and determinism.
final class ConvolutionTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let stride: [Int], padding: [Int]
        let input: FixtureTensor, weight: FixtureTensor, bias: FixtureTensor?
        let gradOutput: FixtureTensor, output: FixtureTensor
        let gradInput: FixtureTensor, gradWeight: FixtureTensor, gradBias: FixtureTensor?
    }

    func testForwardAndBackwardMatchPyTorch() throws {
        let cases = try loadFixtureCases("conv2d.json", as: Case.self)
        XCTAssertEqual(cases.count, 6)
        for c in cases { try Self.assertMatchesPyTorch(c) }
    }

    /// A fixture case's output and every gradient, to 1e-5 + 1e-5 |reference| per value.
    static func assertMatchesPyTorch(_ c: Case, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = Variable(c.input.tensor, requiresGradient: true)
        let w = Variable(c.weight.tensor, requiresGradient: true)
        let b = c.bias.map { Variable($0.tensor, requiresGradient: true) }
        let y = try Variable.conv2d(input: x, weight: w, bias: b,
                                    stride: Size2D(height: c.stride[0], width: c.stride[1]),
                                    padding: Size2D(height: c.padding[0], width: c.padding[1]))
        try y.backward(gradient: c.gradOutput.tensor)
        assertMatchesFixture(y.value, c.output, absolute: 1e-5, relative: 1e-5, "\(c.name): output", file: file, line: line)
        assertMatchesFixture(x.grad, c.gradInput, absolute: 1e-5, relative: 1e-5, "\(c.name): input gradient", file: file, line: line)
        assertMatchesFixture(w.grad, c.gradWeight, absolute: 1e-5, relative: 1e-5, "\(c.name): weight gradient", file: file, line: line)
        if let gradBias = c.gradBias {
            assertMatchesFixture(b?.grad, gradBias, absolute: 1e-5, relative: 1e-5, "\(c.name): bias gradient", file: file, line: line)
        }
    }

    /// Sign-mixed, smooth test values.
    func values(_ shape: [Int], offset: Float = 0) -> Tensor {
        let n = shape.reduce(1, *)
        return try! Tensor(shape: shape, scalars: (0..<n).map { sin(Float($0) * 0.77 + offset) + 0.1 * Float($0 % 5) })
    }

    func assertGradient(
        input: [Int], weight: [Int], bias: Bool, stride: Size2D, padding: Size2D,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var inputs = [values(input), values(weight, offset: 1) * 0.5]
        if bias { inputs.append(values([weight[0]], offset: 2)) }
        do {
            let report = try GradientCheck().check(inputs) { v in
                try Variable.conv2d(input: v[0], weight: v[1], bias: bias ? v[2] : nil, stride: stride, padding: padding)
            }
            XCTAssertTrue(report.passed, "\(weight) stride \(stride) padding \(padding): \(report)", file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func testGradientsMatchFiniteDifferences() {
        assertGradient(input: [2, 3, 5, 6], weight: [4, 3, 3, 3], bias: true, stride: 1, padding: 1)
        // 16 outputs from 3 channels: im2col (fewer outputs go direct, more inputs Winograd).
        assertGradient(input: [2, 3, 5, 6], weight: [16, 3, 3, 3], bias: true, stride: 1, padding: 1)
        assertGradient(input: [2, 3, 7, 6], weight: [2, 3, 3, 2], bias: true, stride: Size2D(height: 2, width: 1),
                       padding: Size2D(height: 1, width: 0))
        assertGradient(input: [2, 3, 4, 5], weight: [3, 3, 1, 1], bias: false, stride: 1, padding: 0)
        assertGradient(input: [2, 3, 6, 6], weight: [2, 3, 2, 2], bias: true, stride: 2, padding: 0)
        assertGradient(input: [2, 3, 7, 5], weight: [2, 3, 5, 3], bias: false, stride: Size2D(height: 2, width: 3),
                       padding: 2)
        assertGradient(input: [2, 3, 4, 4], weight: [2, 3, 1, 2], bias: true, stride: 3, padding: 1)
    }

    /// Images are grouped so that each group has about 2048 columns, and a group runs in tiles
    /// of about 256: at 32x32, 2 images a group, 1 a tile. A batch of 5 (two full groups and a
    /// partial one) must give what each image gives alone.
    func testGroupedBatchAgreesWithImagesAlone() throws {
        XCTAssertEqual([Convolution2D.columnsPerGroup, Convolution2D.columnsPerTile], [2048, 256])
        let convolution = try Convolution2D(input: [5, 2, 32, 32], weight: [16, 2, 3, 3], bias: nil, stride: 1, padding: 1)
        XCTAssertFalse(convolution.usesWinograd || convolution.usesDirect, "2 -> 16 channels: im2col")
        XCTAssertEqual([convolution.groupSize, convolution.groupCount, convolution.tileSize], [2, 3, 1])
        XCTAssertEqual(convolution.tiles(of: 2..<4), [2..<3, 3..<4])
        let x = Variable(try Tensor.randn([5, 2, 32, 32], seed: 5), requiresGradient: true)
        let w = Variable(try Tensor.randn([16, 2, 3, 3], seed: 6), requiresGradient: true)
        let b = Variable(try Tensor.randn([16], seed: 7), requiresGradient: true)
        let g = try Tensor.randn([5, 16, 32, 32], seed: 8)
        let y = try Variable.conv2d(input: x, weight: w, bias: b, padding: 1)
        try y.backward(gradient: g)

        var weightGradient = try Tensor.zeros([16, 2, 3, 3]), biasGradient = try Tensor.zeros([16])
        for n in 0..<5 {
            let xn = Variable(try x.value.slice([.at(n)]).unsqueezed(0), requiresGradient: true)
            let wn = Variable(w.value, requiresGradient: true), bn = Variable(b.value, requiresGradient: true)
            let yn = try Variable.conv2d(input: xn, weight: wn, bias: bn, padding: 1)
            try yn.backward(gradient: try g.slice([.at(n)]).unsqueezed(0))
            assertClose(yn.value.scalars, try y.value.slice([.at(n)]).scalars, accuracy: 1e-5)
            assertClose(xn.grad!.scalars, try x.grad!.slice([.at(n)]).scalars, accuracy: 1e-5)
            weightGradient = try weightGradient + wn.grad!
            biasGradient = try biasGradient + bn.grad!
        }
        // Sums of 5 x 1024 products of standard normal values: about 70 in size.
        assertClose(w.grad!.scalars, weightGradient.scalars, accuracy: 1e-3)
        assertClose(b.grad!.scalars, biasGradient.scalars, accuracy: 1e-3)
    }

    func testResultsDoNotDependOnTheThreadCount() throws {
        // Each of the three paths, large enough that its work runs in several groups or chunks.
        func run(threads: Int, channels: Int, outputs: Int) throws -> [Tensor] {
            try Parallel.withThreadCount(threads) {
                let x = Variable(try Tensor.randn([4, channels, 40, 40], seed: 1), requiresGradient: true)
                let w = Variable(try Tensor.randn([outputs, channels, 3, 3], seed: 2), requiresGradient: true)
                let b = Variable(try Tensor.randn([outputs], seed: 3), requiresGradient: true)
                let y = try Variable.conv2d(input: x, weight: w, bias: b, padding: 1)
                try y.backward(gradient: try Tensor.randn(y.shape, seed: 4))
                return [y.value, x.grad!, w.grad!, b.grad!]
            }
        }
        for (channels, outputs, path) in [(32, 32, "Winograd"), (3, 16, "im2col"), (32, 4, "direct")] {
            let convolution = try Convolution2D(input: [4, channels, 40, 40], weight: [outputs, channels, 3, 3],
                                                bias: nil, stride: 1, padding: 1)
            XCTAssertEqual(convolution.usesWinograd ? "Winograd" : convolution.usesDirect ? "direct" : "im2col", path)
            XCTAssertEqual(try run(threads: 1, channels: channels, outputs: outputs),
                           try run(threads: 2, channels: channels, outputs: outputs), path)
        }
    }

    func testEmptyBatch() throws {
        let x = Variable(try Tensor.zeros([0, 3, 5, 5]), requiresGradient: true)
        let w = Variable(try Tensor.ones([2, 3, 3, 3]), requiresGradient: true)
        let b = Variable(try Tensor.ones([2]), requiresGradient: true)
        let y = try Variable.conv2d(input: x, weight: w, bias: b)
        XCTAssertEqual(y.shape, [0, 2, 3, 3])
        try y.backward(gradient: try Tensor.zeros([0, 2, 3, 3]))
        XCTAssertEqual(w.grad, try Tensor.zeros([2, 3, 3, 3]))
        XCTAssertEqual(b.grad, try Tensor.zeros([2]))
    }

    func testShapeErrorsNameTheOpAndShapes() {
        let x = Variable(try! Tensor.zeros([2, 3, 5, 5]))
        let w = Variable(try! Tensor.zeros([4, 3, 3, 3]))
        assertTensorError("conv2d", mentions: ["[3, 5, 5]"]) {
            try Variable.conv2d(input: Variable(try Tensor.zeros([3, 5, 5])), weight: w)
        }
        assertTensorError("conv2d", mentions: ["3 channels", "expects 2", "[4, 2, 3, 3]"]) {
            try Variable.conv2d(input: x, weight: Variable(try Tensor.zeros([4, 2, 3, 3])))
        }
        assertTensorError("conv2d", mentions: ["bias must be [4]", "bias [3]"]) {
            try Variable.conv2d(input: x, weight: w, bias: Variable(try Tensor.zeros([3])))
        }
        assertTensorError("conv2d", mentions: ["7x3 kernel", "[2, 3, 5, 5]", "padded by 0"]) {
            try Variable.conv2d(input: x, weight: Variable(try Tensor.zeros([4, 3, 7, 3])))
        }
        assertTensorError("conv2d", mentions: ["stride must be positive"]) {
            try Variable.conv2d(input: x, weight: w, stride: Size2D(height: 1, width: 0))
        }
        assertTensorError("conv2d", mentions: ["padding must be non-negative"]) {
            try Variable.conv2d(input: x, weight: w, padding: -1)
        }
    }

    func testConv2dLayerInitialisationAndForward() throws {
        var random = RandomStream(seed: 9)
        let layer = try Conv2d(inputChannels: 4, outputChannels: 6, kernelSize: 3, stride: 2, padding: 1, random: &random)
        XCTAssertEqual(layer.namedParameters().map(\.path), ["weight", "bias"])
        XCTAssertEqual(layer.parameterCount, 6 * 4 * 9 + 6)
        let bound: Float = 1 / 6  // 1 / sqrt(4 * 3 * 3)
        for parameter in layer.parameters {
            XCTAssertTrue(parameter.value.scalars.allSatisfy { abs($0) < bound })
        }
        XCTAssertGreaterThan(try layer.weight.value.abs().max().item(), 0.15, "uses the whole range")

        let x = Variable(try Tensor.randn([2, 4, 9, 8], seed: 10))
        let y = try layer(x)
        XCTAssertEqual(y.shape, [2, 6, 5, 4])
        let expected = try Variable.conv2d(input: x, weight: layer.weight, bias: layer.bias, stride: 2, padding: 1)
        XCTAssertEqual(y.value, expected.value)
        XCTAssertNil(try Conv2d(inputChannels: 4, outputChannels: 6, kernelSize: 1, bias: false, random: &random).bias)
    }

    /// A student convolution learns a teacher's weights by gradient descent on the mean squared
    /// error of their outputs; a wrong gradient would not bring the loss down a million-fold.
    func testAStudentConvolutionLearnsATeacher() throws {
        var random = RandomStream(seed: 11)
        let teacher = try Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: Size2D(height: 3, width: 2),
                                 stride: Size2D(height: 1, width: 2), padding: 1, random: &random)
        let student = try Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: Size2D(height: 3, width: 2),
                                 stride: Size2D(height: 1, width: 2), padding: 1, random: &random)
        let x = Variable(try Tensor.randn([8, 3, 10, 10], seed: 12))
        let target = try GradientMode.withoutGradients { try teacher(x) }.detached()
        func loss() throws -> Variable { try (try student(x) - target).pow(2).mean() }
        let initial = try loss().value.item()
        for _ in 0..<300 {
            student.zeroGradients()
            try loss().backward()
            for parameter in student.parameters { parameter.value = try parameter.value - parameter.grad! * 0.5 }
        }
        let final = try loss().value.item()
        XCTAssertLessThan(final, initial * 1e-6, "loss went from \(initial) to \(final)")
    }

    /// im2col against its definition, value for value, for the shapes its two paths take: the
    /// whole-plane shifts of stride-1 "same" convolutions (3x3 and 5x5 padded, 1x1, 1x3) and
    /// the row by row copies of the others (stride 2, no padding, uneven padding), on planes
    /// down to 1x1 and several images.
    func testIm2colIsItsDefinition() throws {
        let cases: [(kernel: Size2D, stride: Size2D, padding: Size2D, height: Int, width: Int)] = [
            (3, 1, 1, 8, 8), (3, 1, 1, 1, 1), (3, 1, 1, 2, 5), (5, 1, 2, 4, 3), (1, 1, 0, 4, 4),
            (Size2D(height: 1, width: 3), 1, Size2D(height: 0, width: 1), 3, 6), (Size2D(height: 3, width: 1), 1, Size2D(height: 1, width: 0), 5, 2),
            (3, 2, 1, 8, 8), (3, 1, 0, 6, 6), (2, 1, 1, 4, 4), (3, Size2D(height: 1, width: 2), 1, 5, 7),
            // Whole-plane shifts with fewer or more output rows than input rows.
            (3, 1, Size2D(height: 0, width: 1), 5, 4), (3, 1, Size2D(height: 2, width: 1), 3, 4),
        ]
        for (kernel, stride, padding, height, width) in cases {
            let (count, channels) = (3, 2)
            let window = try SlidingWindow(op: "test", shape: [count, channels, height, width], height: height, width: width,
                                           kernel: kernel, stride: stride, padding: padding)
            let input = try Tensor.randn([count, channels, height, width], seed: 31)
            let (oh, ow) = (window.outputHeight, window.outputWidth)
            let rowLength = count * oh * ow
            var found = [Float](repeating: .nan, count: channels * kernel.height * kernel.width * rowLength)
            input.withUnsafeBufferPointer { x in
                found.withUnsafeMutableBufferPointer { columns in
                    ConvolutionColumns.im2col(input: x.baseAddress!, columns: columns.baseAddress!, count: count,
                                              channels: channels, window: window)
                }
            }
            var expected: [Float] = []
            let x = input.scalars
            for c in 0..<channels {
                for ki in 0..<kernel.height {
                    for kj in 0..<kernel.width {
                        for image in 0..<count {
                            for r in 0..<oh {
                                for q in 0..<ow {
                                    let (ih, iw) = (r * stride.height - padding.height + ki, q * stride.width - padding.width + kj)
                                    let inside = (0..<height).contains(ih) && (0..<width).contains(iw)
                                    expected.append(inside ? x[((image * channels + c) * height + ih) * width + iw] : 0)
                                }
                            }
                        }
                    }
                }
            }
            XCTAssertEqual(found, expected, "kernel \(kernel), stride \(stride), padding \(padding), plane \(height)x\(width)")
        }
    }
}

