import TestSupport
import XCTest
@testable import Engine

/// conv2d's two paths for 3x3 "same" convolutions besides im2col: Winograd's F(2x2, 3x3) (16
/// or more channels on both sides) and the direct one (fewer than 16 output channels). Which
/// convolutions take each; Winograd against PyTorch (Fixtures/conv2d_winograd.json, float64
/// references; the direct path meets PyTorch in ConvolutionTests' 3 -> 4 case); both against
/// the convolution's definition computed here in Double on shapes that exercise their tiling
/// (planes of odd size, rows longer than a vector with a tail, several runs of images in a
/// group, several groups), and against finite differences.
final class ConvolutionPathTests: XCTestCase {
    func testChosenForSameThreeByThreeConvolutionsWithEnoughChannels() throws {
        func uses(_ input: [Int], _ weight: [Int], stride: Size2D = 1, padding: Size2D = 1) throws -> Bool {
            try Convolution2D(input: input, weight: weight, bias: nil, stride: stride, padding: padding).usesWinograd
        }
        XCTAssertTrue(try uses([2, 16, 8, 8], [16, 16, 3, 3]))
        XCTAssertTrue(try uses([2, 128, 4, 4], [64, 128, 3, 3]))
        XCTAssertFalse(try uses([2, 15, 8, 8], [16, 15, 3, 3]), "too few input channels")
        XCTAssertFalse(try uses([2, 16, 8, 8], [4, 16, 3, 3]), "too few output channels")
        XCTAssertFalse(try uses([2, 16, 8, 8], [16, 16, 3, 3], stride: 2), "strided")
        XCTAssertFalse(try uses([2, 16, 8, 8], [16, 16, 3, 3], padding: 0), "not a same convolution")
        XCTAssertFalse(try uses([2, 16, 8, 8], [16, 16, 1, 1], padding: 0), "1x1 kernel")

        func direct(_ input: [Int], _ weight: [Int], stride: Size2D = 1) throws -> Bool {
            try Convolution2D(input: input, weight: weight, bias: nil, stride: stride, padding: 1).usesDirect
        }
        XCTAssertTrue(try direct([2, 32, 64, 64], [1, 32, 3, 3]))
        XCTAssertTrue(try direct([2, 3, 8, 8], [15, 3, 3, 3]))
        XCTAssertFalse(try direct([2, 3, 8, 8], [16, 3, 3, 3]), "16 outputs: im2col")
        XCTAssertFalse(try direct([2, 32, 8, 8], [4, 32, 3, 3], stride: 2), "strided")
    }

    func testForwardAndBackwardMatchPyTorch() throws {
        let cases = try loadFixtureCases("conv2d_winograd.json", as: ConvolutionTests.Case.self)
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            XCTAssertEqual([c.stride, c.padding], [[1, 1], [1, 1]], c.name)
            XCTAssertTrue(try Convolution2D(input: c.input.shape, weight: c.weight.shape, bias: c.bias?.shape,
                                            stride: 1, padding: 1).usesWinograd, c.name)
            // Sums of up to 16 x 9 products of normal values: 1e-5 relative to their size, as im2col.
            try ConvolutionTests.assertMatchesPyTorch(c)
        }
    }

    /// y, dx and dw by the definition, in Double.
    func reference(x: Tensor, w: Tensor, g: Tensor) -> (y: [Double], dx: [Double], dw: [Double]) {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), o = w.shape[0]
        let (xs, ws, gs) = (x.scalars.map(Double.init), w.scalars.map(Double.init), g.scalars.map(Double.init))
        var y = [Double](repeating: 0, count: n * o * h * wd)
        var dx = [Double](repeating: 0, count: xs.count), dw = [Double](repeating: 0, count: ws.count)
        for image in 0..<n {
            for out in 0..<o {
                for row in 0..<h {
                    for column in 0..<wd {
                        let yi = ((image * o + out) * h + row) * wd + column
                        for channel in 0..<c {
                            for ki in 0..<3 {
                                for kj in 0..<3 {
                                    let (r, s) = (row - 1 + ki, column - 1 + kj)
                                    guard (0..<h).contains(r), (0..<wd).contains(s) else { continue }
                                    let xi = ((image * c + channel) * h + r) * wd + s
                                    let wi = ((out * c + channel) * 3 + ki) * 3 + kj
                                    y[yi] += ws[wi] * xs[xi]
                                    dx[xi] += ws[wi] * gs[yi]
                                    dw[wi] += xs[xi] * gs[yi]
                                }
                            }
                        }
                    }
                }
            }
        }
        return (y, dx, dw)
    }

    func assertAgreesWithDefinition(batch: Int, channels: Int, outputs: Int, height: Int, width: Int, direct: Bool = false,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let convolution = try Convolution2D(input: [batch, channels, height, width], weight: [outputs, channels, 3, 3],
                                            bias: nil, stride: 1, padding: 1)
        XCTAssertEqual(direct ? convolution.usesDirect : convolution.usesWinograd, true, file: file, line: line)
        let x = Variable(try Tensor.randn([batch, channels, height, width], seed: 11), requiresGradient: true)
        let w = Variable(try Tensor.randn([outputs, channels, 3, 3], std: 0.2, seed: 12), requiresGradient: true)
        let g = try Tensor.randn([batch, outputs, height, width], seed: 13)
        let y = try Variable.conv2d(input: x, weight: w, padding: 1)
        try y.backward(gradient: g)
        let expected = reference(x: x.value, w: w.value, g: g)
        let shape = "\([batch, channels, height, width]) to \(outputs)"
        // Each value is a sum of up to 9C (dy, dx) or N H W (dw) products of values of about 1
        // times 0.2: the tolerances are about 1e-6 of the sums' size.
        func check(_ actual: [Float], _ expected: [Double], scale: Double, _ what: String) {
            let worst = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 2e-6 * scale, "\(shape): \(what)", file: file, line: line)
        }
        check(y.value.scalars, expected.y, scale: 0.2 * Double(9 * channels).squareRoot(), "output")
        check(x.grad!.scalars, expected.dx, scale: 0.2 * Double(9 * outputs).squareRoot(), "input gradient")
        check(w.grad!.scalars, expected.dw, scale: Double(batch * height * width).squareRoot(), "weight gradient")
    }

    func testAgreesWithTheDefinitionOverTheTilings() throws {
        // Odd planes: the last tile row and column pass the edge.
        try assertAgreesWithDefinition(batch: 2, channels: 16, outputs: 17, height: 5, width: 3)
        try assertAgreesWithDefinition(batch: 1, channels: 16, outputs: 16, height: 1, width: 6)
        // 16x16: 64 tiles an image, runs of 2 images; a batch of 6 makes groups of 3, each of a
        // run of 2 and a run of 1, so dU adds up over runs and then over groups.
        let convolution = try Convolution2D(input: [6, 16, 16, 16], weight: [16, 16, 3, 3], bias: nil, stride: 1, padding: 1)
        XCTAssertEqual([convolution.groupSize, convolution.groupCount, convolution.winogradTileSize], [3, 2, 2])
        XCTAssertEqual(convolution.winogradTiles(of: 3..<6), [3..<5, 5..<6])
        try assertAgreesWithDefinition(batch: 6, channels: 16, outputs: 16, height: 16, width: 16)
        // More channels than outputs and the other way round, a batch of several groups.
        try assertAgreesWithDefinition(batch: 40, channels: 48, outputs: 16, height: 4, width: 4)
        try assertAgreesWithDefinition(batch: 3, channels: 16, outputs: 40, height: 9, width: 8)
    }

    func testDirectAgreesWithTheDefinition() throws {
        // Rows of 37: two vectors of 16 and a tail of 5; of 16: one vector; of 3: a tail only.
        try assertAgreesWithDefinition(batch: 3, channels: 20, outputs: 3, height: 5, width: 37, direct: true)
        try assertAgreesWithDefinition(batch: 2, channels: 32, outputs: 1, height: 16, width: 16, direct: true)
        try assertAgreesWithDefinition(batch: 5, channels: 2, outputs: 15, height: 4, width: 3, direct: true)
        try assertAgreesWithDefinition(batch: 1, channels: 4, outputs: 8, height: 1, width: 1, direct: true)
    }

    func testGradientsMatchFiniteDifferences() throws {
        let inputs = [try Tensor.randn([2, 16, 3, 4], seed: 21), try Tensor.randn([16, 16, 3, 3], std: 0.2, seed: 22),
                      try Tensor.randn([16], seed: 23)]
        let report = try GradientCheck().check(inputs) { v in
            try Variable.conv2d(input: v[0], weight: v[1], bias: v[2], padding: 1)
        }
        XCTAssertTrue(report.passed, "\(report)")
        let direct = [try Tensor.randn([2, 5, 3, 18], seed: 24), try Tensor.randn([3, 5, 3, 3], std: 0.2, seed: 25),
                      try Tensor.randn([3], seed: 26)]
        let directReport = try GradientCheck().check(direct) { v in
            try Variable.conv2d(input: v[0], weight: v[1], bias: v[2], padding: 1)
        }
        XCTAssertTrue(directReport.passed, "direct: \(directReport)")
    }

    // MARK: - Transformed kernels kept between calls

    func testWeightCacheGivesTheSameBitsAndTransformsOnce() throws {
        let x = try Tensor.randn([3, 16, 5, 6], seed: 31)
        let weight = Variable(try Tensor.randn([24, 16, 3, 3], std: 0.2, seed: 32))
        let bias = Variable(try Tensor.randn([24], seed: 33))
        func convolve() throws -> Tensor { try Variable.conv2d(input: Variable(x), weight: weight, bias: bias, padding: 1).value }
        let uncached = try convolve()
        try WinogradWeightCache.using {
            let cache = try XCTUnwrap(WinogradWeightCache.current)
            XCTAssertEqual(try convolve().scalars, uncached.scalars)
            XCTAssertEqual(try convolve().scalars, uncached.scalars)
            XCTAssertEqual([cache.counts.transforms, cache.counts.reuses], [1, 1])
            // U (16 x 24 x 16 in slabs of one cache line more) and the 24 x 16 x 9 weights it keeps.
            XCTAssertEqual(cache.counts.size, 16 * (24 * 16 + 16) + 24 * 16 * 9)
            // Nested scopes share the outer cache.
            try WinogradWeightCache.using {
                XCTAssertTrue(WinogradWeightCache.current === cache)
                XCTAssertEqual(try convolve().scalars, uncached.scalars)
            }
            XCTAssertEqual(cache.counts.reuses, 2)
        }
        XCTAssertNil(WinogradWeightCache.current, "the cache ends with its scope")
    }

    /// conv2d of `x` with `weight` outside any cache.
    private func uncached(_ x: Tensor, _ weight: Tensor) throws -> Tensor {
        try WinogradWeightCache.$current.withValue(nil) { try Variable.conv2d(input: Variable(x), weight: Variable(weight), padding: 1).value }
    }

    func testWeightCacheNeverGivesStaleKernels() throws {
        let x = try Tensor.randn([2, 16, 4, 4], seed: 34)
        let weight = Variable(try Tensor.randn([16, 16, 3, 3], std: 0.2, seed: 35))
        func convolve(_ w: Tensor) throws -> Tensor { try Variable.conv2d(input: Variable(x), weight: Variable(w), padding: 1).value }
        try WinogradWeightCache.using {
            let cache = try XCTUnwrap(WinogradWeightCache.current)
            let before = try convolve(weight.value)
            // Written in place, as an optimizer step does: the cache's copy keeps the old values,
            // so the weights move to new storage and are transformed again.
            weight.value.withUnsafeMutableBufferPointer { $0[0] += 1 }
            let after = try convolve(weight.value)
            XCTAssertNotEqual(after.scalars, before.scalars)
            XCTAssertEqual(after.scalars, try uncached(x, weight.value).scalars)
            XCTAssertEqual([cache.counts.transforms, cache.counts.reuses], [2, 0])

            // The same values read as another kernel shape are not the same kernels.
            let wide = try Tensor.randn([32, 16, 3, 3], seed: 36), tall = try wide.reshaped([16, 32, 3, 3])
            XCTAssertEqual(tall.withUnsafeBufferPointer { $0.baseAddress }, wide.withUnsafeBufferPointer { $0.baseAddress })
            _ = try Variable.conv2d(input: Variable(try Tensor.randn([1, 16, 4, 4], seed: 37)), weight: Variable(wide), padding: 1)
            let tallInput = try Tensor.randn([1, 32, 4, 4], seed: 38)
            XCTAssertEqual(try Variable.conv2d(input: Variable(tallInput), weight: Variable(tall), padding: 1).value.scalars,
                           try uncached(tallInput, tall).scalars)
        }
    }

    func testWeightCacheFollowsAnOptimizerStep() throws {
        var random = RandomStream(seed: 39)
        let conv = try Conv2d(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: 1, random: &random)
        let optimizer = try Adam(parameters: conv.parameters, learningRate: 0.1)
        let x = Variable(try Tensor.randn([2, 16, 6, 6], seed: 40))
        try WinogradWeightCache.using {
            for _ in 0..<2 {
                optimizer.zeroGradients()
                try conv(x).pow(2).mean().backward()
                try optimizer.step()
                XCTAssertEqual(try conv(x).value.scalars,
                               try WinogradWeightCache.$current.withValue(nil) { try conv(x).value.scalars })
            }
        }
    }

    func testWeightCacheKeepsAtMostItsCapacity() throws {
        let x = try Tensor.randn([1, 16, 4, 4], seed: 41)
        let kernels = try (0..<4).map { try Tensor.randn([16, 16, 3, 3], seed: 42 + UInt64($0)) }
        let entrySize = 16 * (16 * 16 + 16) + 16 * 16 * 9
        let cache = WinogradWeightCache(capacity: 2 * entrySize + 100)
        try WinogradWeightCache.$current.withValue(cache) {
            // Kernels 0, 1, 0, 2: kernel 2 pushes out 1, the least recently used, so 0 is found
            // again and 1 is transformed again.
            for k in [0, 1, 0, 2, 0, 1] {
                let y = try Variable.conv2d(input: Variable(x), weight: Variable(kernels[k]), padding: 1).value
                XCTAssertEqual(y.scalars, try uncached(x, kernels[k]).scalars, "kernel \(k)")
                XCTAssertLessThanOrEqual(cache.counts.size, cache.capacity)
            }
            XCTAssertEqual([cache.counts.transforms, cache.counts.reuses], [4, 2])
        }
        // Weights larger than the whole capacity are never kept.
        let small = WinogradWeightCache(capacity: entrySize - 1)
        try WinogradWeightCache.$current.withValue(small) {
            for _ in 0..<2 { _ = try Variable.conv2d(input: Variable(x), weight: Variable(kernels[0]), padding: 1) }
            XCTAssertEqual([small.counts.transforms, small.counts.reuses, small.counts.size], [2, 0, 0])
        }
    }
}
