import Engine
import Foundation

/// One-dimensional correlation along the rows or columns of a plane, as scipy.ndimage.correlate1d,
/// including the order in which it adds products, so that results agree to the last bit.
///
/// The kernels Canny needs are all symmetric (Gaussian, Sobel's [1, 2, 1] smoothing) or
/// antisymmetric (Sobel's [-1, 0, 1] difference), and scipy folds such kernels in half:
///
///     symmetric:      y[i] = w0 x[i] + sum over j = r ... 1 of (x[i - j] + x[i + j]) w_j
///     antisymmetric:  y[i] = w0 x[i] + sum over j = r ... 1 of (x[i + j] - x[i - j]) w_j
///
/// with w_j the weight at offset +j. Everything is computed in Double, as scipy does.
struct FoldedKernel: Sendable {
    /// The weight at offset 0.
    let center: Double
    /// `sides[j - 1]` is the weight at offset +j.
    let sides: [Double]
    /// Whether the weight at -j is -w_j rather than w_j.
    let antisymmetric: Bool

    var radius: Int { sides.count }

    /// Sobel's derivative [-1, 0, 1]: x[i + 1] - x[i - 1].
    static let difference = FoldedKernel(center: 0, sides: [1], antisymmetric: true)
    /// Sobel's cross smoothing [1, 2, 1].
    static let binomial = FoldedKernel(center: 2, sides: [1], antisymmetric: false)

    /// scipy.ndimage's Gaussian kernel: radius = Int(truncate * sigma + 0.5) and weights
    /// exp(-x^2 / (2 sigma^2)) divided by their sum (summed as NumPy's pairwise sum does).
    ///
    /// `radiusLimit` caps the radius for a filter with zeros beyond the edge: a tap farther from
    /// its centre than the longest line only ever meets those zeros, so stopping there changes
    /// nothing but the normalising sum (which a renormalised filter divides out), and a sigma of
    /// 1e12 costs no more than one of the image's size instead of terabytes. `sigma` must be
    /// finite and, without a limit, small enough for its radius to fit in an Int.
    static func gaussian(sigma: Double, truncate: Double = 4, radiusLimit: Int? = nil) -> FoldedKernel {
        let unlimited = truncate * sigma + 0.5
        let radius = radiusLimit.map { unlimited < Double($0) ? Int(unlimited) : $0 } ?? Int(unlimited)
        let factor = -0.5 / (sigma * sigma)
        let phi = (-radius...radius).map { x in exp(factor * Double(x * x)) }
        let total = pairwiseSum(phi)
        return FoldedKernel(center: phi[radius] / total,
                            sides: (0..<radius).map { phi[radius + 1 + $0] / total },
                            antisymmetric: false)
    }
}

/// How values beyond the edge of a line are made up, as scipy.ndimage's `mode`.
enum BoundaryMode: Sendable {
    /// Zeros beyond the edge ('constant' with cval 0).
    case zeros
    /// Mirrored about the edge between pixels, d c b a | a b c d | d c b a ('reflect').
    case reflect
}

/// NumPy's pairwise summation for fewer than 128 values: eight running sums over strided
/// elements, combined as a tree, then the tail added in order.
func pairwiseSum(_ values: [Double]) -> Double {
    let n = values.count
    guard n >= 8 else { return values.reduce(0, +) }
    var r = Array(values[0..<8])
    var i = 8
    while i < n - n % 8 {
        for j in 0..<8 { r[j] += values[i + j] }
        i += 8
    }
    var sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n { sum += values[i]; i += 1 }
    return sum
}

/// Correlates every line of a height × width plane with `kernel`: along each row (`axis` 1) or
/// down each column (`axis` 0).
///
/// A wide kernel makes a line slow (length × radius products), so `cancellation` is checked
/// about every 64K products, within a line as well as between lines; once it is set the
/// function returns at once with an incomplete result, which the caller must discard (it checks
/// the flag itself and throws).
func correlate1D(
    _ input: [Double], height: Int, width: Int, axis: Int, kernel: FoldedKernel, mode: BoundaryMode,
    cancellation: CancellationFlag? = nil
) -> [Double] {
    let (length, lines) = axis == 1 ? (width, height) : (height, width)
    let (step, lineStep) = axis == 1 ? (1, width) : (width, 1)
    let r = kernel.radius
    // Output pixels between two checks: about 64K products.
    let pixelsPerCheck = Swift.max(1, (1 << 16) / (2 * r + 1))
    var output = [Double](repeating: 0, count: input.count)
    // The line with r made-up values on each side: extended[r + i] = x[i]. With zeros beyond the
    // edge the sides stay as they are made here, and only the line itself is copied in.
    var extended = [Double](repeating: 0, count: length + 2 * r)
    let madeUp = mode == .zeros ? 0 ..< length : -r ..< length + r
    for line in 0..<lines {
        let start = line * lineStep
        for i in madeUp {
            extended[r + i] = value(input, start: start, step: step, length: length, at: i, mode: mode)
        }
        for block in stride(from: 0, to: length, by: pixelsPerCheck) {
            if cancellation?.isCancelled == true { return output }
            for i in block ..< Swift.min(block + pixelsPerCheck, length) {
                let c = r + i
                var sum = extended[c] * kernel.center
                for j in stride(from: r, through: 1, by: -1) {
                    let pair = kernel.antisymmetric ? extended[c + j] - extended[c - j] : extended[c - j] + extended[c + j]
                    sum += pair * kernel.sides[j - 1]
                }
                output[start + i * step] = sum
            }
        }
    }
    return output
}

/// x[i] of a line, or the value `mode` makes up for i outside 0..<length.
@inline(__always)
private func value(_ input: [Double], start: Int, step: Int, length: Int, at i: Int, mode: BoundaryMode) -> Double {
    if i >= 0 && i < length { return input[start + i * step] }
    switch mode {
    case .zeros:
        return 0
    case .reflect:
        // The mirrored line repeats with period 2 * length.
        let period = 2 * length
        var m = i % period
        if m < 0 { m += period }
        if m >= length { m = period - 1 - m }
        return input[start + m * step]
    }
}
