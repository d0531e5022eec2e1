import Engine
import Foundation

/// Tests/ImagingTests/Fixtures/metrics.json, made by Fixtures/make_metrics_fixtures.py with
/// scikit-image and scipy.
struct MetricFixtures: Decodable {
    /// A pair of grey images with scikit-image's SSIM, PSNR and MSE for them; for images of 176
    /// or more a side, MS-SSIM by a numpy/scipy implementation of the same convention and by
    /// torchmetrics; numpy's radially averaged power spectrum of x's top-left square.
    struct ImagePair: Decodable {
        let name: String
        let height: Int, width: Int
        let dataRange: Double
        let x: [Float], y: [Float]
        let ssim: Double, psnr: Double, mse: Double
        let msssim: Double?, msssimTorchmetrics: Double?
        let spectrum: [Double]

        func tensors(shape: [Int]? = nil) throws -> (Tensor, Tensor) {
            let shape = shape ?? [height, width]
            return (try Tensor(shape: shape, scalars: x), try Tensor(shape: shape, scalars: y))
        }
    }

    /// Two feature sets [n, d] and [m, d] with their Fréchet distance by scipy.linalg.sqrtm and
    /// their KID (unbiased polynomial-kernel MMD^2 over the full sets) by numpy.
    struct FeaturePair: Decodable {
        let name: String
        let n: Int, m: Int, d: Int
        let a: [Float], b: [Float]
        let frechet: Double
        let kid: Double
    }

    let ssim: [ImagePair]
    let frechet: [FeaturePair]

    static func load() throws -> MetricFixtures {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent("metrics.json")
        return try JSONDecoder().decode(MetricFixtures.self, from: Data(contentsOf: url))
    }
}
