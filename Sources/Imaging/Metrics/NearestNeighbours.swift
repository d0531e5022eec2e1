import Engine
import Foundation

/// Feature sets compared through their nearest neighbours: improved precision and recall
/// (Kynkäänniemi et al. 2019), density and coverage (Naeem et al. 2020), and a memorisation
/// check. Distances are Euclidean, computed in Double from rows of [n, d] feature tensors.
///
/// With real features r_i, generated (fake) features f_j and NND_k(x) the distance from x to
/// its k-th nearest neighbour in its own set (itself excluded):
///
///     precision = 1/M Σ_j 1[∃ i: |f_j - r_i| < NND_k(r_i)]         (generated inside the real manifold)
///     recall    = 1/N Σ_i 1[∃ j: |r_i - f_j| < NND_k(f_j)]         (real inside the generated manifold)
///     density   = 1/(kM) Σ_j Σ_i 1[|f_j - r_i| < NND_k(r_i)]
///     coverage  = 1/N Σ_i 1[min_j |r_i - f_j| < NND_k(r_i)]
///
/// as the reference implementation (clovaai/generative-evaluation-prdc) computes them.
public struct NearestNeighbourScores: Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    public var density: Double
    public var coverage: Double
}

/// The pairwise distances of a real and a generated feature set, computed once, from which the
/// scores of any selection of their rows follow (the bootstrap's resamples).
public struct NearestNeighbourSets {
    public let real: Int, generated: Int
    let realToReal: [Double], generatedToGenerated: [Double], realToGenerated: [Double]

    public init(real: Tensor, generated: Tensor) throws {
        let op = "nearestNeighbours"
        guard real.rank == 2, generated.rank == 2, real.shape[1] == generated.shape[1], real.shape[1] > 0 else {
            throw TensorError(op, "expected feature sets [n, d] and [m, d] with the same d, "
                + "got \(describeShape(real.shape)) and \(describeShape(generated.shape))")
        }
        self.real = real.shape[0]
        self.generated = generated.shape[0]
        let pairs = self.real * self.real + self.generated * self.generated + self.real * self.generated
        try MemoryBudget.check(count: pairs, bytesPerValue: MemoryLayout<Double>.stride,
                               for: "the distances between \(self.real) real and \(self.generated) generated feature rows")
        let r = try Metrics.featureRows(op, real), g = try Metrics.featureRows(op, generated)
        realToReal = Metrics.distances(r, r)
        generatedToGenerated = Metrics.distances(g, g)
        realToGenerated = Metrics.distances(r, g)
    }

    /// The four scores on all rows, k-th neighbours. Both sets need more than k rows.
    public func scores(k: Int) throws -> NearestNeighbourScores {
        try Self.requireNeighbours(k, real: real, generated: generated)
        return scores(k: k, realRows: Array(0..<real), generatedRows: Array(0..<generated))
    }

    /// Refuses a k that sets of these sizes cannot give: each needs more than k rows.
    public static func requireNeighbours(_ k: Int, real: Int, generated: Int) throws {
        guard k >= 1, real > k, generated > k else {
            throw TensorError("nearestNeighbours", "k = \(k) needs k >= 1 and more than k rows in each set; "
                + "the sets have \(real) real and \(generated) generated rows")
        }
    }

    /// The scores on a selection of rows, repeats included (a bootstrap resample). The radii
    /// NND_k are taken among the distinct rows selected, so that a repeated row is not its own
    /// neighbour; a repeated row counts as often as it is selected. All NaN when a selection
    /// has k or fewer distinct rows.
    public func scores(k: Int, realRows: [Int], generatedRows: [Int]) -> NearestNeighbourScores {
        let distinctReal = Array(Set(realRows)).sorted(), distinctGenerated = Array(Set(generatedRows)).sorted()
        guard distinctReal.count > k, distinctGenerated.count > k else {
            return NearestNeighbourScores(precision: .nan, recall: .nan, density: .nan, coverage: .nan)
        }
        let realRadius = radii(realToReal, real, distinctReal, k)
        let generatedRadius = radii(generatedToGenerated, generated, distinctGenerated, k)
        func distance(_ i: Int, _ j: Int) -> Double { realToGenerated[i * generated + j] }

        var precise = 0, dense = 0
        for j in generatedRows {
            var inside = 0
            for i in realRows where distance(i, j) < realRadius[i] { inside += 1 }
            dense += inside
            if inside > 0 { precise += 1 }
        }
        var recalled = 0, covered = 0
        for i in realRows {
            if distinctGenerated.contains(where: { distance(i, $0) < generatedRadius[$0] }) { recalled += 1 }
            if let nearest = distinctGenerated.lazy.map({ distance(i, $0) }).min(), nearest < realRadius[i] { covered += 1 }
        }
        let m = Double(generatedRows.count), n = Double(realRows.count)
        return NearestNeighbourScores(
            precision: Double(precise) / m, recall: Double(recalled) / n,
            density: Double(dense) / (Double(k) * m), coverage: Double(covered) / n)
    }

    /// NND_k of each of `rows` among `rows` (itself excluded), from a square distance matrix;
    /// NaN for rows not selected.
    private func radii(_ matrix: [Double], _ size: Int, _ rows: [Int], _ k: Int) -> [Double] {
        var radius = [Double](repeating: .nan, count: size)
        for i in rows {
            let neighbours = rows.lazy.filter { $0 != i }.map { matrix[i * size + $0] }.sorted()
            radius[i] = neighbours[k - 1]
        }
        return radius
    }
}

/// The memorisation check: how close each generated image's features come to the nearest
/// training image's, against how close real images the model never saw come.
///
/// For each held-out real image, the distance to its nearest training image is what a new
/// subject's distance looks like; the `quantile` (say 0.01) of those distances is the
/// threshold. A generated image nearer than that to a training image is a suspected copy. A
/// model that draws new subjects flags about `quantile` of its images, as the held-out set
/// itself would; a share well above it means the model reproduces training images.
public struct MemorisationCheck: Sendable {
    /// Each generated image's distance to its nearest training image, and which one that is.
    public var distances: [Double]
    public var nearestTrainingImages: [Int]
    /// Each held-out real image's distance to its nearest training image.
    public var heldOutDistances: [Double]
    public var quantile: Double
    public var threshold: Double
    /// The generated images nearer to a training image than `threshold`.
    public var suspects: [Int]
    public var share: Double { Double(suspects.count) / Double(distances.count) }

    public init(generated: Tensor, training: Tensor, heldOut: Tensor, quantile: Double) throws {
        let op = "memorisation"
        guard quantile > 0, quantile < 1 else {
            throw TensorError(op, "the quantile must lie between 0 and 1 (0.01 for the first percentile), not \(quantile)")
        }
        let shapes = [generated.shape, training.shape, heldOut.shape]
        guard shapes.allSatisfy({ $0.count == 2 && $0[1] == generated.shape[1] && $0[0] > 0 }), generated.shape[1] > 0 else {
            throw TensorError(op, "expected feature sets [n, d] with the same d and at least one row each, got "
                + shapes.map(describeShape).joined(separator: ", "))
        }
        let trainingRows = try Metrics.featureRows(op, training)
        let nearest = Metrics.nearest(try Metrics.featureRows(op, generated), trainingRows)
        let distances = nearest.map(\.distance)
        self.distances = distances
        nearestTrainingImages = nearest.map(\.index)
        heldOutDistances = Metrics.nearest(try Metrics.featureRows(op, heldOut), trainingRows).map(\.distance)
        self.quantile = quantile
        threshold = Resampling.quantile(heldOutDistances.sorted(), quantile)
        let threshold = self.threshold
        guard threshold > 0 else {
            throw TensorError(op, "held-out images lie on training images (their \(quantile) quantile of distances is 0): "
                + "the held-out set overlaps the training set, so nothing can be told apart")
        }
        suspects = distances.indices.filter { distances[$0] < threshold }
    }

    /// The share of suspected copies on a selection of generated and held-out rows.
    public func share(generatedRows: [Int], heldOutRows: [Int]) -> Double {
        let threshold = Resampling.quantile(heldOutRows.map { heldOutDistances[$0] }.sorted(), quantile)
        return Double(generatedRows.count { distances[$0] < threshold }) / Double(generatedRows.count)
    }
}

extension Metrics {
    /// The rows of [n, d] in Double; NaN or infinite features are an error (every distance
    /// to them would be).
    static func featureRows(_ op: String, _ features: Tensor) throws -> [[Double]] {
        let n = features.shape[0], d = features.shape[1]
        return try features.withUnsafeBufferPointer { x in
            try (0..<n).map { row in
                try (0..<d).map { j in
                    let value = x[row * d + j]
                    guard value.isFinite else {
                        throw TensorError(op, "feature row \(row) holds \(value) at \(j): features must be finite numbers")
                    }
                    return Double(value)
                }
            }
        }
    }

    /// The Euclidean distance between two rows.
    static func distance(_ u: [Double], _ v: [Double]) -> Double {
        var sum = 0.0
        for (p, q) in zip(u, v) { sum += (p - q) * (p - q) }
        return sum.squareRoot()
    }

    /// Euclidean distances between every row of `a` and every row of `b`, row-major [a, b].
    static func distances(_ a: [[Double]], _ b: [[Double]]) -> [Double] {
        a.flatMap { row in b.map { distance(row, $0) } }
    }

    /// For each row of `a`, the nearest row of `b` (the first of equals) and its distance.
    static func nearest(_ a: [[Double]], _ b: [[Double]]) -> [(index: Int, distance: Double)] {
        a.map { row in
            var best = (index: 0, distance: Double.infinity)
            for (index, other) in b.enumerated() {
                let d = distance(row, other)
                if d < best.distance { best = (index, d) }
            }
            return best
        }
    }

    /// The rows `indices` of [n, d] (repeats allowed), as a new [indices.count, d] tensor.
    static func selectRows(_ features: Tensor, _ indices: [Int]) throws -> Tensor {
        let d = features.shape[1]
        let values = features.withUnsafeBufferPointer { x in
            indices.flatMap { row in (0..<d).map { x[row * d + $0] } }
        }
        return try Tensor(shape: [indices.count, d], scalars: values)
    }
}
