import Engine

extension Metrics {
    /// The kernel distance (KID, Bińkowski et al., "Demystifying MMD GANs", 2018) between two
    /// sets of feature vectors, `a` [n, d] and `b` [m, d]: the unbiased estimate of the squared
    /// maximum mean discrepancy with the cubic polynomial kernel k(p, q) = (p·q / d + 1)^3,
    ///
    ///     MMD² = Σ_{i≠j} k(a_i, a_j) / (n(n-1)) + Σ_{i≠j} k(b_i, b_j) / (m(m-1)) - 2 Σ_{i,j} k(a_i, b_j) / (nm)
    ///
    /// over the full sets, in Double. clean-fid and torchmetrics average this same estimator over
    /// 100 random subsets of at most 1000 vectors, which estimates the same number with more
    /// variance; for sets of 1000 or fewer vectors of equal size the two agree up to that
    /// sampling. Being unbiased, it can be slightly negative for sets from the same distribution.
    /// Both sets need at least two vectors. Cost: O((n + m)^2 d).
    public static func kernelInceptionDistance(_ a: Tensor, _ b: Tensor) throws -> Double {
        let op = "kernelInceptionDistance"
        guard a.rank == 2, b.rank == 2, a.shape[1] == b.shape[1], a.shape[1] >= 1 else {
            throw TensorError(op, "expected feature sets [n, d] and [m, d] with the same d, "
                + "got \(describeShape(a.shape)) and \(describeShape(b.shape))")
        }
        guard a.shape[0] >= 2, b.shape[0] >= 2 else {
            throw TensorError(op, "each feature set needs at least two vectors, "
                + "got \(describeShape(a.shape)) and \(describeShape(b.shape))")
        }
        let n = a.shape[0], m = b.shape[0], d = a.shape[1]
        let p = a.scalars.map(Double.init), q = b.scalars.map(Double.init)
        /// Σ k(u_i, v_j) over all pairs, or over i ≠ j when `u` and `v` are the same set.
        func kernelSum(_ u: [Double], _ rowsU: Int, _ v: [Double], _ rowsV: Int, sameSet: Bool) -> Double {
            u.withUnsafeBufferPointer { u in
                v.withUnsafeBufferPointer { v in
                    var sum = 0.0
                    for i in 0..<rowsU {
                        for j in 0..<rowsV where !(sameSet && i == j) {
                            var dot = 0.0
                            for k in 0..<d { dot += u[i * d + k] * v[j * d + k] }
                            let base = dot / Double(d) + 1
                            sum += base * base * base
                        }
                    }
                    return sum
                }
            }
        }
        return kernelSum(p, n, p, n, sameSet: true) / Double(n * (n - 1))
            + kernelSum(q, m, q, m, sameSet: true) / Double(m * (m - 1))
            - 2 * kernelSum(p, n, q, m, sameSet: false) / Double(n * m)
    }
}

/// The cubic-kernel values of two feature sets, computed once, from which the KID of any
/// selection of their rows follows (the bootstrap's resamples): with repeats, the sums over
/// i ≠ j run over positions, so a row drawn twice meets itself, as it would in a set that held
/// it twice.
public struct KernelSets: Sendable {
    let generated: Int, real: Int
    let generatedKernel: [Double], realKernel: [Double], crossKernel: [Double]

    public init(generated: Tensor, real: Tensor) throws {
        let op = "kernelInceptionDistance"
        guard generated.rank == 2, real.rank == 2, generated.shape[1] == real.shape[1], real.shape[1] >= 1 else {
            throw TensorError(op, "expected feature sets [n, d] and [m, d] with the same d, "
                + "got \(describeShape(generated.shape)) and \(describeShape(real.shape))")
        }
        self.generated = generated.shape[0]
        self.real = real.shape[0]
        let pairs = self.generated * self.generated + self.real * self.real + self.generated * self.real
        try MemoryBudget.check(count: pairs, bytesPerValue: MemoryLayout<Double>.stride,
                               for: "the kernel values of \(self.generated) generated and \(self.real) real feature rows")
        let g = try Metrics.featureRows(op, generated), r = try Metrics.featureRows(op, real)
        func kernel(_ u: [[Double]], _ v: [[Double]]) -> [Double] {
            let d = Double(u.first?.count ?? 1)
            return u.flatMap { p in
                v.map { q in
                    var dot = 0.0
                    for (x, y) in zip(p, q) { dot += x * y }
                    let base = dot / d + 1
                    return base * base * base
                }
            }
        }
        generatedKernel = kernel(g, g)
        realKernel = kernel(r, r)
        crossKernel = kernel(g, r)
    }

    /// KID of the selected rows (repeats allowed); NaN when a selection has fewer than 2.
    public func distance(generatedRows: [Int], realRows: [Int]) -> Double {
        let n = generatedRows.count, m = realRows.count
        guard n >= 2, m >= 2 else { return .nan }
        let a = Self.counts(generatedRows, generated), b = Self.counts(realRows, real)
        func within(_ counts: [(Int, Double)], _ kernel: [Double], _ size: Int) -> Double {
            var sum = 0.0
            for (i, ci) in counts {
                for (j, cj) in counts { sum += ci * cj * kernel[i * size + j] }
                sum -= ci * kernel[i * size + i]
            }
            return sum
        }
        var cross = 0.0
        for (i, ci) in a {
            for (j, cj) in b { cross += ci * cj * crossKernel[i * real + j] }
        }
        return within(a, generatedKernel, generated) / Double(n * (n - 1))
            + within(b, realKernel, real) / Double(m * (m - 1))
            - 2 * cross / Double(n * m)
    }

    /// How often each row is selected, for the rows selected at least once.
    static func counts(_ rows: [Int], _ size: Int) -> [(Int, Double)] {
        var counts = [Double](repeating: 0, count: size)
        for row in rows { counts[row] += 1 }
        return counts.indices.filter { counts[$0] > 0 }.map { ($0, counts[$0]) }
    }
}
