import Engine
import Foundation

extension Metrics {
    /// The Fréchet distance between Gaussians fitted to two sets of feature vectors, `a` [n, d]
    /// and `b` [m, d] (one row per sample; FID when the features come from Inception):
    ///
    ///     FD = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))
    ///
    /// (Dowson and Landau 1982; Heusel et al. 2017), with sample means and sample covariances
    /// (divided by n - 1, as numpy.cov and pytorch-fid). Both sets need at least two rows.
    ///
    /// The trace of the matrix square root is computed without forming the non-symmetric product
    /// S_a S_b: with R = S_a^(1/2) (symmetric), S_a S_b = R (R S_b R) R^(-1) is similar to the
    /// symmetric positive semi-definite R S_b R, so Tr((S_a S_b)^(1/2)) = Σ sqrt(λ_i(R S_b R)).
    /// Both steps are LAPACK symmetric eigendecompositions (dsyevd) in Double; eigenvalues that
    /// round-off makes slightly negative are taken as 0. Cost: O((n + m) d^2 + d^3).
    public static func frechetDistance(_ a: Tensor, _ b: Tensor) throws -> Double {
        let op = "frechetDistance"
        guard a.rank == 2, b.rank == 2, a.shape[1] == b.shape[1] else {
            throw TensorError(op, "expected feature sets [n, d] and [m, d] with the same d, "
                + "got \(describeShape(a.shape)) and \(describeShape(b.shape))")
        }
        guard a.shape[0] >= 2, b.shape[0] >= 2, a.shape[1] >= 1 else {
            throw TensorError(op, "each feature set needs at least two vectors of at least one feature, "
                + "got \(describeShape(a.shape)) and \(describeShape(b.shape))")
        }
        let d = a.shape[1]
        let (meanA, covarianceA) = meanAndCovariance(a)
        let (meanB, covarianceB) = meanAndCovariance(b)
        let lapack = try LAPACK.shared()

        // R = S_a^(1/2) = V diag(sqrt(λ)) V^T.
        let eigenA = try lapack.symmetricEigendecomposition(covarianceA, order: d)
        // (V diag(sqrt(λ))) V^T, the products summed over k in order.
        var scaled = eigenA.vectors, transposed = eigenA.vectors
        for i in 0..<d {
            for k in 0..<d {
                scaled[i * d + k] *= max(eigenA.values[k], 0).squareRoot()
                transposed[k * d + i] = eigenA.vectors[i * d + k]
            }
        }
        let root = multiply(scaled, transposed, d)
        // M = R S_b R, made exactly symmetric before its eigenvalues are taken.
        var middle = multiply(multiply(root, covarianceB, d), root, d)
        for i in 0..<d {
            for j in 0..<i {
                let average = 0.5 * (middle[i * d + j] + middle[j * d + i])
                middle[i * d + j] = average
                middle[j * d + i] = average
            }
        }
        let traceOfRoot = try lapack.symmetricEigendecomposition(middle, order: d).values
            .reduce(0.0) { $0 + max($1, 0).squareRoot() }

        var distance = 0.0
        for i in 0..<d {
            distance += (meanA[i] - meanB[i]) * (meanA[i] - meanB[i])
            distance += covarianceA[i * d + i] + covarianceB[i * d + i]
        }
        return distance - 2 * traceOfRoot
    }

    /// The mean (d) and sample covariance (d x d, row-major, divided by n - 1) of the rows of [n, d].
    static func meanAndCovariance(_ features: Tensor) -> (mean: [Double], covariance: [Double]) {
        let n = features.shape[0], d = features.shape[1]
        return features.withUnsafeBufferPointer { x in
            var mean = [Double](repeating: 0, count: d)
            for row in 0..<n {
                for j in 0..<d { mean[j] += Double(x[row * d + j]) }
            }
            for j in 0..<d { mean[j] /= Double(n) }
            var covariance = [Double](repeating: 0, count: d * d)
            var centred = [Double](repeating: 0, count: d)
            covariance.withUnsafeMutableBufferPointer { sums in
                centred.withUnsafeMutableBufferPointer { centred in
                    for row in 0..<n {
                        for j in 0..<d { centred[j] = Double(x[row * d + j]) - mean[j] }
                        // Lower triangle only; mirrored below.
                        for i in 0..<d {
                            let ci = centred[i]
                            for j in 0...i { sums[i * d + j] += ci * centred[j] }
                        }
                    }
                }
            }
            for i in 0..<d {
                for j in 0...i {
                    let value = covariance[i * d + j] / Double(n - 1)
                    covariance[i * d + j] = value
                    covariance[j * d + i] = value
                }
            }
            return (mean, covariance)
        }
    }

    /// The product of two d x d row-major matrices.
    private static func multiply(_ p: [Double], _ q: [Double], _ d: Int) -> [Double] {
        var product = [Double](repeating: 0, count: d * d)
        product.withUnsafeMutableBufferPointer { product in
            p.withUnsafeBufferPointer { p in
                q.withUnsafeBufferPointer { q in
                    for i in 0..<d {
                        for k in 0..<d {
                            let pik = p[i * d + k]
                            for j in 0..<d { product[i * d + j] += pik * q[k * d + j] }
                        }
                    }
                }
            }
        }
        return product
    }
}
