import Engine

/// Benchmarks of the imaging kernels on one 256x256 image: a smooth pattern with edges and
/// noise, so that Canny has real edges to trace and SSIM real structure to compare.
public enum ImagingBenchmarks {
    /// Sizes as the issue asks: one 256x256 slice.
    static let side = 256

    /// Discs and a gradient with N(0, 0.05) noise, values about 0...1.
    static func testImage(seed: UInt64) throws -> Tensor {
        let noise = try Tensor.randn([side, side], std: 0.05, seed: seed)
        var pixels = noise.scalars
        for row in 0..<side {
            for column in 0..<side {
                let (y, x) = (Double(row) / Double(side) - 0.5, Double(column) / Double(side) - 0.5)
                let disc = x * x + y * y < 0.09 ? 0.6 : 0.2
                let small = (x - 0.1) * (x - 0.1) + (y + 0.05) * (y + 0.05) < 0.01 ? 0.3 : 0
                pixels[row * side + column] += Float(disc + small + 0.2 * x)
            }
        }
        return try Tensor(shape: [side, side], scalars: pixels)
    }

    /// Canny with sigma 1.5 and quantile thresholds 0.8 / 0.9: one image per run.
    /// The unit is megapixels per second.
    public static func canny() throws -> BenchmarkCase {
        let image = try testImage(seed: 1)
        return BenchmarkCase(name: "canny 256x256", unit: "Mpixel/s", work: Double(side * side) / 1e6) {
            _ = try Imaging.canny(image, sigma: 1.5, thresholds: .quantiles(low: 0.8, high: 0.9))
        }
    }

    /// SSIM (scikit-image's Gaussian convention) between two noisy versions of one image.
    public static func ssim() throws -> BenchmarkCase {
        let (x, y) = (try testImage(seed: 1), try testImage(seed: 2))
        return BenchmarkCase(name: "ssim 256x256", unit: "Mpixel/s", work: Double(side * side) / 1e6) {
            _ = try Metrics.structuralSimilarity(x, y, dataRange: 2)
        }
    }

    /// Canny and SSIM.
    public static func standard() throws -> [BenchmarkCase] {
        [try canny(), try ssim()]
    }
}
