import Engine
import Foundation

extension Metrics {
    /// The largest side the O(n^3) transform takes: 2048 is about 10^10 products an image.
    public static let maximumSpectrumSide = 2048

    /// The radially averaged power spectrum of square grey images, [n, n] or [N, 1, n, n]
    /// (averaged over the batch), as used to compare the frequency content of generated and
    /// real images:
    ///
    /// - P(u, v) = |F(u, v)|^2 / n^2, with F the 2-D discrete Fourier transform
    ///   F(u, v) = Σ_y Σ_x x(y, x) e^{-2πi (u y + v x) / n}, the mean not removed (bin 0 holds it);
    /// - each frequency falls in bin round(sqrt(u'^2 + v'^2)), where u' and v' are the signed
    ///   frequencies (u' = u - n for u > n/2, as numpy.fft.fftfreq); there are no ties, since
    ///   u'^2 + v'^2 is an integer and (k + 1/2)^2 is not;
    /// - bin r is the mean of P over its frequencies, for r = 0 ... n / 2; the corner
    ///   frequencies beyond the largest full circle are left out.
    ///
    /// Non-square images are refused: their frequencies lie on a rectangular grid, and radii in
    /// cycles per pixel would tie between bins. The transform is a direct separable DFT (rows,
    /// then columns) in Double, O(n^3): exact for any n and quick enough up to a few hundred;
    /// larger images take long, so `cancellation` is checked before each row of the transform,
    /// and sides past `maximumSpectrumSide` are refused.
    public static func radiallyAveragedPowerSpectrum(_ images: Tensor, cancellation: CancellationFlag? = nil) throws -> [Double] {
        let op = "radiallyAveragedPowerSpectrum"
        let (count, height, width) = try imageLayout(op, images.shape)
        guard height == width && height >= 2 else {
            throw TensorError(op, "expected square images of at least 2 x 2, got \(height) x \(width)")
        }
        let side = height
        guard side <= maximumSpectrumSide else {
            throw TensorError(op, "images of \(side) x \(side) are larger than the direct transform takes (at most \(maximumSpectrumSide) a side)")
        }
        // The bin of each frequency, and the transform's rows and power in Double (complex).
        try MemoryBudget.check(bytes: side * side * 48, for: "\(op): \(side) x \(side) images")
        let binCount = side / 2 + 1
        var bin = [Int](repeating: -1, count: side * side)
        var members = [Int](repeating: 0, count: binCount)
        for u in 0..<side {
            let fu = u > side / 2 ? u - side : u
            for v in 0..<side {
                let fv = v > side / 2 ? v - side : v
                let r = Int(Double(fu * fu + fv * fv).squareRoot().rounded())
                if r < binCount {
                    bin[u * side + v] = r
                    members[r] += 1
                }
            }
        }
        var spectrum = [Double](repeating: 0, count: binCount)
        let plane = side * side
        for n in 0..<count {
            let power = try powerOfDFT(
                images.scalars[n * plane..<(n + 1) * plane].map(Double.init), height: side, width: side, cancellation: cancellation)
            for i in 0..<plane where bin[i] >= 0 { spectrum[bin[i]] += power[i] }
        }
        return (0..<binCount).map { spectrum[$0] / Double(members[$0] * count) }
    }

    /// |DFT|^2 / (H W) of an H x W real image, row-major.
    static func powerOfDFT(_ image: [Double], height: Int, width: Int, cancellation: CancellationFlag? = nil) throws -> [Double] {
        // Along each row: R(y, v) = Σ_x image(y, x) e^{-2πi v x / W}.
        var real = [Double](repeating: 0, count: height * width), imaginary = real
        let (cosW, sinW) = twiddles(width)
        for y in 0..<height {
            try cancellation?.checkCancellation()
            for v in 0..<width {
                var re = 0.0, im = 0.0
                for x in 0..<width {
                    let t = (v * x) % width
                    re += image[y * width + x] * cosW[t]
                    im -= image[y * width + x] * sinW[t]
                }
                real[y * width + v] = re
                imaginary[y * width + v] = im
            }
        }
        // Along each column: F(u, v) = Σ_y R(y, v) e^{-2πi u y / H}.
        let (cosH, sinH) = twiddles(height)
        var power = [Double](repeating: 0, count: height * width)
        for u in 0..<height {
            try cancellation?.checkCancellation()
            for v in 0..<width {
                var re = 0.0, im = 0.0
                for y in 0..<height {
                    let t = (u * y) % height
                    let a = real[y * width + v], b = imaginary[y * width + v]
                    // (a + ib)(cos - i sin)
                    re += a * cosH[t] + b * sinH[t]
                    im += b * cosH[t] - a * sinH[t]
                }
                power[u * width + v] = (re * re + im * im) / Double(height * width)
            }
        }
        return power
    }

    /// cos(2π t / n) and sin(2π t / n) for t = 0 ..< n.
    private static func twiddles(_ n: Int) -> ([Double], [Double]) {
        let angles = (0..<n).map { 2 * Double.pi * Double($0) / Double(n) }
        return (angles.map(cos), angles.map(sin))
    }
}
