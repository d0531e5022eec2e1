#if canImport(Glibc)
import Glibc
#endif

/// Vector quantisation, the bottleneck of the VQ-VAE (van den Oord, Vinyals and Kavukcuoglu,
/// "Neural Discrete Representation Learning", NeurIPS 2017), as diffusers' and
/// taming-transformers' `VectorQuantizer`.
///
/// The codebook holds K code vectors e_k of dimension D. Every position of the encoder's
/// output z [N, D, H, W] is replaced by its nearest code in squared Euclidean distance,
///
///     k* = argmin_k ||z - e_k||^2,  z_q = e_k*,
///
/// and since the argmin has no gradient, the paper trains with three terms (eq. 3):
/// - the straight-through estimator: the output is z_q, but its gradient is passed to z
///   unchanged, as if the quantisation were the identity;
/// - the codebook loss ||sg[z] - e||^2, which moves the chosen codes towards the encoder's
///   outputs (sg: stop-gradient; z gets nothing from it);
/// - the commitment loss beta ||z - sg[e]||^2, which keeps the encoder near its codes (the
///   codebook gets nothing from it). beta = 0.25 as in the paper.
///
/// Both losses are means over every value of z (`F.mse_loss`). (taming-transformers' default
/// "legacy" mode puts beta on the other term; this follows the paper.)
///
/// How the codebook learns is `learning`:
/// - `.gradient`: by the codebook loss's gradient, `loss` = codebookLoss + beta commitmentLoss.
///   From a uniform start most codes are never chosen and never move: the codebook collapses.
/// - `.movingAverage(decay:)` (the paper's appendix A.1; Razavi et al. 2019, VQ-VAE-2): each code
///   is the moving average of the encoder outputs it is chosen for, N_k <- g N_k + (1 - g) n_k
///   and m_k <- g m_k + (1 - g) sum of its outputs, e_k = m_k / N_k (N Laplace-smoothed), and
///   `loss` = beta commitmentLoss. The codebook starts as the k-means centroids of the first
///   training batch's outputs (`KMeans`), and a code whose average use N_k falls below
///   `deadUsage` positions per batch is restarted at the output the codebook serves worst
///   (Dhariwal et al. 2020, Jukebox; deterministic here). These updates happen only in
///   training steps (training mode, gradients recorded).
public final class VectorQuantizer: Module {
    /// How the codebook learns.
    public enum Learning: Equatable, Sendable {
        case gradient
        case movingAverage(decay: Float)
    }

    /// [K, D]: one code vector per row. Starts uniform in [-1/K, 1/K], as the implementations
    /// cited above (replaced by k-means centroids before the first moving-average step).
    public let codebook: Variable
    /// beta, the weight of the commitment loss.
    public let commitmentCost: Float
    public let learning: Learning
    /// N_k, the moving average of how many positions chose each code [K] (moving average only;
    /// all zero until the k-means start). Kept in checkpoints so training resumes where it was.
    public let cluster_size: Variable?
    /// m_k, the moving average of the sum of the outputs that chose each code [K, D].
    public let embed_sum: Variable?
    /// Below this average use (positions per batch) a code is restarted.
    public static let deadUsage: Float = 1
    /// Laplace smoothing of the cluster sizes, as Razavi et al.'s implementation.
    static let smoothing: Float = 1e-5

    public init(codes: Int, dimension: Int, commitmentCost: Float = 0.25, learning: Learning = .gradient, random: inout RandomStream) throws {
        guard codes > 0, dimension > 0 else {
            throw ModuleError("VectorQuantizer: needs at least one code of at least one dimension, got \(codes) x \(dimension)")
        }
        if case .movingAverage(let decay) = learning, !(decay > 0 && decay < 1) {
            throw ModuleError("VectorQuantizer: the moving average's decay lies between 0 and 1, got \(decay)")
        }
        let bound = 1 / Float(codes)
        codebook = Variable(try Tensor.rand([codes, dimension], low: -bound, high: bound, using: &random), requiresGradient: true)
        self.commitmentCost = commitmentCost
        self.learning = learning
        if case .movingAverage = learning {
            // Parameters only so that checkpoints keep them: no loss reaches them.
            cluster_size = Variable(try Tensor.zeros([codes]), requiresGradient: true)
            embed_sum = Variable(try Tensor.zeros([codes, dimension]), requiresGradient: true)
        } else {
            cluster_size = nil
            embed_sum = nil
        }
    }

    /// What quantising a batch gives.
    public struct Quantization {
        /// [N, D, H, W]: the nearest codes, with the straight-through gradient to the input.
        public var output: Variable
        /// mean((sg[z] - z_q)^2): its gradient reaches only the codebook (left out of `loss`
        /// when the codebook learns by moving averages).
        public var codebookLoss: Variable
        /// mean((z - sg[z_q])^2), not yet multiplied by beta: its gradient reaches only z.
        public var commitmentLoss: Variable
        /// codebookLoss + beta * commitmentLoss (beta * commitmentLoss with moving averages), to
        /// add to the reconstruction loss.
        public var loss: Variable
        /// [N, H, W]: the chosen code of every position, as whole numbers in 0..<K.
        public var indices: Tensor
        /// [K]: how many positions chose each code.
        public var counts: Tensor
        /// exp(entropy) of the codes' usage, exp(-sum_k p_k ln p_k) with p = counts / positions:
        /// K when every code is used equally, 1 when one code takes every position.
        public var perplexity: Float
        /// How many codes were restarted in this step (moving averages, training only).
        public var restartedCodes: Int = 0
    }

    /// z: [N, D, H, W] -> the quantisation of every position.
    public func callAsFunction(_ z: Variable) throws -> Quantization {
        let (codes, dimension) = (codebook.shape[0], codebook.shape[1])
        guard z.rank == 4, z.shape[1] == dimension else {
            throw TensorError("VectorQuantizer", "needs an input [N, \(dimension), H, W], got \(describeShape(z.shape))")
        }
        let (n, height, width) = (z.shape[0], z.shape[2], z.shape[3])
        let positions = n * height * width
        // 1. One row per position: [N, D, H, W] -> [N, H, W, D] -> [P, D].
        let rows = try z.value.permuted([0, 2, 3, 1]).reshaped([positions, dimension])
        let trainingStep = isTraining && GradientMode.isRecording
        if trainingStep, case .movingAverage = learning, try startsFromKMeans() {
            try startFromKMeans(rows)
        }
        // 2. Squared distances to every code, ||z||^2 - 2 z.e + ||e||^2, the cross term one
        //    matrix product [P, D] x [D, K]; the nearest code of each row (the first on ties).
        let (indices, distances) = try KMeans.nearestCentroids(rows, centroids: codebook.value)
        let nearest = Tensor(indices.map(Float.init))
        // 3. The chosen codes, gathered so that the codebook loss reaches them:
        //    [P, D] -> [N, H, W, D] -> [N, D, H, W].
        let quantized = try codebook.gatherRows(indices).reshaped([n, height, width, dimension]).permuted([0, 3, 1, 2])
        // 4. The two losses, each with a stop-gradient on the other side.
        let codebookLoss = try Loss.meanSquaredError(quantized, z.detached())
        let commitmentLoss = try Loss.meanSquaredError(z, quantized.detached())
        // 5. Straight through: the value of the codes, the gradient of the identity to z.
        let output = try z.straightThrough(to: quantized.value)
        // 6. Usage: positions per code, and the perplexity of that distribution.
        var counts = [Float](repeating: 0, count: codes)
        for k in indices { counts[k] += 1 }
        let entropy = counts.reduce(0.0) { total, count in
            let p = Double(count) / Double(positions)
            return p > 0 ? total - p * log(p) : total
        }
        // 7. Moving averages: the codebook follows its outputs; unused codes restart.
        var restarted = 0
        if trainingStep, case .movingAverage(let decay) = learning {
            restarted = try updateMovingAverages(rows, indices: indices, distances: distances, decay: decay)
        }
        let loss = learning == .gradient ? try codebookLoss + commitmentLoss * commitmentCost : commitmentLoss * commitmentCost
        return Quantization(
            output: output, codebookLoss: codebookLoss, commitmentLoss: commitmentLoss, loss: loss,
            indices: try nearest.reshaped([n, height, width]), counts: Tensor(counts),
            perplexity: Float(exp(entropy)), restartedCodes: restarted)
    }

    /// True before the first moving-average step: no code has been used yet.
    private func startsFromKMeans() throws -> Bool {
        try cluster_size.map { try $0.value.sum().item() == 0 } ?? false
    }

    /// The codebook becomes the k-means centroids of `rows` [P, D], each with its cluster's size.
    private func startFromKMeans(_ rows: Tensor) throws {
        guard let clusterSize = cluster_size, let embedSum = embed_sum else { return }
        let clustering = try KMeans.cluster(rows, count: codebook.shape[0])
        codebook.value = clustering.centroids
        clusterSize.value = Tensor(clustering.counts.map(Float.init))
        let dimension = codebook.shape[1]
        embedSum.value = try Tensor(shape: codebook.shape, scalars: clustering.centroids.scalars.enumerated().map { i, value in
            value * Float(clustering.counts[i / dimension])
        })
    }

    /// One moving-average step from a batch's `rows` [P, D], their codes and squared distances;
    /// the number of codes restarted.
    private func updateMovingAverages(_ rows: Tensor, indices: [Int], distances: [Float], decay: Float) throws -> Int {
        guard let clusterSize = cluster_size, let embedSum = embed_sum else { return 0 }
        let (codes, dimension) = (codebook.shape[0], codebook.shape[1])
        let x = rows.scalars
        var batchCounts = [Float](repeating: 0, count: codes), batchSums = [Float](repeating: 0, count: codes * dimension)
        for (row, k) in indices.enumerated() {
            batchCounts[k] += 1
            for j in 0..<dimension { batchSums[k * dimension + j] += x[row * dimension + j] }
        }
        var sizes = clusterSize.value.scalars, sums = embedSum.value.scalars
        for k in 0..<codes { sizes[k] = decay * sizes[k] + (1 - decay) * batchCounts[k] }
        for i in sums.indices { sums[i] = decay * sums[i] + (1 - decay) * batchSums[i] }
        // Codes restart at the rows their codes serve worst, one row each, largest error first.
        let dead = (0..<codes).filter { sizes[$0] < Self.deadUsage }
        let worst = KMeans.worstServed(distances)
        for (k, row) in zip(dead, worst) {
            sizes[k] = Self.deadUsage
            for j in 0..<dimension { sums[k * dimension + j] = x[row * dimension + j] * Self.deadUsage }
        }
        // e_k = m_k / N_k with N Laplace-smoothed so that no size is 0.
        let total = sizes.reduce(0, +)
        var codebookValues = codebook.value.scalars
        for k in 0..<codes {
            let smoothed = (sizes[k] + Self.smoothing) / (total + Float(codes) * Self.smoothing) * total
            for j in 0..<dimension { codebookValues[k * dimension + j] = sums[k * dimension + j] / smoothed }
        }
        clusterSize.value = Tensor(sizes)
        embedSum.value = try Tensor(shape: [codes, dimension], scalars: sums)
        codebook.value = try Tensor(shape: [codes, dimension], scalars: codebookValues)
        return min(dead.count, worst.count)
    }

    /// The code vectors of `indices` [N, H, W] as an image [N, D, H, W]: what the decoder gets
    /// from codes chosen elsewhere (a prior, a stored latent). No gradient.
    public func codes(at indices: Tensor) throws -> Tensor {
        guard indices.rank == 3 else {
            throw TensorError("VectorQuantizer.codes", "needs indices [N, H, W], got \(describeShape(indices.shape))")
        }
        let rows = try GradientMode.withoutGradients {
            try codebook.gatherRows(try classIndices(indices.scalars, below: codebook.shape[0], op: "VectorQuantizer.codes", naming: "code index")).value
        }
        return try rows.reshaped(indices.shape + [codebook.shape[1]]).permuted([0, 3, 1, 2])
    }
}

extension Variable {
    /// Rows of a matrix by index, as PyTorch's `F.embedding` (an embedding lookup):
    /// self [K, D], indices in 0..<K -> [indices.count, D]. The backward adds each output row's
    /// gradient into the row it came from, so a row picked twice gets both.
    public func gatherRows(_ indices: [Int]) throws -> Variable {
        guard rank == 2 else {
            throw TensorError("gatherRows", "needs a matrix [K, D], got \(describeShape(shape))")
        }
        let (count, width) = (shape[0], shape[1])
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw TensorError("gatherRows", "row \(bad) is out of range for a matrix of \(count) rows")
        }
        let table = value
        let output = table.withUnsafeBufferPointer { source in
            Tensor.build(shape: [indices.count, width]) { out in
                for (row, index) in indices.enumerated() {
                    for j in 0..<width { out[row * width + j] = source[index * width + j] }
                }
            }
        }
        return Variable.result(of: "gatherRows", output, inputs: [self]) { g in
            var gradient = try Tensor.zeros([count, width])
            g.withUnsafeBufferPointer { g in
                gradient.withUnsafeMutableBufferPointer { gradient in
                    for (row, index) in indices.enumerated() {
                        for j in 0..<width { gradient[index * width + j] += g[row * width + j] }
                    }
                }
            }
            return [gradient]
        }
    }

    /// The straight-through estimator (Bengio, Léonard and Courville 2013): a result whose value
    /// is `replacement` but whose gradient passes to this variable unchanged, as if the
    /// operation that made the replacement were the identity.
    public func straightThrough(to replacement: Tensor) throws -> Variable {
        guard replacement.shape == shape else {
            throw TensorError("straightThrough", "replacement of shape \(describeShape(replacement.shape)) for \(describeShape(shape))")
        }
        return Variable.result(of: "straightThrough", replacement, inputs: [self]) { g in [g] }
    }
}
