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
    /// The trace of the matrix square root is computed one of two exact ways, whichever costs
    /// less:
    ///
    /// - in feature space (many rows): with R = S_a^(1/2) (symmetric), S_a S_b = R (R S_b R) R^(-1)
    ///   is similar to the symmetric positive semi-definite R S_b R, so
    ///   Tr((S_a S_b)^(1/2)) = Σ sqrt(λ_i(R S_b R)): two d x d eigendecompositions, O(d^3);
    /// - in sample space (fewer rows than features, as with Inception's 2048 features and a few
    ///   hundred images): with the centred rows A [n, d] and B [m, d] scaled by 1/sqrt(n - 1) and
    ///   1/sqrt(m - 1), S_a = AᵀA and S_b = BᵀB, and the non-zero eigenvalues of S_a S_b are those
    ///   of C Cᵀ with C = A Bᵀ [n, m], so the trace is the sum of C's singular values (LAPACK's
    ///   dgesdd), O(n m d).
    ///
    /// Products run through BLAS (dgemm) and decompositions through LAPACK, in Double;
    /// eigenvalues that round-off makes slightly negative are taken as 0. The feature-space
    /// route takes square roots of eigenvalues, so small ones lose half their digits: the two
    /// routes agree to about 1e-8 of the distance, the sample-space one being the more exact.
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
        return try frechetDistance(a, b, route: FrechetRoute.cheaper(n: a.shape[0], m: b.shape[0], d: a.shape[1]))
    }

    /// About how many floating-point operations a Fréchet distance of n against m rows of d
    /// features costs, by the cheaper route: what an interval's replicates multiply.
    public static func frechetOperations(n: Int, m: Int, d: Int) -> Double {
        FrechetRoute.operations(n: n, m: m, d: d).min()!
    }

    /// Where the trace of the square root is taken (see `frechetDistance`).
    enum FrechetRoute: CaseIterable {
        case featureSpace, sampleSpace

        /// The operations of each route, in `allCases` order: about 10 d^3 + (n + m) d^2 in
        /// feature space, n m d + 10 n m min(n, m) in sample space (the product, then its
        /// singular values).
        static func operations(n: Int, m: Int, d: Int) -> [Double] {
            let (n, m, d) = (Double(n), Double(m), Double(d))
            return [10 * d * d * d + (n + m) * d * d, n * m * d + 10 * n * m * Swift.min(n, m)]
        }

        /// The route of fewer operations.
        static func cheaper(n: Int, m: Int, d: Int) -> FrechetRoute {
            let costs = operations(n: n, m: m, d: d)
            return costs[1] < costs[0] ? .sampleSpace : .featureSpace
        }
    }

    static func frechetDistance(_ a: Tensor, _ b: Tensor, route: FrechetRoute) throws -> Double {
        let d = a.shape[1]
        let (meanA, rowsA) = centredRows(a)
        let (meanB, rowsB) = centredRows(b)
        let (n, m) = (a.shape[0], b.shape[0])
        let blas = try OpenBLAS.shared(), lapack = try LAPACK.shared()
        var distance = 0.0
        for i in 0..<d { distance += (meanA[i] - meanB[i]) * (meanA[i] - meanB[i]) }
        // Tr S_a + Tr S_b: the squares of the scaled centred rows.
        distance += rowsA.reduce(0) { $0 + $1 * $1 } + rowsB.reduce(0) { $0 + $1 * $1 }

        let traceOfRoot: Double
        switch route {
        case .sampleSpace:
            // C = A Bᵀ [n, m]: the trace is the sum of its singular values.
            let c = blas.product(rowsA, rowsB, m: n, n: m, k: d, transposeB: true)
            traceOfRoot = try lapack.singularValues(c, rows: n, columns: m).reduce(0, +)
        case .featureSpace:
            let covarianceA = blas.product(rowsA, rowsA, m: d, n: d, k: n, transposeA: true)
            var covarianceB = blas.product(rowsB, rowsB, m: d, n: d, k: m, transposeA: true)
            symmetrise(&covarianceB, d)
            // R = S_a^(1/2) = V diag(sqrt(λ)) Vᵀ.
            let eigenA = try lapack.symmetricEigendecomposition(covarianceA, order: d)
            var scaled = eigenA.vectors
            for i in 0..<d {
                for k in 0..<d { scaled[i * d + k] *= Swift.max(eigenA.values[k], 0).squareRoot() }
            }
            let root = blas.product(scaled, eigenA.vectors, m: d, n: d, k: d, transposeB: true)
            // M = R S_b R, made exactly symmetric before its eigenvalues are taken.
            var middle = blas.product(blas.product(root, covarianceB, m: d, n: d, k: d), root, m: d, n: d, k: d)
            symmetrise(&middle, d)
            traceOfRoot = try lapack.symmetricEigenvalues(middle, order: d).reduce(0.0) { $0 + Swift.max($1, 0).squareRoot() }
        }
        return distance - 2 * traceOfRoot
    }

    /// The mean (d) of the rows of [n, d], and the rows centred on it and scaled by 1/sqrt(n - 1)
    /// (n x d, row-major), so that their Gram matrix XᵀX is the sample covariance.
    static func centredRows(_ features: Tensor) -> (mean: [Double], rows: [Double]) {
        let n = features.shape[0], d = features.shape[1]
        return features.withUnsafeBufferPointer { x in
            var mean = [Double](repeating: 0, count: d)
            for row in 0..<n {
                for j in 0..<d { mean[j] += Double(x[row * d + j]) }
            }
            for j in 0..<d { mean[j] /= Double(n) }
            let scale = 1 / Double(n - 1).squareRoot()
            var rows = [Double](repeating: 0, count: n * d)
            for row in 0..<n {
                for j in 0..<d { rows[row * d + j] = (Double(x[row * d + j]) - mean[j]) * scale }
            }
            return (mean, rows)
        }
    }

    /// Makes a d x d matrix exactly symmetric: each pair of mirrored entries becomes their mean.
    private static func symmetrise(_ matrix: inout [Double], _ d: Int) {
        for i in 0..<d {
            for j in 0..<i {
                let average = 0.5 * (matrix[i * d + j] + matrix[j * d + i])
                matrix[i * d + j] = average
                matrix[j * d + i] = average
            }
        }
    }
}
