import Engine

/// The thresholds of Canny's hysteresis step.
public enum CannyThresholds: Sendable, Equatable {
    /// Gradient magnitudes, in the image's units per pixel (Sobel-scaled).
    case absolute(low: Double, high: Double)
    /// Quantiles in 0...1 of the gradient magnitude over the whole image (border included),
    /// taken by NumPy's linear percentile, as skimage's `use_quantiles=True`.
    case quantiles(low: Double, high: Double)
}

/// Every stage of Canny's edge detector, each with the input's shape, so that a notebook can show
/// them one after another.
public struct CannyStages: Sendable {
    /// 1. The image smoothed by a Gaussian of the chosen sigma.
    public let smoothed: Tensor
    /// 2. The Sobel gradient magnitude of the smoothed image.
    public let magnitude: Tensor
    /// 3. The magnitude where a pixel is a local maximum along its gradient and at least the low
    ///    threshold, 0 elsewhere.
    public let suppressed: Tensor
    /// 4. The edges: 1 on the suppressed pixels connected to one at least the high threshold.
    public let edges: Tensor
}

/// Canny edges of an image `[H, W]` or a batch `[N, 1, H, W]`: 1 on edge pixels, 0 elsewhere.
///
/// Agrees with scikit-image's `feature.canny(image, sigma, low, high, use_quantiles=...)` on the
/// same values given as float64 (see `cannyStages` for the stages and their conventions).
public func canny(
    _ image: Tensor, sigma: Double = 1, thresholds: CannyThresholds, cancellation: CancellationFlag? = nil
) throws -> Tensor {
    try cannyStages(image, sigma: sigma, thresholds: thresholds, cancellation: cancellation).edges
}

/// Canny's edge detector, stage by stage, as scikit-image's `feature.canny` (mode 'constant'):
///
/// 1. Smoothing: a Gaussian of `sigma` (truncated at 4 sigma, scipy.ndimage.gaussian_filter)
///    with zeros beyond the edge. The zeros would darken the border, so the result is divided by
///    the same filter applied to an image of ones (plus machine epsilon): near the edge the
///    Gaussian averages only real pixels.
/// 2. Gradients: scipy.ndimage.sobel down the rows (gi) and along the columns (gj), mirroring the
///    image at its edge ('reflect'); magnitude sqrt(gi^2 + gj^2).
/// 3. Non-maximum suppression with interpolated neighbours (`suppressNonMaxima`), ignoring the
///    one-pixel border of the image, whose gradients see beyond it.
/// 4. Hysteresis: the surviving pixels are grouped into 8-connected components; a component is
///    kept whole if any of its pixels is at least the high threshold.
///
/// Each image of a batch is processed alone (quantiles too). All arithmetic is in Double.
/// `cancellation` is checked between images and inside the smoothing (a wide Gaussian is slow);
/// once it is set the function throws `CancellationError`.
public func cannyStages(
    _ image: Tensor, sigma: Double = 1, thresholds: CannyThresholds, cancellation: CancellationFlag? = nil
) throws -> CannyStages {
    let layout = try ImageLayout(image.shape, op: "canny", singleChannel: true)
    guard sigma > 0, sigma.isFinite else {
        throw TensorError("canny", "sigma must be positive and finite, got \(sigma)")
    }
    let (low, high, quantiles): (Double, Double, Bool)
    switch thresholds {
    case let .absolute(l, h): (low, high, quantiles) = (l, h, false)
    case let .quantiles(l, h):
        guard (0...1).contains(l), (0...1).contains(h) else {
            throw TensorError("canny", "quantile thresholds must be in 0...1, got low \(l) and high \(h)")
        }
        (low, high, quantiles) = (l, h, true)
    }
    guard low <= high else {
        throw TensorError("canny", "the low threshold \(low) is above the high threshold \(high)")
    }

    let (height, width, size) = (layout.height, layout.width, layout.planeSize)
    var smoothed = [Float](repeating: 0, count: image.count)
    var magnitude = smoothed, suppressed = smoothed, edges = smoothed
    let kernel = FoldedKernel.gaussian(sigma: sigma, radiusLimit: Swift.max(height, width))
    // The filter applied to ones: how much of each pixel's Gaussian falls inside the image.
    let coverage = gaussianFilter(
        [Double](repeating: 1, count: size), height: height, width: width, kernel: kernel, cancellation: cancellation)
    try cancellation?.checkCancellation()

    smoothed.withUnsafeMutableBufferPointer { smoothedOut in
    magnitude.withUnsafeMutableBufferPointer { magnitudeOut in
    suppressed.withUnsafeMutableBufferPointer { suppressedOut in
    edges.withUnsafeMutableBufferPointer { edgesOut in
    image.withUnsafeBufferPointer { input in
        Parallel.forEachChunk(count: layout.planes, grain: 1) { _, planes in
            for p in planes {
                if cancellation?.isCancelled == true { return }
                let offset = p * size
                let x = (0..<size).map { Double(input[offset + $0]) }

                // 1. Smoothing, renormalised by the coverage.
                var s = gaussianFilter(x, height: height, width: width, kernel: kernel, cancellation: cancellation)
                if cancellation?.isCancelled == true { return }
                for i in 0..<size { s[i] /= coverage[i] + Double.ulpOfOne }

                // 2. Sobel gradients: the difference along one axis, [1, 2, 1] along the other.
                let gi = correlate1D(
                    correlate1D(s, height: height, width: width, axis: 0, kernel: .difference, mode: .reflect),
                    height: height, width: width, axis: 1, kernel: .binomial, mode: .reflect)
                let gj = correlate1D(
                    correlate1D(s, height: height, width: width, axis: 1, kernel: .difference, mode: .reflect),
                    height: height, width: width, axis: 0, kernel: .binomial, mode: .reflect)
                let m = (0..<size).map { i in (gi[i] * gi[i] + gj[i] * gj[i]).squareRoot() }

                var (lowCut, highCut) = (low, high)
                if quantiles {
                    let cuts = linearPercentiles(m, [100 * low, 100 * high])
                    (lowCut, highCut) = (cuts[0], cuts[1])
                }

                // 3. Thinning.
                let thin = suppressNonMaxima(gi: gi, gj: gj, magnitude: m, height: height, width: width, low: lowCut)

                // 4. Hysteresis.
                let components = labelComponents(thin.map { $0 > 0 }, height: height, width: width, connectivity: .eight)
                var strong = [Bool](repeating: false, count: components.sizes.count + 1)
                for i in 0..<size where thin[i] > 0 && thin[i] >= highCut { strong[Int(components.labels[i])] = true }

                for i in 0..<size {
                    smoothedOut[offset + i] = Float(s[i])
                    magnitudeOut[offset + i] = Float(m[i])
                    suppressedOut[offset + i] = Float(thin[i])
                    edgesOut[offset + i] = strong[Int(components.labels[i])] && components.labels[i] > 0 ? 1 : 0
                }
            }
        }
    }}}}}
    // A plane left when the flag was set is incomplete: nothing of it may be returned.
    try cancellation?.checkCancellation()
    return CannyStages(
        smoothed: try Tensor(shape: image.shape, scalars: smoothed),
        magnitude: try Tensor(shape: image.shape, scalars: magnitude),
        suppressed: try Tensor(shape: image.shape, scalars: suppressed),
        edges: try Tensor(shape: image.shape, scalars: edges))
}

/// scipy.ndimage.gaussian_filter with zeros beyond the edge: down the columns, then along the rows.
/// Incomplete once `cancellation` is set (see `correlate1D`).
func gaussianFilter(
    _ x: [Double], height: Int, width: Int, kernel: FoldedKernel, cancellation: CancellationFlag? = nil
) -> [Double] {
    let columns = correlate1D(x, height: height, width: width, axis: 0, kernel: kernel, mode: .zeros, cancellation: cancellation)
    return correlate1D(columns, height: height, width: width, axis: 1, kernel: kernel, mode: .zeros, cancellation: cancellation)
}
