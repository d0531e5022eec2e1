/// Lloyd's k-means (Lloyd 1982) over the rows of a matrix, deterministic: it starts from rows
/// spread evenly through the input (whose order is already a random draw when the rows come
/// from a shuffled batch), and a cluster left empty takes the row farthest from its centroid.
/// The VQ codebook starts from its centroids (`VectorQuantizer`, `.movingAverage`), so that
/// every code begins where the encoder's outputs are.
public enum KMeans {
    /// What clustering gives: the centroids [k, D], and how many rows each holds.
    public struct Clustering {
        public var centroids: Tensor
        public var counts: [Int]
        /// The nearest centroid of every row.
        public var assignments: [Int]
    }

    /// `k` centroids of the rows of `rows` [P, D] after `iterations` rounds of Lloyd's
    /// algorithm. With fewer rows than centroids, rows are repeated and some clusters stay empty.
    public static func cluster(_ rows: Tensor, count k: Int, iterations: Int = 10) throws -> Clustering {
        guard rows.rank == 2, rows.shape[0] > 0, rows.shape[1] > 0, k > 0 else {
            throw TensorError("KMeans", "needs rows [P, D] and at least one centroid, got \(describeShape(rows.shape)) and k = \(k)")
        }
        let (p, d) = (rows.shape[0], rows.shape[1])
        let values = rows.scalars
        var centroids = [Float](repeating: 0, count: k * d)
        for c in 0..<k {
            let row = (c * p) / k % p
            for j in 0..<d { centroids[c * d + j] = values[row * d + j] }
        }
        var assignments = [Int](repeating: 0, count: p), counts = [Int](repeating: 0, count: k)
        for _ in 0..<max(1, iterations) {
            let (nearest, distances) = try nearestCentroids(rows, centroids: try Tensor(shape: [k, d], scalars: centroids))
            assignments = nearest
            counts = [Int](repeating: 0, count: k)
            var sums = [Double](repeating: 0, count: k * d)
            for (row, c) in assignments.enumerated() {
                counts[c] += 1
                for j in 0..<d { sums[c * d + j] += Double(values[row * d + j]) }
            }
            // Empty clusters take the rows worst served by their centroids, one each.
            var spare = worstServed(distances).makeIterator()
            for c in 0..<k {
                if counts[c] > 0 {
                    for j in 0..<d { centroids[c * d + j] = Float(sums[c * d + j] / Double(counts[c])) }
                } else if let row = spare.next() {
                    for j in 0..<d { centroids[c * d + j] = values[row * d + j] }
                }
            }
        }
        return Clustering(centroids: try Tensor(shape: [k, d], scalars: centroids), counts: counts, assignments: assignments)
    }

    /// The rows by their distance to their centroid, farthest first (the first row on ties): where
    /// an empty cluster or a restarted code goes.
    public static func worstServed(_ distances: [Float]) -> [Int] {
        distances.indices.sorted { distances[$0] > distances[$1] || (distances[$0] == distances[$1] && $0 < $1) }
    }

    /// The nearest centroid of each row (the first on ties) and its squared distance, with
    /// ||x||^2 - 2 x.c + ||c||^2 and the cross term one matrix product.
    public static func nearestCentroids(_ rows: Tensor, centroids: Tensor) throws -> (nearest: [Int], distances: [Float]) {
        let cross = try Tensor.matmul(rows, centroids, transposeB: true)
        let distances = try (rows * rows).sum(axes: [1], keepDims: true) - cross * 2 + (centroids * centroids).sum(axes: [1])
        let nearest = try distances.argmin(axis: 1).scalars.map { Int($0) }
        let k = centroids.shape[0]
        let all = distances.scalars
        return (nearest, nearest.enumerated().map { row, c in max(0, all[row * k + c]) })
    }
}
