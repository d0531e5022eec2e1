import Engine
import Foundation

/// Multi-scale SSIM (Wang, Simoncelli and Bovik, "Multi-scale structural similarity for image
/// quality assessment", Asilomar 2003), built on `structuralSimilarity`'s (scikit-image's)
/// convention at every scale:
///
///     MS-SSIM = Π_{j=1..4} cs_j^β_j · ssim_5^β_5,   β = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
///
/// where cs_j is the mean contrast-structure term and ssim_5 the mean SSIM at scale j, each
/// computed exactly as `structuralSimilarity` (Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03,
/// border of 5 cropped); scale j + 1 is scale j averaged over 2 x 2 blocks (an odd last row or
/// column dropped). The data range stays the same at every scale. A negative cs_j (anti-
/// correlated images) gives NaN.
///
/// `SSIMConvention.torchmetrics` computes torchmetrics'
/// `multiscale_structural_similarity_index_measure` (defaults: normalize="relu") instead: each
/// scale's terms in torchmetrics' SSIM convention (see `SSIMConvention`; ssim_5 over the whole
/// map, cs_j inside the cropped border), negative terms set to 0 before the powers. The two
/// conventions differ most on images with much structure near their border, where the
/// coarsest scale's whole map and its cropped centre disagree.
extension Metrics {
    /// The weights β_j of the five scales (Wang et al. 2003, from their viewing experiment).
    static let multiScaleWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

    /// MS-SSIM of each image of a pair, [H, W], [1, H, W] or [N, 1, H, W] (see the extension's comment).
    /// The coarsest scale, H and W halved four times, must still be 11 wide: H, W >= 176.
    /// `cancellation` is checked before each image and scale (see `CancellationFlag`).
    public static func multiScaleStructuralSimilarityPerImage(
        _ x: Tensor, _ y: Tensor, dataRange: Double, convention: SSIMConvention = .scikitImage,
        cancellation: CancellationFlag? = nil
    ) throws -> [Double] {
        let op = "multiScaleStructuralSimilarity"
        try requireSameShape(op, x, y)
        let (count, height, width) = try imageLayout(op, x.shape)
        let scales = multiScaleWeights.count
        let window = 2 * ssimRadius + 1
        guard (height >> (scales - 1)) >= window && (width >> (scales - 1)) >= window else {
            throw TensorError(op, "images of \(height) x \(width) are too small for \(scales) scales: "
                + "the coarsest would be \(height >> (scales - 1)) x \(width >> (scales - 1)), less than the "
                + "\(window) x \(window) window (need at least \(window << (scales - 1)) x \(window << (scales - 1)))")
        }
        try requireDataRange(op, dataRange, covers: x, y)
        let kernel = gaussianKernel(sigma: ssimSigma, radius: ssimRadius)
        let plane = height * width
        return try (0..<count).map { n in
            var xs = x.scalars[n * plane..<(n + 1) * plane].map(Double.init)
            var ys = y.scalars[n * plane..<(n + 1) * plane].map(Double.init)
            var h = height, w = width
            var score = 1.0
            for (scale, weight) in multiScaleWeights.enumerated() {
                try cancellation?.checkCancellation()
                var (similarity, contrastStructure) = ssimComponents(
                    xs, ys, height: h, width: w, kernel: kernel, dataRange: dataRange, convention: convention)
                if convention == .torchmetrics {
                    similarity = max(similarity, 0)
                    contrastStructure = max(contrastStructure, 0)
                }
                if scale == scales - 1 {
                    score *= pow(similarity, weight)
                } else {
                    score *= pow(contrastStructure, weight)
                    xs = averagePool2x2(xs, height: h, width: w)
                    ys = averagePool2x2(ys, height: h, width: w)
                    h /= 2
                    w /= 2
                }
            }
            return score
        }
    }

    /// MS-SSIM of a pair of images or batches: the mean of `multiScaleStructuralSimilarityPerImage`.
    public static func multiScaleStructuralSimilarity(
        _ x: Tensor, _ y: Tensor, dataRange: Double, convention: SSIMConvention = .scikitImage,
        cancellation: CancellationFlag? = nil
    ) throws -> Double {
        let scores = try multiScaleStructuralSimilarityPerImage(
            x, y, dataRange: dataRange, convention: convention, cancellation: cancellation)
        return scores.reduce(0, +) / Double(scores.count)
    }

    /// The mean of each 2 x 2 block of an H x W image: (H / 2) x (W / 2), remainders dropped.
    static func averagePool2x2(_ image: [Double], height: Int, width: Int) -> [Double] {
        let h = height / 2, w = width / 2
        var pooled = [Double](repeating: 0, count: h * w)
        for row in 0..<h {
            for column in 0..<w {
                let top = 2 * row * width + 2 * column, bottom = top + width
                pooled[row * w + column] = 0.25 * (image[top] + image[top + 1] + image[bottom] + image[bottom + 1])
            }
        }
        return pooled
    }
}
