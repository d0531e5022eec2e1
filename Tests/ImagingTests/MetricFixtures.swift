import Engine
import Foundation

/// Tests/ImagingTests/Fixtures/metrics.json, made by Fixtures/make_metrics_fixtures.py with
/// scikit-image and scipy.
struct MetricFixtures: Decodable {
    /// A pair of grey images with scikit-image's SSIM, PSNR and MSE for them.
    struct ImagePair: Decodable {
        let name: String
        let height: Int, width: Int
        let dataRange: Double
        let x: [Float], y: [Float]
        let ssim: Double, psnr: Double, mse: Double

        func tensors(shape: [Int]? = nil) throws -> (Tensor, Tensor) {
            let shape = shape ?? [height, width]
            return (try Tensor(shape: shape, scalars: x), try Tensor(shape: shape, scalars: y))
        }
    }

    /// Two feature sets [n, d] and [m, d] with their Fréchet distance by scipy.linalg.sqrtm.
    struct FeaturePair: Decodable {
        let name: String
        let n: Int, m: Int, d: Int
        let a: [Float], b: [Float]
        let frechet: Double
    }

    let ssim: [ImagePair]
    let frechet: [FeaturePair]

    static func load() throws -> MetricFixtures {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent("metrics.json")
        return try JSONDecoder().decode(MetricFixtures.self, from: Data(contentsOf: url))
    }
}
