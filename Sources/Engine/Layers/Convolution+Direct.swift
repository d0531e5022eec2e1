import CKernels

/// 3x3 "same" convolutions (stride 1, padding 1) to fewer than 16 output channels, computed
/// directly on the image planes rather than through im2col.
///
/// A network's last convolution maps many channels to a few (an autoencoder's 32 to 1 image
/// channel, a UNet's 32 to 4 latent channels). im2col then writes 9C values per output position
/// for a product with only O rows: the columns are nine times the input, and the products run
/// at the speed of memory, not of arithmetic (the autoencoder's 32 -> 1 convolution at 64x64
/// took 52 ms forward and backward at batch 32 for 0.23 GFLOP). Here every pass reads each
/// plane a few times from cache:
///
///     forward:  y[n, o] = b[o] + sum over c, ki, kj of w[o, c, ki, kj] x[n, c] shifted by (ki - 1, kj - 1)
///     dX:       the same with the roles of x and y exchanged and the kernel turned by 180
///               degrees, dx[n, c] = sum over o, ki, kj of w[o, c, 2 - ki, 2 - kj] g[n, o] shifted
///     dW:       w[o, c, ki, kj]'s gradient = sum over n and positions of g[n, o] x[n, c] shifted,
///               nine dot products per (o, c)
///
/// y and dX run over `Convolution2D`'s groups of images, one core each; dW over (o, c) pairs.
/// Every value is computed by one task in a fixed order, so the result does not depend on the
/// thread count.
extension Convolution2D {
    /// Whether this convolution runs directly: a 3x3 kernel, stride 1, padding 1, and fewer
    /// than `winogradMinimumChannels` output channels.
    var usesDirect: Bool {
        window.kernel == Size2D(3) && window.stride == Size2D(1) && window.padding == Size2D(1)
            && outputChannels < Self.winogradMinimumChannels
    }

    /// The padded plane of a direct convolution: one zero row and column on each side.
    private var directPadded: (height: Int, width: Int) { (window.height + 2, window.width + 2) }

    func directForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    ) {
        Self.phase("direct") {
            sameConvolution(from: input, channels: inputChannels, to: output, channels: outputChannels,
                            taps: weight, bias: bias)
        }
    }

    func directBackward(
        inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?,
        outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>
    ) {
        if let inputGradient {
            // w[o, c, ki, kj] as the taps of a convolution from O to C channels, turned by 180 degrees.
            let (outputs, channels) = (outputChannels, inputChannels)
            var turned = [Float](repeating: 0, count: outputs * channels * 9)
            for o in 0..<outputs {
                for c in 0..<channels {
                    for k in 0..<9 { turned[(c * outputs + o) * 9 + 8 - k] = weight[(o * channels + c) * 9 + k] }
                }
            }
            Self.phase("direct") {
                turned.withUnsafeBufferPointer { taps in
                    sameConvolution(from: outputGradient, channels: outputs, to: inputGradient, channels: channels,
                                    taps: taps.baseAddress!, bias: nil)
                }
            }
        }
        if let weightGradient { Self.phase("direct") { directWeightGradient(outputGradient, input: input, into: weightGradient) } }
    }

    /// to[n, q] = bias[q] + sum over p and the nine taps of taps[q, p, ki, kj] from[n, p] shifted
    /// by (ki - 1, kj - 1), zero outside the plane, for planes of the input's size.
    private func sameConvolution(
        from source: UnsafePointer<Float>, channels sourceChannels: Int,
        to destination: UnsafeMutablePointer<Float>, channels destinationChannels: Int,
        taps: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    ) {
        let (height, width) = (window.height, window.width)
        let plane = height * width
        let (paddedHeight, paddedWidth) = directPadded
        let paddedPlane = paddedHeight * paddedWidth
        // A core's scratch holds the padded planes of one image; its borders stay zero while
        // the group's images are copied inside them.
        forEachGroup(scratchCount: sourceChannels * paddedPlane) { _, images, padded in
            padded.update(repeating: 0, count: sourceChannels * paddedPlane)
            for image in images {
                for p in 0..<sourceChannels {
                    let from = source + (image * sourceChannels + p) * plane, to = padded + p * paddedPlane
                    for row in 0..<height {
                        (to + (row + 1) * paddedWidth + 1).update(from: from + row * width, count: width)
                    }
                }
                for q in 0..<destinationChannels {
                    let y = destination + (image * destinationChannels + q) * plane
                    y.update(repeating: bias?[q] ?? 0, count: plane)
                    for p in 0..<sourceChannels {
                        let w = taps + (q * sourceChannels + p) * 9
                        // Sixteen outputs at a time in the widest vectors the CPU has (CKernels).
                        medsynth_same_convolution_taps(y, padded + p * paddedPlane, height, width, paddedWidth, w)
                    }
                }
            }
        }
    }

    /// dW[o, c, ki, kj] = sum over images and positions of g[n, o] x[n, c] shifted by
    /// (ki - 1, kj - 1): each row's dot product in Float lanes, added up in Double.
    private func directWeightGradient(
        _ g: UnsafePointer<Float>, input: UnsafePointer<Float>, into weightGradient: UnsafeMutablePointer<Float>
    ) {
        let (height, width) = (window.height, window.width)
        let plane = height * width
        let (paddedHeight, paddedWidth) = directPadded
        let (outputs, channels) = (outputChannels, inputChannels)
        Parallel.forEachChunk(count: outputs * channels, grain: 1) { _, pairs in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedHeight * paddedWidth)
            defer { padded.deallocate() }
            padded.initialize(repeating: 0, count: paddedHeight * paddedWidth)
            for pair in pairs {
                let (o, c) = pair.quotientAndRemainder(dividingBy: channels)
                var sums = [Double](repeating: 0, count: 9)
                for image in 0..<batch {
                    let x = input + (image * channels + c) * plane
                    for row in 0..<height {
                        (padded + (row + 1) * paddedWidth + 1).update(from: x + row * width, count: width)
                    }
                    let gradient = g + (image * outputs + o) * plane
                    // Per tap, the image's products in sixteen Float lanes (and one more Float for
                    // the columns past the last whole sixteen), added up in Double per image (CKernels).
                    medsynth_same_convolution_tap_products(gradient, padded, height, width, paddedWidth, &sums)
                }
                for k in 0..<9 { weightGradient[pair * 9 + k] = Float(sums[k]) }
            }
        }
    }
}
