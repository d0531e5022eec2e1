import Engine
import Foundation

/// The structural similarity index (Wang, Bovik, Sheikh and Simoncelli, "Image quality
/// assessment: from error visibility to structural similarity", IEEE TIP 2004), computed exactly
/// as scikit-image's `structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=R, K1=0.01, K2=0.03)`:
///
/// - local statistics are Gaussian-weighted means: a separable Gaussian of sigma 1.5 truncated at
///   3.5 sigma (radius 5, so an 11 x 11 window, weights normalised to sum 1), the image extended
///   at its border by reflection (d c b a | a b c d | d c b a: scipy.ndimage's "reflect");
/// - mu_x = G * x, sigma_x^2 = G * x^2 - mu_x^2, sigma_xy = G * (x y) - mu_x mu_y (population,
///   not sample, covariances);
/// - SSIM map = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))
///   with C1 = (0.01 R)^2 and C2 = (0.03 R)^2, eq. (13) of the paper;
/// - the score is the mean of the map after cropping a border of 5 pixels (the window's
///   radius), where the window would reach into the reflected padding.
///
/// `SSIMConvention.torchmetrics` follows torchmetrics' `structural_similarity_index_measure`
/// (defaults, a float data range) instead: the same window and constants, but the image is
/// extended by mirroring without repeating the edge (c b | a b c: PyTorch's "reflect"), the
/// variances are clamped at 0, and the score is the mean of the whole map, border included. Its
/// contrast-structure mean (MS-SSIM's cs) is taken inside the cropped border, as torchmetrics does.
public enum SSIMConvention: String, Sendable, CaseIterable {
    case scikitImage = "skimage"
    case torchmetrics
}

extension Metrics {
    /// Sigma of SSIM's Gaussian window.
    static let ssimSigma = 1.5
    /// The window's radius: Int(3.5 * sigma + 0.5), as scipy truncates the Gaussian.
    static let ssimRadius = 5
    static let ssimK1 = 0.01
    static let ssimK2 = 0.03

    /// SSIM of each image of a pair: `x` and `y` are both [H, W] (one score) or both [N, 1, H, W]
    /// (N scores, image n of `x` against image n of `y`). H and W must be at least 11, the
    /// window's width. `dataRange` is the width of the images' value range (1 for [0, 1],
    /// 2 for [-1, 1], 255 for 8-bit); it must cover the values present. SSIM is symmetric in x, y.
    /// `cancellation` is checked before each image (see `CancellationFlag`).
    public static func structuralSimilarityPerImage(
        _ x: Tensor, _ y: Tensor, dataRange: Double, convention: SSIMConvention = .scikitImage,
        cancellation: CancellationFlag? = nil
    ) throws -> [Double] {
        let op = "structuralSimilarity"
        try requireSameShape(op, x, y)
        let (count, height, width) = try imageLayout(op, x.shape)
        let window = 2 * ssimRadius + 1
        guard height >= window && width >= window else {
            throw TensorError(op, "images of \(height) x \(width) are smaller than the \(window) x \(window) Gaussian window")
        }
        try requireDataRange(op, dataRange, covers: x, y)
        let kernel = gaussianKernel(sigma: ssimSigma, radius: ssimRadius)
        let plane = height * width
        return try x.withUnsafeBufferPointer { x in
            try y.withUnsafeBufferPointer { y in
                try (0..<count).map { n in
                    try cancellation?.checkCancellation()
                    return ssimOfPlane(UnsafeBufferPointer(rebasing: x[n * plane..<(n + 1) * plane]),
                                UnsafeBufferPointer(rebasing: y[n * plane..<(n + 1) * plane]),
                                height: height, width: width, kernel: kernel, dataRange: dataRange, convention: convention)
                }
            }
        }
    }

    /// SSIM of a pair of images or of batches of images: the mean of
    /// `structuralSimilarityPerImage` (see there, and this extension, for the convention).
    public static func structuralSimilarity(
        _ x: Tensor, _ y: Tensor, dataRange: Double, cancellation: CancellationFlag? = nil
    ) throws -> Double {
        let scores = try structuralSimilarityPerImage(x, y, dataRange: dataRange, cancellation: cancellation)
        return scores.reduce(0, +) / Double(scores.count)
    }

    /// The number of images and their size for [H, W], [1, H, W] or [N, 1, H, W].
    static func imageLayout(_ op: String, _ shape: [Int]) throws -> (count: Int, height: Int, width: Int) {
        if shape.count == 2 { return (1, shape[0], shape[1]) }
        if shape.count == 3 && shape[0] == 1 { return (1, shape[1], shape[2]) }
        if shape.count == 4 && shape[1] == 1 { return (shape[0], shape[2], shape[3]) }
        throw TensorError(op, "expected grey images as [H, W], [1, H, W] or [N, 1, H, W], got \(describeShape(shape))")
    }

    /// exp(-i^2 / (2 sigma^2)) for i in -radius...radius, normalised to sum 1.
    static func gaussianKernel(sigma: Double, radius: Int) -> [Double] {
        let weights = (-radius...radius).map { i in exp(-0.5 * Double(i * i) / (sigma * sigma)) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// SSIM of one H x W plane of Floats.
    private static func ssimOfPlane(
        _ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>,
        height: Int, width: Int, kernel: [Double], dataRange: Double, convention: SSIMConvention
    ) -> Double {
        ssimComponents(x.map(Double.init), y.map(Double.init), height: height, width: width,
                       kernel: kernel, dataRange: dataRange, convention: convention).similarity
    }

    /// The means of the SSIM map and of its contrast-structure factor
    /// (2 sigma_xy + C2) / (sigma_x^2 + sigma_y^2 + C2), for one H x W plane, under `convention`
    /// (inside the cropped border, except torchmetrics' SSIM map: all of it).
    static func ssimComponents(
        _ xs: [Double], _ ys: [Double], height: Int, width: Int, kernel: [Double], dataRange: Double,
        convention: SSIMConvention = .scikitImage
    ) -> (similarity: Double, contrastStructure: Double) {
        let count = height * width
        var xx = [Double](repeating: 0, count: count), yy = xx, xy = xx
        for i in 0..<count {
            xx[i] = xs[i] * xs[i]
            yy[i] = ys[i] * ys[i]
            xy[i] = xs[i] * ys[i]
        }
        let mirror = convention == .torchmetrics
        let blur = { (image: [Double]) in
            gaussianFilterReflect(image, height: height, width: width, kernel: kernel, repeatingTheEdge: !mirror)
        }
        let muX = blur(xs), muY = blur(ys), meanXX = blur(xx), meanYY = blur(yy), meanXY = blur(xy)
        let c1 = (ssimK1 * dataRange) * (ssimK1 * dataRange)
        let c2 = (ssimK2 * dataRange) * (ssimK2 * dataRange)
        let border = ssimRadius
        var similarity = 0.0, contrastStructure = 0.0, wholeSimilarity = 0.0
        for row in 0..<height {
            let inside = row >= border && row < height - border
            for column in 0..<width {
                let i = row * width + column
                var varianceX = meanXX[i] - muX[i] * muX[i]
                var varianceY = meanYY[i] - muY[i] * muY[i]
                if mirror {
                    varianceX = max(varianceX, 0)
                    varianceY = max(varianceY, 0)
                }
                let covariance = meanXY[i] - muX[i] * muY[i]
                let luminance = (2 * muX[i] * muY[i] + c1) / (muX[i] * muX[i] + muY[i] * muY[i] + c1)
                let structure = (2 * covariance + c2) / (varianceX + varianceY + c2)
                wholeSimilarity += luminance * structure
                if inside && column >= border && column < width - border {
                    similarity += luminance * structure
                    contrastStructure += structure
                }
            }
        }
        let valid = Double((height - 2 * border) * (width - 2 * border))
        if mirror { return (wholeSimilarity / Double(height * width), contrastStructure / valid) }
        return (similarity / valid, contrastStructure / valid)
    }

    /// Separable convolution of an H x W image with `kernel` (odd length) along rows, then
    /// columns, reflecting at the border: index -1 reads 0, index H reads H - 1 (scipy's
    /// "reflect"), or without repeating the edge, index -1 reads 1 and H reads H - 2 (PyTorch's
    /// "reflect"). The kernel's radius must be smaller than H and W, so one reflection suffices.
    static func gaussianFilterReflect(
        _ image: [Double], height: Int, width: Int, kernel: [Double], repeatingTheEdge: Bool = true
    ) -> [Double] {
        let radius = kernel.count / 2
        let shift = repeatingTheEdge ? 1 : 0
        func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i - shift : (i >= n ? 2 * n - i - 2 + shift : i) }
        var vertical = [Double](repeating: 0, count: height * width)
        image.withUnsafeBufferPointer { image in
            vertical.withUnsafeMutableBufferPointer { out in
                for row in 0..<height {
                    for (k, weight) in kernel.enumerated() {
                        let source = reflect(row + k - radius, height) * width
                        for column in 0..<width { out[row * width + column] += weight * image[source + column] }
                    }
                }
            }
        }
        var result = [Double](repeating: 0, count: height * width)
        vertical.withUnsafeBufferPointer { image in
            result.withUnsafeMutableBufferPointer { out in
                for row in 0..<height {
                    let base = row * width
                    for column in 0..<width {
                        var sum = 0.0
                        for (k, weight) in kernel.enumerated() {
                            sum += weight * image[base + reflect(column + k - radius, width)]
                        }
                        out[base + column] = sum
                    }
                }
            }
        }
        return result
    }
}
