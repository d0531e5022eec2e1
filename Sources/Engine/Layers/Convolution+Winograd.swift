/// 3x3 "same" convolutions (stride 1, padding 1) by Winograd's minimal filtering F(2x2, 3x3)
/// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
///
/// The output is cut into 2x2 tiles. A tile's 2x2 outputs, for one input and one output channel,
/// depend on the 4x4 input patch d around it and on the 3x3 kernel g only through
///
///     y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
///
/// with the constant matrices
///
///     B^T = | 1  0 -1  0 |      G = |  1    0    0  |      A^T = | 1  1  1  0 |
///           | 0  1  1  0 |          | 1/2  1/2  1/2 |            | 0  1 -1 -1 |
///           | 0 -1  1  0 |          | 1/2 -1/2  1/2 |
///           | 0  1  0 -1 |          |  0    0    1  |
///
/// Summing over input channels, each of the 16 positions ξ of the 4x4 transformed tile is an
/// independent matrix product over channels, M[ξ] = U[ξ] V[ξ], with U[ξ] [O, C] the transformed
/// kernels and V[ξ] [C, tiles] the transformed input patches: 16 products of O x C x tiles, where
/// im2col's single product has O x 9C x 4 tiles. That is 2.25 times fewer multiplications, and
/// the transforms read and write each value a few times where im2col writes it nine times.
///
/// Backward is the chain rule through the same linear maps, so the gradients are those of the
/// forward that was computed:
///
///     dM[ξ] = A dY A^T (per tile),   dV[ξ] = U[ξ]^T dM[ξ],   dd = B dV B^T (added onto the input),
///     dU[ξ] = sum over tiles of dM[ξ] V[ξ]^T,   dg = G^T dU G.
///
/// The work is shared out as im2col's is (`Convolution2D`): the same groups of images, one core
/// per group with single-threaded SGEMMs, each group's dU added in group order; so the result
/// does not depend on the thread count. Within a group, images are taken a few at a time, enough
/// for `winogradTilesPerProduct` tiles, so that a batch's transformed tiles stay in cache between
/// the transforms and the products.
///
/// The result differs from im2col's in rounding only: the transforms add and halve values
/// before multiplying them (measured against the im2col path on random data, about 1e-6 of the
/// output's scale).
extension Convolution2D {
    /// Whether this convolution runs by Winograd's F(2x2, 3x3): a 3x3 kernel, stride 1 and
    /// padding 1, and at least `winogradMinimumChannels` channels on both sides (with fewer,
    /// the 16 products are too thin to run near SGEMM's peak: fewer outputs go direct, fewer
    /// inputs to im2col's one product).
    var usesWinograd: Bool {
        window.kernel == Size2D(3) && window.stride == Size2D(1) && window.padding == Size2D(1)
            && inputChannels >= Self.winogradMinimumChannels && outputChannels >= Self.winogradMinimumChannels
    }

    static let winogradMinimumChannels = 16
    /// Tiles per product (see the type's documentation).
    static let winogradTilesPerProduct = 128

    /// 2x2 output tiles per image, along each axis and in all.
    var tileRows: Int { (window.outputHeight + 1) / 2 }
    var tileColumns: Int { (window.outputWidth + 1) / 2 }
    var tilesPerImage: Int { tileRows * tileColumns }
    /// The image plane zero-padded by one on each side and rounded up to whole tiles, as the
    /// transforms read it.
    var paddedPlane: (height: Int, width: Int) { (2 * tileRows + 2, 2 * tileColumns + 2) }

    /// Images per product: enough for `winogradTilesPerProduct` tiles, at most a group.
    var winogradTileSize: Int { Swift.max(1, Swift.min(Self.winogradTilesPerProduct / tilesPerImage, groupSize)) }

    /// Images per product in forward: enough for `winogradTilesPerProduct` tiles, whatever the
    /// batch, so that every forward product has the same shape (see `forwardTileSize`).
    var winogradForwardTileSize: Int { Swift.max(1, Self.winogradTilesPerProduct / tilesPerImage) }

    /// Floats of scratch per core: V [16, C, tiles], M [16, O, tiles] and one padded plane.
    var winogradScratchCount: Int {
        let tiles = Swift.max(winogradTileSize, winogradForwardTileSize) * tilesPerImage
        return 16 * (Self.slab(inputChannels, tiles) + Self.slab(outputChannels, tiles)) + paddedPlane.height * paddedPlane.width
    }

    /// Floats between the matrices of two positions ξ: a matrix of `rows` x `columns` and one
    /// cache line more, so that the 16 values a transform reads or writes per tile fall in
    /// different cache sets (with power-of-two sizes they would all meet in one, and evict
    /// each other).
    static func slab(_ rows: Int, _ columns: Int) -> Int { rows * columns + 16 }

    /// Where one run of images keeps its matrices in a core's scratch (`winogradScratchCount`):
    /// V [16, C, tiles] (dV in backward), then M [16, O, tiles] (dM in backward), each
    /// position's matrix a slab after the last, and the padded plane at the end.
    struct WinogradRun {
        let tiles: Int
        let v: UnsafeMutablePointer<Float>, vSlab: Int
        let m: UnsafeMutablePointer<Float>, mSlab: Int
        let padded: UnsafeMutablePointer<Float>
    }

    /// The run of `images`, its products `imagesPerProduct` images wide (the images' own count
    /// unless a forward run pads to its fixed size).
    func winogradRun(of images: Range<Int>, in scratch: UnsafeMutablePointer<Float>, imagesPerProduct: Int? = nil) -> WinogradRun {
        let tiles = (imagesPerProduct ?? images.count) * tilesPerImage
        let (vSlab, mSlab) = (Self.slab(inputChannels, tiles), Self.slab(outputChannels, tiles))
        return WinogradRun(tiles: tiles, v: scratch, vSlab: vSlab, m: scratch + 16 * vSlab, mSlab: mSlab,
                           padded: scratch + winogradScratchCount - paddedPlane.height * paddedPlane.width)
    }

    /// The images of a group in runs of `winogradTileSize`.
    func winogradTiles(of images: Range<Int>) -> [Range<Int>] {
        stride(from: images.lowerBound, to: images.upperBound, by: winogradTileSize).map {
            $0 ..< Swift.min($0 + winogradTileSize, images.upperBound)
        }
    }

    /// Winograd forward: y = conv(x, w) + b, with the kernels transformed here or, inside a
    /// `WinogradWeightCache` scope, by an earlier call with the same weights.
    func winogradForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weights: Tensor, bias: UnsafePointer<Float>?
    ) {
        let (channels, outputs) = (inputChannels, outputChannels)
        let weightSlab = Self.slab(outputs, channels)
        let transform = { (u: UnsafeMutablePointer<Float>) in
            Self.phase("transform") { weights.withUnsafeBufferPointer { transformWeights($0.baseAddress!, into: u) } }
        }
        if let cache = WinogradWeightCache.current {
            return cache.withTransformed(weights, outputs: outputs, channels: channels, count: 16 * weightSlab,
                                         transform: transform) {
                winogradForward(output: output, input: input, transformed: $0, bias: bias)
            }
        }
        let transformed = UnsafeMutablePointer<Float>.allocate(capacity: 16 * weightSlab)
        defer { transformed.deallocate() }
        transform(transformed)
        winogradForward(output: output, input: input, transformed: transformed, bias: bias)
    }

    /// Winograd forward with the kernels transformed: U [16, O, C] in slabs.
    private func winogradForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        transformed: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    ) {
        let (channels, outputs) = (inputChannels, outputChannels)
        let weightSlab = Self.slab(outputs, channels)
        let tileSize = winogradForwardTileSize
        forEachForwardTile(tileSize: tileSize, scratchCount: winogradScratchCount) { images, scratch in
            let run = winogradRun(of: images, in: scratch, imagesPerProduct: tileSize)
            Self.phase("transform") { transformInput(input, images: images, into: run.v, padded: run.padded, tiles: run.tiles) }
            Self.phase("SGEMM") {
                // M = 0 + U V rather than beta 0: OpenBLAS has a separate kernel for beta 0
                // without transposes that it picks by the product's size; im2col's products
                // add to the bias for the same reason.
                run.m.update(repeating: 0, count: 16 * run.mSlab)
                for position in 0..<16 {
                    blas.sgemm(transposeA: false, transposeB: false, m: outputs, n: run.tiles, k: channels,
                               alpha: 1, a: transformed + position * weightSlab, lda: channels,
                               b: run.v + position * run.vSlab, ldb: run.tiles,
                               beta: 1, c: run.m + position * run.mSlab, ldc: run.tiles)
                }
            }
            Self.phase("transform") { transformOutput(run.m, images: images, bias: bias, into: output, tiles: run.tiles) }
        }
    }

    /// Winograd backward: the gradients of the input and the weight, each computed only if its
    /// destination is given (and overwritten). The bias's is `Convolution2D.backward`'s.
    func winogradBackward(
        inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?,
        outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>
    ) {
        let (channels, outputs) = (inputChannels, outputChannels)
        let weightSlab = Self.slab(outputs, channels), transformedCount = 16 * weightSlab
        let transformed = UnsafeMutablePointer<Float>.allocate(capacity: transformedCount)
        defer { transformed.deallocate() }
        if inputGradient != nil { Self.phase("transform") { transformWeights(weight, into: transformed) } }
        // Each group's dU, added up in group order at the end.
        let groupGradients = weightGradient == nil ? nil : UnsafeMutablePointer<Float>.allocate(capacity: groupCount * transformedCount)
        defer { groupGradients?.deallocate() }
        forEachGroup(scratchCount: winogradScratchCount) { group, groupImages, scratch in
            for (index, images) in winogradTiles(of: groupImages).enumerated() {
                // M's place holds dM, and V's place V for dW, then dV.
                let run = winogradRun(of: images, in: scratch)
                Self.phase("transform") { transformOutputGradient(outputGradient, images: images, into: run.m) }
                if let groupGradients {
                    let du = groupGradients + group * transformedCount
                    Self.phase("transform") { transformInput(input, images: images, into: run.v, padded: run.padded) }
                    // dU[ξ] (+)= dM[ξ] V[ξ]^T: [O, tiles] x [tiles, C]; a group's runs add up in order.
                    Self.phase("SGEMM") {
                        for position in 0..<16 {
                            blas.sgemm(transposeA: false, transposeB: true, m: outputs, n: channels, k: run.tiles,
                                       alpha: 1, a: run.m + position * run.mSlab, lda: run.tiles,
                                       b: run.v + position * run.vSlab, ldb: run.tiles,
                                       beta: index == 0 ? 0 : 1, c: du + position * weightSlab, ldc: channels)
                        }
                    }
                }
                if let inputGradient {
                    // dV[ξ] = U[ξ]^T dM[ξ]: [C, O] x [O, tiles], into V's place.
                    Self.phase("SGEMM") {
                        for position in 0..<16 {
                            blas.sgemm(transposeA: true, transposeB: false, m: channels, n: run.tiles, k: outputs,
                                       alpha: 1, a: transformed + position * weightSlab, lda: channels,
                                       b: run.m + position * run.mSlab, ldb: run.tiles,
                                       beta: 0, c: run.v + position * run.vSlab, ldc: run.tiles)
                        }
                    }
                    Self.phase("transform") {
                        transformInputGradient(run.v, images: images, padded: run.padded, into: inputGradient)
                    }
                }
            }
        }
        if let weightGradient, let groupGradients {
            // dU = the groups' dU added in group order, then dg = G^T dU G.
            let groups = groupCount
            if groups > 1 {
                Parallel.forEachChunk(count: transformedCount, grain: Swift.max(1, Parallel.elementGrain / groups)) { _, values in
                    for j in values {
                        var sum: Float = 0
                        for group in 0..<groups { sum += groupGradients[group * transformedCount + j] }
                        groupGradients[j] = sum
                    }
                }
            }
            Self.phase("transform") { transformWeightGradient(groupGradients, into: weightGradient) }
        }
    }

    // MARK: - The transforms

    /// U[ξ, o, c] = (G g G^T)[ξ] for every kernel g = w[o, c]: [O, C, 3, 3] to [16, O, C].
    private func transformWeights(_ weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let (pairs, stride) = (outputChannels * inputChannels, Self.slab(outputChannels, inputChannels))
        Parallel.forEachChunk(count: pairs, grain: Self.pairsPerChunk) { _, chunk in for pair in chunk {
            let g = weight + pair * 9
            // G g: the kernel's rows combined into four rows of three.
            let (a, b, c) = (SIMD3(g[0], g[1], g[2]), SIMD3(g[3], g[4], g[5]), SIMD3(g[6], g[7], g[8]))
            let destination = u + pair
            Self.storeWeightTransform(a, into: destination, stride: stride)
            Self.storeWeightTransform(0.5 * (a + b + c), into: destination + 4 * stride, stride: stride)
            Self.storeWeightTransform(0.5 * (a - b + c), into: destination + 8 * stride, stride: stride)
            Self.storeWeightTransform(c, into: destination + 12 * stride, stride: stride)
        } }
    }

    /// Kernels per task of the weight transforms, which run on every core (in training they
    /// run at every step, forward and backward).
    static let pairsPerChunk = 1024

    /// dg = G^T dU G for every (o, c): [16, O, C] to [O, C, 3, 3].
    private func transformWeightGradient(_ du: UnsafePointer<Float>, into weightGradient: UnsafeMutablePointer<Float>) {
        let (pairs, stride) = (outputChannels * inputChannels, Self.slab(outputChannels, inputChannels))
        Parallel.forEachChunk(count: pairs, grain: Self.pairsPerChunk) { _, chunk in for pair in chunk {
            // G^T dU: the four rows combined into three.
            let rows = (Self.gather4(du + pair, stride: stride), Self.gather4(du + 4 * stride + pair, stride: stride),
                        Self.gather4(du + 8 * stride + pair, stride: stride), Self.gather4(du + 12 * stride + pair, stride: stride))
            // (G^T dU) G: each row's four columns combined into three.
            let g = weightGradient + pair * 9
            Self.storeWeightGradientRow(rows.0 + 0.5 * (rows.1 + rows.2), into: g)
            Self.storeWeightGradientRow(0.5 * (rows.1 - rows.2), into: g + 3)
            Self.storeWeightGradientRow(0.5 * (rows.1 + rows.2) + rows.3, into: g + 6)
        } }
    }

    /// V[ξ, c, t] = (B^T d B)[ξ] for every input channel c and tile t of `images` (t counts the
    /// tiles of the run's images row by row, image after image), d being the 4x4 patch of the
    /// zero-padded input around the tile.
    private func transformInput(
        _ input: UnsafePointer<Float>, images: Range<Int>, into v: UnsafeMutablePointer<Float>,
        padded: UnsafeMutablePointer<Float>, tiles runTiles: Int? = nil
    ) {
        let (height, width) = (window.height, window.width)
        let (paddedHeight, paddedWidth) = paddedPlane
        let tiles = runTiles ?? images.count * tilesPerImage, stride = Self.slab(inputChannels, tiles)
        // A padded run's extra columns are zero (their products are computed, never read).
        let used = images.count * tilesPerImage
        if used < tiles {
            for position in 0..<16 {
                for c in 0..<inputChannels { (v + position * stride + c * tiles + used).update(repeating: 0, count: tiles - used) }
            }
        }
        padded.update(repeating: 0, count: paddedHeight * paddedWidth)
        for (k, image) in images.enumerated() {
            for c in 0..<inputChannels {
                // The plane, one row and column in from the padded plane's corner; the border
                // (and the rows and columns that round up to whole tiles) stay zero.
                let plane = input + (image * inputChannels + c) * height * width
                for row in 0..<height {
                    (padded + (row + 1) * paddedWidth + 1).update(from: plane + row * width, count: width)
                }
                let destination = v + c * tiles + k * tilesPerImage
                for tileRow in 0..<tileRows {
                    let top = padded + 2 * tileRow * paddedWidth
                    let first = destination + tileRow * tileColumns
                    // Eight or four tiles at a time, side by side in vector lanes, then one by one.
                    var tileColumn = 0
                    while tileColumn + 8 <= tileColumns {
                        Self.transformInput(SIMD8<Float>.self, top + 2 * tileColumn, rowStride: paddedWidth,
                                            into: first + tileColumn, stride: stride)
                        tileColumn += 8
                    }
                    while tileColumn + 4 <= tileColumns {
                        Self.transformInput(SIMD4<Float>.self, top + 2 * tileColumn, rowStride: paddedWidth,
                                            into: first + tileColumn, stride: stride)
                        tileColumn += 4
                    }
                    for tileColumn in tileColumn..<tileColumns {
                        let d0 = top + 2 * tileColumn
                        let (d1, d2, d3) = (d0 + paddedWidth, d0 + 2 * paddedWidth, d0 + 3 * paddedWidth)
                        // B^T d: rows combined; then (B^T d) B: each row's columns combined.
                        let (r0, r1, r2, r3) = (Self.load4(d0), Self.load4(d1), Self.load4(d2), Self.load4(d3))
                        let p = first + tileColumn
                        Self.storeInputTransform(r0 - r2, into: p, stride: stride)
                        Self.storeInputTransform(r1 + r2, into: p + 4 * stride, stride: stride)
                        Self.storeInputTransform(r2 - r1, into: p + 8 * stride, stride: stride)
                        Self.storeInputTransform(r1 - r3, into: p + 12 * stride, stride: stride)
                    }
                }
            }
        }
    }

    /// y = A^T M A + b for every output channel o and tile t: the 2x2 outputs of the tile,
    /// those that fall inside the image written to `output` [N, O, OH, OW].
    private func transformOutput(
        _ m: UnsafePointer<Float>, images: Range<Int>, bias: UnsafePointer<Float>?,
        into output: UnsafeMutablePointer<Float>, tiles runTiles: Int? = nil
    ) {
        let (height, width) = (window.outputHeight, window.outputWidth)
        let tiles = runTiles ?? images.count * tilesPerImage, stride = Self.slab(outputChannels, tiles)
        for (k, image) in images.enumerated() {
            for o in 0..<outputChannels {
                let plane = output + (image * outputChannels + o) * height * width
                let b = bias?[o] ?? 0
                let source = m + o * tiles + k * tilesPerImage
                for tileRow in 0..<tileRows {
                    let (row, first) = (2 * tileRow, source + tileRow * tileColumns)
                    // Eight or four tiles at a time where their outputs lie inside the image,
                    // then one by one.
                    var tileColumn = 0
                    if row + 1 < height {
                        while 2 * (tileColumn + 8) <= width {
                            Self.transformOutput(SIMD8<Float>.self, first + tileColumn, stride: stride, bias: b,
                                                 into: plane + row * width + 2 * tileColumn, rowStride: width)
                            tileColumn += 8
                        }
                        while 2 * (tileColumn + 4) <= width {
                            Self.transformOutput(SIMD4<Float>.self, first + tileColumn, stride: stride, bias: b,
                                                 into: plane + row * width + 2 * tileColumn, rowStride: width)
                            tileColumn += 4
                        }
                    }
                    for tileColumn in tileColumn..<tileColumns {
                        let sourceTile = first + tileColumn
                        // A^T M: rows combined, 2x4.
                        let (m1, m2) = (Self.gather4(sourceTile + 4 * stride, stride: stride), Self.gather4(sourceTile + 8 * stride, stride: stride))
                        let top = Self.gather4(sourceTile, stride: stride) + m1 + m2
                        let bottom = m1 - m2 - Self.gather4(sourceTile + 12 * stride, stride: stride)
                        // (A^T M) A: columns combined, 2x2.
                        let column = 2 * tileColumn
                        let y = plane + row * width + column
                        let right = column + 1 < width
                        y[0] = top[0] + top[1] + top[2] + b
                        if right { y[1] = top[1] - top[2] - top[3] + b }
                        if row + 1 < height {
                            y[width] = bottom[0] + bottom[1] + bottom[2] + b
                            if right { y[width + 1] = bottom[1] - bottom[2] - bottom[3] + b }
                        }
                    }
                }
            }
        }
    }

    /// dM[ξ, o, t] = (A dY A^T)[ξ] for every output channel o and tile t, dY being the tile's
    /// 2x2 output gradient (zero where the tile passes the image's edge).
    private func transformOutputGradient(
        _ outputGradient: UnsafePointer<Float>, images: Range<Int>, into dm: UnsafeMutablePointer<Float>
    ) {
        let (height, width) = (window.outputHeight, window.outputWidth)
        let tiles = images.count * tilesPerImage, stride = Self.slab(outputChannels, tiles)
        for (k, image) in images.enumerated() {
            for o in 0..<outputChannels {
                let plane = outputGradient + (image * outputChannels + o) * height * width
                let destination = dm + o * tiles + k * tilesPerImage
                for tileRow in 0..<tileRows {
                    let (row, first) = (2 * tileRow, destination + tileRow * tileColumns)
                    // Eight or four tiles at a time where their gradients lie inside the image,
                    // then one by one.
                    var tileColumn = 0
                    if row + 1 < height {
                        while 2 * (tileColumn + 8) <= width {
                            Self.transformOutputGradient(SIMD8<Float>.self, plane + row * width + 2 * tileColumn, rowStride: width,
                                                         into: first + tileColumn, stride: stride)
                            tileColumn += 8
                        }
                        while 2 * (tileColumn + 4) <= width {
                            Self.transformOutputGradient(SIMD4<Float>.self, plane + row * width + 2 * tileColumn, rowStride: width,
                                                         into: first + tileColumn, stride: stride)
                            tileColumn += 4
                        }
                    }
                    for tileColumn in tileColumn..<tileColumns {
                        let column = 2 * tileColumn
                        let g = plane + row * width + column
                        let (right, below) = (column + 1 < width, row + 1 < height)
                        let g00 = g[0], g01 = right ? g[1] : 0
                        let g10 = below ? g[width] : 0, g11 = right && below ? g[width + 1] : 0
                        // A dY: the two rows spread over four; then each row's two columns over four.
                        let p = first + tileColumn
                        Self.storeGradientTransform(g00, g01, into: p, stride: stride)
                        Self.storeGradientTransform(g00 + g10, g01 + g11, into: p + 4 * stride, stride: stride)
                        Self.storeGradientTransform(g00 - g10, g01 - g11, into: p + 8 * stride, stride: stride)
                        Self.storeGradientTransform(-g10, -g11, into: p + 12 * stride, stride: stride)
                    }
                }
            }
        }
    }

    /// dd = B dV B^T for every input channel and tile, added up over the overlapping patches in
    /// the padded plane, whose inside is then the input's gradient (overwritten).
    private func transformInputGradient(
        _ dv: UnsafePointer<Float>, images: Range<Int>, padded: UnsafeMutablePointer<Float>,
        into inputGradient: UnsafeMutablePointer<Float>
    ) {
        let (height, width) = (window.height, window.width)
        let (paddedHeight, paddedWidth) = paddedPlane
        let tiles = images.count * tilesPerImage, stride = Self.slab(inputChannels, tiles)
        for (k, image) in images.enumerated() {
            for c in 0..<inputChannels {
                padded.update(repeating: 0, count: paddedHeight * paddedWidth)
                let source = dv + c * tiles + k * tilesPerImage
                for tileRow in 0..<tileRows {
                    let (top, first) = (padded + 2 * tileRow * paddedWidth, source + tileRow * tileColumns)
                    // Eight or four tiles at a time, then one by one, each adding onto the plane
                    // in the same order as tile after tile would.
                    var tileColumn = 0
                    while tileColumn + 8 <= tileColumns {
                        Self.transformInputGradient(SIMD8<Float>.self, first + tileColumn, stride: stride,
                                                    onto: top + 2 * tileColumn, rowStride: paddedWidth)
                        tileColumn += 8
                    }
                    while tileColumn + 4 <= tileColumns {
                        Self.transformInputGradient(SIMD4<Float>.self, first + tileColumn, stride: stride,
                                                    onto: top + 2 * tileColumn, rowStride: paddedWidth)
                        tileColumn += 4
                    }
                    for tileColumn in tileColumn..<tileColumns {
                        let sourceTile = first + tileColumn
                        // dV B^T: each row's columns spread back (B^T's columns are B's rows) ...
                        let r0 = Self.inputGradientRow(sourceTile, stride: stride)
                        let r1 = Self.inputGradientRow(sourceTile + 4 * stride, stride: stride)
                        let r2 = Self.inputGradientRow(sourceTile + 8 * stride, stride: stride)
                        let r3 = Self.inputGradientRow(sourceTile + 12 * stride, stride: stride)
                        // ... then B (dV B^T): the rows spread back, added onto the patch.
                        let d0 = top + 2 * tileColumn
                        Self.add4(r0, to: d0)
                        Self.add4(r1 - r2 + r3, to: d0 + paddedWidth)
                        Self.add4(r1 + r2 - r0, to: d0 + 2 * paddedWidth)
                        Self.add4(-r3, to: d0 + 3 * paddedWidth)
                    }
                }
                let plane = inputGradient + (image * inputChannels + c) * height * width
                for row in 0..<height {
                    (plane + row * width).update(from: padded + (row + 1) * paddedWidth + 1, count: width)
                }
            }
        }
    }

    // MARK: - One tile's rows

    @inline(__always)
    static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func add4(_ value: SIMD4<Float>, to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: load4(p) + value, as: SIMD4<Float>.self)
    }

    /// x B for one row x of B^T d: its four values at `stride` apart.
    @inline(__always)
    static func storeInputTransform(_ x: SIMD4<Float>, into p: UnsafeMutablePointer<Float>, stride: Int) {
        p[0] = x[0] - x[2]
        p[stride] = x[1] + x[2]
        p[2 * stride] = x[2] - x[1]
        p[3 * stride] = x[1] - x[3]
    }

    /// (a, b) A^T for one row (a, b) of A dY: its four values at `stride` apart.
    @inline(__always)
    static func storeGradientTransform(_ a: Float, _ b: Float, into p: UnsafeMutablePointer<Float>, stride: Int) {
        p[0] = a
        p[stride] = a + b
        p[2 * stride] = a - b
        p[3 * stride] = -b
    }

    /// x B^T for one row x of dV, read at `stride` apart.
    @inline(__always)
    static func inputGradientRow(_ p: UnsafePointer<Float>, stride: Int) -> SIMD4<Float> {
        let (a, b, c, d) = (p[0], p[stride], p[2 * stride], p[3 * stride])
        return SIMD4(a, b - c + d, b + c - a, -d)
    }

    /// r G^T for one row r of G g: its four values at `stride` apart.
    @inline(__always)
    static func storeWeightTransform(_ r: SIMD3<Float>, into p: UnsafeMutablePointer<Float>, stride: Int) {
        p[0] = r[0]
        p[stride] = 0.5 * (r[0] + r[1] + r[2])
        p[2 * stride] = 0.5 * (r[0] - r[1] + r[2])
        p[3 * stride] = r[2]
    }

    /// r G for one row r of G^T dU: its three values side by side.
    @inline(__always)
    static func storeWeightGradientRow(_ r: SIMD4<Float>, into p: UnsafeMutablePointer<Float>) {
        p[0] = r[0] + 0.5 * (r[1] + r[2])
        p[1] = 0.5 * (r[1] - r[2])
        p[2] = 0.5 * (r[1] + r[2]) + r[3]
    }

    /// Four values at `stride` apart.
    @inline(__always)
    static func gather4(_ p: UnsafePointer<Float>, stride: Int) -> SIMD4<Float> {
        SIMD4(p[0], p[stride], p[2 * stride], p[3 * stride])
    }

    // MARK: - Tiles side by side

    /// B^T d B for `Lanes.scalarCount` tiles side by side, whose patches start at `d` in a
    /// plane of rows `rowStride` apart: a lane per tile, so that each of the 16 results is one
    /// vector store of consecutive tiles.
    @inline(__always)
    static func transformInput<Lanes: TileLanes>(
        _: Lanes.Type, _ d: UnsafePointer<Float>, rowStride: Int, into p: UnsafeMutablePointer<Float>, stride: Int
    ) {
        // Row r of every patch: columns 0 and 1 are the even and odd columns from the patch's
        // corner, 2 and 3 those from two columns on.
        @inline(__always) func row(_ r: Int) -> TileRow<Lanes> {
            let (c0, c1) = Lanes.split(Lanes.loadColumns(d + r * rowStride))
            let (c2, c3) = Lanes.split(Lanes.loadColumns(d + r * rowStride + 2))
            return TileRow(c0, c1, c2, c3)
        }
        @inline(__always) func store(_ x: TileRow<Lanes>, _ q: UnsafeMutablePointer<Float>) {
            Lanes.store(x.c0 - x.c2, to: q)
            Lanes.store(x.c1 + x.c2, to: q + stride)
            Lanes.store(x.c2 - x.c1, to: q + 2 * stride)
            Lanes.store(x.c1 - x.c3, to: q + 3 * stride)
        }
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
        // B^T d: rows combined; then (B^T d) B: each row's columns combined.
        store(r0 - r2, p)
        store(r1 + r2, p + 4 * stride)
        store(r2 - r1, p + 8 * stride)
        store(r1 - r3, p + 12 * stride)
    }

    /// A^T M A + b for `Lanes.scalarCount` tiles side by side (M's 16 values of consecutive
    /// tiles in vector lanes), written to the two output rows at `y`, `rowStride` apart.
    @inline(__always)
    static func transformOutput<Lanes: TileLanes>(
        _: Lanes.Type, _ m: UnsafePointer<Float>, stride: Int, bias: Float,
        into y: UnsafeMutablePointer<Float>, rowStride: Int
    ) {
        @inline(__always) func row(_ i: Int) -> TileRow<Lanes> {
            let q = m + 4 * i * stride
            return TileRow(Lanes.load(q), Lanes.load(q + stride), Lanes.load(q + 2 * stride), Lanes.load(q + 3 * stride))
        }
        let b = Lanes(repeating: bias)
        @inline(__always) func store(_ x: TileRow<Lanes>, _ q: UnsafeMutablePointer<Float>) {
            Lanes.storeColumns(Lanes.interleave(x.c0 + x.c1 + x.c2 + b, x.c1 - x.c2 - x.c3 + b), to: q)
        }
        // A^T M: rows combined; then (A^T M) A: columns combined, even and odd output columns.
        let (m1, m2) = (row(1), row(2))
        store(row(0) + m1 + m2, y)
        store(m1 - m2 - row(3), y + rowStride)
    }

    /// A dY A^T for `Lanes.scalarCount` tiles side by side, from the two gradient rows at `g`,
    /// `rowStride` apart: each of the 16 results one vector store of consecutive tiles.
    @inline(__always)
    static func transformOutputGradient<Lanes: TileLanes>(
        _: Lanes.Type, _ g: UnsafePointer<Float>, rowStride: Int, into p: UnsafeMutablePointer<Float>, stride: Int
    ) {
        let (g00, g01) = Lanes.split(Lanes.loadColumns(g))
        let (g10, g11) = Lanes.split(Lanes.loadColumns(g + rowStride))
        @inline(__always) func store(_ a: Lanes, _ b: Lanes, _ q: UnsafeMutablePointer<Float>) {
            Lanes.store(a, to: q)
            Lanes.store(a + b, to: q + stride)
            Lanes.store(a - b, to: q + 2 * stride)
            Lanes.store(-b, to: q + 3 * stride)
        }
        // A dY: the two rows spread over four; then each row's two columns over four.
        store(g00, g01, p)
        store(g00 + g10, g01 + g11, p + 4 * stride)
        store(g00 - g10, g01 - g11, p + 8 * stride)
        store(-g10, -g11, p + 12 * stride)
    }

    /// B dV B^T for `Lanes.scalarCount` tiles side by side, added onto their overlapping
    /// patches at `d` (rows `rowStride` apart). Each patch row's columns 2 and 3 are added
    /// before columns 0 and 1, so that a value shared by two neighbouring tiles receives the
    /// left tile's part first, as tile after tile would give it.
    @inline(__always)
    static func transformInputGradient<Lanes: TileLanes>(
        _: Lanes.Type, _ dv: UnsafePointer<Float>, stride: Int, onto d: UnsafeMutablePointer<Float>, rowStride: Int
    ) {
        // dV B^T: row i of every tile's dV, its columns spread back.
        @inline(__always) func row(_ i: Int) -> TileRow<Lanes> {
            let q = dv + 4 * i * stride
            let (a, b, c, e) = (Lanes.load(q), Lanes.load(q + stride), Lanes.load(q + 2 * stride), Lanes.load(q + 3 * stride))
            return TileRow(a, b - c + e, b + c - a, -e)
        }
        @inline(__always) func add(_ x: TileRow<Lanes>, _ q: UnsafeMutablePointer<Float>) {
            let right = q + 2, left = q
            Lanes.storeColumns(Lanes.loadColumns(right) + Lanes.interleave(x.c2, x.c3), to: right)
            Lanes.storeColumns(Lanes.loadColumns(left) + Lanes.interleave(x.c0, x.c1), to: left)
        }
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
        // B (dV B^T): the rows spread back onto the four patch rows.
        add(r0, d)
        add(r1 - r2 + r3, d + rowStride)
        add(r1 + r2 - r0, d + 2 * rowStride)
        add(TileRow(-r3.c0, -r3.c1, -r3.c2, -r3.c3), d + 3 * rowStride)
    }
}

/// Four vectors: the four columns of a row of `Lanes.scalarCount` 4x4 tiles.
struct TileRow<Lanes: TileLanes> {
    var c0, c1, c2, c3: Lanes
    @inline(__always) init(_ c0: Lanes, _ c1: Lanes, _ c2: Lanes, _ c3: Lanes) { (self.c0, self.c1, self.c2, self.c3) = (c0, c1, c2, c3) }
    @inline(__always) static func + (a: Self, b: Self) -> Self { Self(a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2, a.c3 + b.c3) }
    @inline(__always) static func - (a: Self, b: Self) -> Self { Self(a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2, a.c3 - b.c3) }
}

/// A vector with a lane per tile, for tiles side by side along a row, and the vector of the
/// twice as many image columns they span (a 2x2 tile's outputs take two columns).
protocol TileLanes: SIMD where Scalar == Float {
    associatedtype Columns: SIMD where Columns.Scalar == Float
    /// The even and the odd columns.
    static func split(_ columns: Columns) -> (even: Self, odd: Self)
    /// Columns from the even and the odd ones.
    static func interleave(_ even: Self, _ odd: Self) -> Columns
}

extension TileLanes {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Self {
        UnsafeRawPointer(p).loadUnaligned(as: Self.self)
    }
    @inline(__always) static func store(_ value: Self, to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: Self.self)
    }
    @inline(__always) static func loadColumns(_ p: UnsafePointer<Float>) -> Columns {
        UnsafeRawPointer(p).loadUnaligned(as: Columns.self)
    }
    @inline(__always) static func storeColumns(_ value: Columns, to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: Columns.self)
    }
}

extension SIMD8: TileLanes where Scalar == Float {
    @inline(__always) static func split(_ columns: SIMD16<Float>) -> (even: Self, odd: Self) { (columns.evenHalf, columns.oddHalf) }
    @inline(__always) static func interleave(_ e: Self, _ o: Self) -> SIMD16<Float> {
        SIMD16(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3], e[4], o[4], e[5], o[5], e[6], o[6], e[7], o[7])
    }
}

extension SIMD4: TileLanes where Scalar == Float {
    @inline(__always) static func split(_ columns: SIMD8<Float>) -> (even: Self, odd: Self) { (columns.evenHalf, columns.oddHalf) }
    @inline(__always) static func interleave(_ e: Self, _ o: Self) -> SIMD8<Float> {
        SIMD8(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3])
    }
}
