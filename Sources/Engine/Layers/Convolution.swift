import Synchronization

/// A 2-D convolution over NCHW images, as PyTorch's conv2d (a cross-correlation: the kernel is
/// not flipped), with zero padding and any kernel size and stride:
///
///     y[n, o, oh, ow] = b[o] + sum over c, ki, kj of w[o, c, ki, kj] * x[n, c, oh*sh - ph + ki, ow*sw - pw + kj]
///
/// Three ways compute it, chosen by shape alone:
///
/// - 3x3 "same" convolutions (stride 1, padding 1) with 16 or more channels in and out, the
///   bulk of a UNet's and an autoencoder's work, by Winograd's F(2x2, 3x3)
///   (Convolution+Winograd.swift): 2.25 times fewer multiplications; while sampling, each
///   kernel is transformed once for all steps (`WinogradWeightCache`);
/// - 3x3 "same" convolutions to fewer than 16 channels, a network's last layer, directly on the
///   planes (Convolution+Direct.swift), where im2col's columns would cost more than the
///   arithmetic;
/// - everything else (strided, other kernels, few input channels) as below.
///
/// im2col + SGEMM (see `ConvolutionColumns`): with X the columns of an image's
/// windows [C*kh*kw, OH*OW] and W the weights as a matrix [O, C*kh*kw],
///
///     forward:   Y  = W X + b 1^T
///     backward:  dW = sum over images of G X^T,   db = G summed over images and positions,
///                dX = W^T G, then col2im(dX) is the input's gradient,
///
/// G being the gradient of Y.
///
/// The batch is cut into groups of images (about 2048 columns), and a group into tiles whose
/// columns lie side by side (about 256 columns): small images still make SGEMMs large enough to
/// run near peak, and a tile's columns stay in cache from im2col to SGEMM. The outputs and
/// gradients of a tile are moved between [images, O, positions] and [O, images * positions]
/// around the products. The cores share out the groups, each running a group tile by tile from
/// im2col to col2im with single-threaded SGEMMs: the cores never wait for each other, and the
/// memory-bound copies on one overlap the products on the other. Groups and tiles depend only on
/// the problem's shape, not on which core runs them, so every value is computed the same way
/// whatever the thread count; a group's tiles add into its own dW in order, and the groups' dW
/// are added in group order at the end.
///
/// Forward does not group: its products are tiles of a fixed number of images (the last one
/// padded with zero columns), taken by the cores one at a time (`forwardTileSize`), so that an
/// image's outputs never depend on the batch it is in.
///
/// Backward recomputes the columns rather than keeping them from forward: they are kh*kw times
/// the input's size, and recomputing a group's columns leaves them in cache for the product.
struct Convolution2D {
    let batch: Int, inputChannels: Int, outputChannels: Int
    let window: SlidingWindow
    let blas: OpenBLAS

    /// The values under one window, C * kh * kw: the inner dimension of the products.
    var patch: Int { inputChannels * window.kernel.height * window.kernel.width }
    /// Output positions per image, OH * OW.
    var positions: Int { window.outputHeight * window.outputWidth }
    var outputShape: [Int] { [batch, outputChannels, window.outputHeight, window.outputWidth] }

    /// Columns per group, the unit of work of one core and of one partial dW: images are grouped
    /// until they reach it.
    static let columnsPerGroup = 2048
    /// Columns per product: a group runs tile by tile, each tile's im2col followed at once by
    /// its products, so that the columns stay in a core's L2 cache between the two (288 rows
    /// of a 3x3 convolution over 32 channels make 295 KB) while SGEMM still runs near its peak.
    /// Measured on the benchmark UNet (Zen 5, 2 threads), with products of 2048 columns the train
    /// step took about 210 ms, of 512 about 165 ms, of 256 about 150-170 ms; 128 was no better.
    static let columnsPerTile = 256
    /// Images per group: enough for `columnsPerGroup` columns, but at most half the batch, so
    /// that two cores both have work.
    var groupSize: Int {
        Swift.max(1, Swift.min(Self.columnsPerGroup / positions, (batch + 1) / 2))
    }
    var groupCount: Int { Parallel.chunkCount(batch, grain: groupSize) }
    /// Images per tile: enough for `columnsPerTile` columns, at most a group.
    var tileSize: Int { Swift.max(1, Swift.min(Self.columnsPerTile / positions, groupSize)) }

    /// Images per product in forward: `columnsPerTile` columns, whatever the batch. Forward's
    /// products all have this shape (the last tile of a batch padded with zero columns), and a
    /// tile always holds the same images (tile k: images kT ..< (k+1)T), so an image's outputs
    /// do not depend on the batch it comes in: OpenBLAS computes a product's values by its
    /// size (its Zen and Haswell kernels differ between, say, 128 and 256 columns), and with
    /// the size fixed, diffusing 8 items gives the first 4 exactly as diffusing those 4.
    var forwardTileSize: Int { Swift.max(1, Self.columnsPerTile / Swift.max(positions, 1)) }

    /// Calls `body(images, scratch)` for every forward tile of `tileSize` images, on every core,
    /// each core taking the next tile not yet taken, with `scratchCount` floats of its own.
    func forEachForwardTile(
        tileSize: Int, scratchCount: Int, _ body: (_ images: Range<Int>, _ scratch: UnsafeMutablePointer<Float>) -> Void
    ) {
        let tiles = (batch + tileSize - 1) / tileSize
        let next = Atomic<Int>(0)
        Parallel.forEachChunk(count: Swift.min(tiles, Parallel.threadCount), grain: 1) { _, _ in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            while case let tile = next.wrappingAdd(1, ordering: .relaxed).oldValue, tile < tiles {
                body(tile * tileSize ..< Swift.min(batch, (tile + 1) * tileSize), scratch)
            }
        }
    }

    /// The tiles of a group's images, in order.
    func tiles(of images: Range<Int>) -> [Range<Int>] {
        stride(from: images.lowerBound, to: images.upperBound, by: tileSize).map { $0 ..< Swift.min($0 + tileSize, images.upperBound) }
    }

    /// Checks input [N, C, H, W], weight [O, C, kh, kw] and bias [O] against each other.
    init(input: [Int], weight: [Int], bias: [Int]?, stride: Size2D, padding: Size2D) throws {
        func shapes() -> String {
            "input \(describeShape(input)), weight \(describeShape(weight))" + (bias.map { ", bias \(describeShape($0))" } ?? "")
        }
        guard input.count == 4, weight.count == 4 else {
            throw TensorError("conv2d", "needs input [N, C, H, W] and weight [O, C, kh, kw], got \(shapes())")
        }
        guard input[1] == weight[1], weight[1] > 0 else {
            throw TensorError("conv2d", "input has \(input[1]) channels but weight expects \(weight[1]): \(shapes())")
        }
        guard weight[0] > 0 else {
            throw TensorError("conv2d", "weight has no output channels: \(shapes())")
        }
        if let bias, bias != [weight[0]] {
            throw TensorError("conv2d", "bias must be [\(weight[0])], one value per output channel: \(shapes())")
        }
        window = try SlidingWindow(op: "conv2d", shape: input, height: input[2], width: input[3],
                                   kernel: Size2D(height: weight[2], width: weight[3]), stride: stride, padding: padding)
        batch = input[0]
        inputChannels = input[1]
        outputChannels = weight[0]
        blas = try OpenBLAS.shared()
        try checkScratch(shapes: shapes())
    }

    /// Checks the im2col scratch every core allocates, the columns and the product of a group
    /// (`forEachGroup`), against the memory budget: for a large image plane these are many
    /// times the input's size.
    private func checkScratch(shapes: @autoclosure () -> String) throws {
        // patch and O are each at most the weight's count, so their sum cannot overflow.
        let cores = Swift.min(groupCount, Parallel.threadCount)
        let columns: Int?, partials: Int?
        if usesDirect {
            // One padded copy of an image's planes per core (of the input, or of the output's
            // gradient for dX).
            columns = Shape.checkedProduct([Swift.max(inputChannels, outputChannels), window.height + 2, window.width + 2, cores])
            partials = 0
        } else if usesWinograd {
            // Transformed tiles and a padded plane per core; backward keeps one dU per group.
            columns = Shape.checkedProduct([winogradScratchCount, cores])
            partials = Shape.checkedProduct([groupCount + 1, 16, outputChannels * inputChannels + 16])
        } else {
            columns = Shape.checkedProduct([patch + outputChannels, Swift.max(tileSize, forwardTileSize), positions, cores])
            // Backward keeps one dW per group when there are several.
            partials = groupCount > 1 ? Shape.checkedProduct([groupCount, outputChannels, patch]) : 0
        }
        let (total, overflow) = (columns ?? Int.max).addingReportingOverflow(partials ?? Int.max)
        try MemoryBudget.check(count: overflow ? Int.max : total, bytesPerValue: MemoryLayout<Float>.stride,
                               for: "conv2d: the working memory of its products and partial weight gradients for \(shapes())")
    }

    /// Calls `body(group, images, scratch)` for every group of images, on every core: each core
    /// takes the next group not yet taken until none is left (so a core that something else
    /// slows down simply does fewer), with `scratchCount` floats of its own. SGEMM runs on one
    /// core inside a group (a batch of one image is one group, on one core).
    func forEachGroup(
        scratchCount: Int, _ body: (_ group: Int, _ images: Range<Int>, _ scratch: UnsafeMutablePointer<Float>) -> Void
    ) {
        let groups = groupCount, size = groupSize
        let next = Atomic<Int>(0)
        Parallel.forEachChunk(count: Swift.min(groups, Parallel.threadCount), grain: 1) { _, _ in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            while case let group = next.wrappingAdd(1, ordering: .relaxed).oldValue, group < groups {
                body(group, group * size ..< Swift.min(batch, (group + 1) * size), scratch)
            }
        }
    }

    /// conv2d forward: y = conv(x, w) + b. The weights come as a tensor, which an open
    /// `WinogradWeightCache` needs to recognise them.
    func forward(
        output: UnsafeMutablePointer<Float>,    // [N, O, OH, OW]
        input: UnsafePointer<Float>,            // [N, C, H, W]
        weights: Tensor,                        // [O, C, kh, kw]
        bias: UnsafePointer<Float>?             // [O]
    ) {
        OperationProfile.count(flops: productFlops)
        if usesWinograd { return winogradForward(output: output, input: input, weights: weights, bias: bias) }
        weights.withUnsafeBufferPointer { weight in
            if usesDirect {
                directForward(output: output, input: input, weight: weight.baseAddress!, bias: bias)
            } else {
                im2colForward(output: output, input: input, weight: weight.baseAddress!, bias: bias)
            }
        }
    }

    /// conv2d forward by im2col + SGEMM.
    private func im2colForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>,           // [O, C, kh, kw], read as [O, patch]
        bias: UnsafePointer<Float>?
    ) {
        let (imageSize, outputSize) = (inputChannels * window.height * window.width, outputChannels * positions)
        let tileSize = forwardTileSize
        let paddedWidth = tileSize * positions
        let columnCount = patch * paddedWidth
        forEachForwardTile(tileSize: tileSize, scratchCount: columnCount + outputChannels * paddedWidth) { images, scratch in
            let (columns, product) = (scratch, scratch + columnCount)
            let width = images.count * positions
            // 1. The windows of this tile's images as columns X [patch, images * OH*OW]; a
            //    short last tile's rows are spread to the full tile's width, the rest zero.
            Self.phase("im2col") {
                ConvolutionColumns.im2col(input: input + images.lowerBound * imageSize, columns: columns,
                                          count: images.count, channels: inputChannels, window: window)
                if width < paddedWidth {
                    for row in stride(from: patch - 1, through: 0, by: -1) {
                        (columns + row * paddedWidth).update(from: columns + row * width, count: width)
                        (columns + row * paddedWidth + width).update(repeating: 0, count: paddedWidth - width)
                    }
                }
            }
            Self.phase("SGEMM") {
                // 2. Each row o of the product starts as b[o], so that the product adds W X to it.
                for o in 0..<outputChannels {
                    (product + o * paddedWidth).update(repeating: bias?[o] ?? 0, count: paddedWidth)
                }
                // 3. Y = W X + Y: [O, patch] x [patch, tile * OH*OW].
                blas.sgemm(transposeA: false, transposeB: false, m: outputChannels, n: paddedWidth, k: patch,
                           alpha: 1, a: weight, lda: patch, b: columns, ldb: paddedWidth,
                           beta: 1, c: product, ldc: paddedWidth)
            }
            // 4. From [O, images, OH*OW] to the images' layout [images, O, OH*OW].
            Self.phase("layout") {
                Self.swapLeadingAxes(product, into: output + images.lowerBound * outputSize,
                                     outer: outputChannels, inner: images.count, length: positions, sourceRowStride: paddedWidth)
            }
        }
    }

    /// conv2d backward: from the output's gradient g, the gradients of the input, the weight
    /// and the bias, each computed only if its destination is given (and overwritten).
    func backward(
        inputGradient: UnsafeMutablePointer<Float>?,    // [N, C, H, W]
        weightGradient: UnsafeMutablePointer<Float>?,   // [O, C, kh, kw], written as [O, patch]
        biasGradient: UnsafeMutablePointer<Float>?,     // [O]
        outputGradient: UnsafePointer<Float>,           // [N, O, OH, OW]
        input: UnsafePointer<Float>,                    // [N, C, H, W]
        weight: UnsafePointer<Float>                    // [O, C, kh, kw], read as [O, patch]
    ) {
        let (imageSize, outputSize) = (inputChannels * window.height * window.width, outputChannels * positions)
        if let biasGradient { sumPerChannel(outputGradient, into: biasGradient) }
        guard inputGradient != nil || weightGradient != nil else { return }
        OperationProfile.count(flops: productFlops * Double((weightGradient == nil ? 0 : 1) + (inputGradient == nil ? 0 : 1)))
        if usesDirect {
            return directBackward(inputGradient: inputGradient, weightGradient: weightGradient,
                                  outputGradient: outputGradient, input: input, weight: weight)
        }
        if usesWinograd {
            return winogradBackward(inputGradient: inputGradient, weightGradient: weightGradient,
                                    outputGradient: outputGradient, input: input, weight: weight)
        }
        // Each group's dW, added up in group order at the end (a single group writes dW itself).
        let weightCount = outputChannels * patch
        let groupWeightGradients = weightGradient == nil || groupCount == 1
            ? nil : UnsafeMutablePointer<Float>.allocate(capacity: groupCount * weightCount)
        defer { groupWeightGradients?.deallocate() }
        let columnCount = patch * tileSize * positions
        forEachGroup(scratchCount: columnCount + outputChannels * tileSize * positions) { group, groupImages, scratch in
            for (tile, images) in tiles(of: groupImages).enumerated() {
                let (columns, gradient) = (scratch, scratch + columnCount)
                let width = images.count * positions
                // 1. G for this group as one matrix [O, images * OH*OW].
                Self.phase("layout") {
                    Self.swapLeadingAxes(outputGradient + images.lowerBound * outputSize, into: gradient,
                                         outer: images.count, inner: outputChannels, length: positions)
                }
                if let weightGradient {
                    // 2. The group's columns X again, then its dW = G X^T:
                    //    [O, images * OH*OW] x [images * OH*OW, patch].
                    Self.phase("im2col") {
                        ConvolutionColumns.im2col(input: input + images.lowerBound * imageSize, columns: columns,
                                                  count: images.count, channels: inputChannels, window: window)
                    }
                    // The group's tiles add up into its dW, in order.
                    Self.phase("SGEMM") {
                        blas.sgemm(transposeA: false, transposeB: true, m: outputChannels, n: patch, k: width,
                                   alpha: 1, a: gradient, lda: width, b: columns, ldb: width,
                                   beta: tile == 0 ? 0 : 1, c: groupWeightGradients.map { $0 + group * weightCount } ?? weightGradient, ldc: patch)
                    }
                }
                if let inputGradient {
                    // 3. The columns' gradient dX = W^T G: [patch, O] x [O, images * OH*OW] ...
                    Self.phase("SGEMM") {
                        blas.sgemm(transposeA: true, transposeB: false, m: patch, n: width, k: outputChannels,
                                   alpha: 1, a: weight, lda: patch, b: gradient, ldb: width,
                                   beta: 0, c: columns, ldc: width)
                    }
                    // 4. ... added back onto the input positions they were copied from.
                    Self.phase("col2im") {
                        ConvolutionColumns.col2im(columns: columns, input: inputGradient + images.lowerBound * imageSize,
                                                  count: images.count, channels: inputChannels, window: window)
                    }
                }
            }
        }
        if let weightGradient, let groupWeightGradients {
            // 5. dW = the groups' dW added in group order, in parallel over its values.
            Parallel.forEachChunk(count: weightCount, grain: Swift.max(1, Parallel.elementGrain / groupCount)) { _, values in
                for j in values {
                    var sum: Float = 0
                    for group in 0..<groupCount { sum += groupWeightGradients[group * weightCount + j] }
                    weightGradient[j] = sum
                }
            }
        }
    }

    /// The floating-point operations of one of the three products (Y, dW or dX) over the batch.
    var productFlops: Double { 2 * Double(batch) * Double(outputChannels) * Double(positions) * Double(patch) }

    /// `body`, its CPU time added to `name` while an `OperationProfile` records.
    @inline(__always)
    static func phase(_ name: String, _ body: () -> Void) {
        guard OperationProfile.isRecording else { return body() }
        let start = OperationProfile.threadCPUTime()
        body()
        OperationProfile.addPhase(name, seconds: OperationProfile.threadCPUTime() - start)
    }

    /// db[o] = sum over n and positions of g[n, o, position], accumulated in Double in a fixed
    /// order, one output channel per task.
    private func sumPerChannel(_ g: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>) {
        let grain = Swift.max(1, Parallel.elementGrain / Swift.max(1, batch * positions))
        Parallel.forEachChunk(count: outputChannels, grain: grain) { _, channels in
            for o in channels {
                var total = 0.0
                for n in 0..<batch {
                    let row = g + (n * outputChannels + o) * positions
                    var partial: Float = 0
                    for p in 0..<positions { partial += row[p] }
                    total += Double(partial)
                }
                sums[o] = Float(total)
            }
        }
    }

    /// destination[i, j, :] = source[j, i, :] for source [outer, inner, length]: the first two
    /// axes swapped.
    static func swapLeadingAxes(
        _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
        outer: Int, inner: Int, length: Int, sourceRowStride: Int? = nil
    ) {
        let rowStride = sourceRowStride ?? inner * length
        for i in 0..<inner {
            for j in 0..<outer {
                (destination + (i * outer + j) * length).update(from: source + j * rowStride + i * length, count: length)
            }
        }
    }
}

extension Variable {
    /// The 2-D convolution of `input` [N, C, H, W] with `weight` [O, C, kh, kw] plus `bias` [O],
    /// zero-padded by `padding` on each side and sliding by `stride`, giving
    /// [N, O, (H + 2 ph - kh) / sh + 1, (W + 2 pw - kw) / sw + 1], as PyTorch's conv2d.
    /// Gradients flow to all three (see `Convolution2D`).
    public static func conv2d(
        input: Variable, weight: Variable, bias: Variable? = nil, stride: Size2D = 1, padding: Size2D = 0
    ) throws -> Variable {
        let convolution = try Convolution2D(input: input.shape, weight: weight.shape, bias: bias?.shape,
                                            stride: stride, padding: padding)
        let (x, w, b) = (input.value, weight.value, bias?.value)
        // An empty batch has an empty output, and every gradient is an empty sum: zeros.
        let y = convolution.batch == 0
            ? try Tensor.zeros(convolution.outputShape)
            : try Tensor.build(shape: convolution.outputShape, op: "conv2d") { y in
                x.withUnsafeBufferPointer { x in
                    withOptionalPointer(b) { b in
                        convolution.forward(output: y.baseAddress!, input: x.baseAddress!, weights: w, bias: b)
                    }
                }
            }
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        return result(of: "conv2d", y, inputs: inputs) { g in
            var gradW = weight.requiresGradient ? try Tensor.zeros(w.shape) : nil
            var gradB = bias?.requiresGradient == true ? try Tensor.zeros(b!.shape) : nil
            guard convolution.batch > 0 else {
                let gradX = input.requiresGradient ? x : nil  // empty
                return bias == nil ? [gradX, gradW] : [gradX, gradW, gradB]
            }
            func backward(_ dx: UnsafeMutablePointer<Float>?) {
                g.withUnsafeBufferPointer { g in
                    x.withUnsafeBufferPointer { x in
                        w.withUnsafeBufferPointer { w in
                            withOptionalMutablePointer(&gradW) { dw in
                                withOptionalMutablePointer(&gradB) { db in
                                    convolution.backward(
                                        inputGradient: dx, weightGradient: dw, biasGradient: db,
                                        outputGradient: g.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
            // Every path writes every value of the input's gradient.
            let gradX = input.requiresGradient ? Tensor.build(shape: x.shape) { backward($0.baseAddress!) } : nil
            if gradX == nil { backward(nil) }
            return bias == nil ? [gradX, gradW] : [gradX, gradW, gradB]
        }
    }
}

/// Calls `body` with a pointer to the values of `tensor`, or nil without a tensor.
func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
    guard let tensor else { return try body(nil) }
    return try tensor.withUnsafeBufferPointer { try body($0.baseAddress) }
}

/// Calls `body` with a mutable pointer to the values of `tensor`, or nil without a tensor.
func withOptionalMutablePointer<R>(_ tensor: inout Tensor?, _ body: (UnsafeMutablePointer<Float>?) throws -> R) rethrows -> R {
    guard tensor != nil else { return try body(nil) }
    return try tensor!.withUnsafeMutableBufferPointer { try body($0.baseAddress) }
}
