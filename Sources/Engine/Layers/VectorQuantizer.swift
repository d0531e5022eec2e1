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
/// Both losses are means over every value of z (`F.mse_loss`), and `loss` is
/// codebookLoss + beta * commitmentLoss. (taming-transformers' default "legacy" mode puts beta
/// on the other term; this follows the paper.) The codebook is learned by this gradient, not
/// by exponential moving averages.
public final class VectorQuantizer: Module {
    /// [K, D]: one code vector per row. Starts uniform in [-1/K, 1/K], as the implementations
    /// cited above.
    public let codebook: Variable
    /// beta, the weight of the commitment loss.
    public let commitmentCost: Float

    public init(codes: Int, dimension: Int, commitmentCost: Float = 0.25, random: inout RandomStream) throws {
        guard codes > 0, dimension > 0 else {
            throw ModuleError("VectorQuantizer: needs at least one code of at least one dimension, got \(codes) x \(dimension)")
        }
        let bound = 1 / Float(codes)
        codebook = Variable(try Tensor.rand([codes, dimension], low: -bound, high: bound, using: &random), requiresGradient: true)
        self.commitmentCost = commitmentCost
    }

    /// What quantising a batch gives.
    public struct Quantization {
        /// [N, D, H, W]: the nearest codes, with the straight-through gradient to the input.
        public var output: Variable
        /// mean((sg[z] - z_q)^2): its gradient reaches only the codebook.
        public var codebookLoss: Variable
        /// mean((z - sg[z_q])^2), not yet multiplied by beta: its gradient reaches only z.
        public var commitmentLoss: Variable
        /// codebookLoss + beta * commitmentLoss, to add to the reconstruction loss.
        public var loss: Variable
        /// [N, H, W]: the chosen code of every position, as whole numbers in 0..<K.
        public var indices: Tensor
        /// [K]: how many positions chose each code.
        public var counts: Tensor
        /// exp(entropy) of the codes' usage, exp(-sum_k p_k ln p_k) with p = counts / positions:
        /// K when every code is used equally, 1 when one code takes every position.
        public var perplexity: Float
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
        // 2. Squared distances to every code, ||z||^2 - 2 z.e + ||e||^2, the cross term one
        //    matrix product [P, D] x [D, K]; the nearest code of each row (the first on ties).
        let e = codebook.value
        let cross = try Tensor.matmul(rows, e, transposeB: true)
        let distances = try (rows * rows).sum(axes: [1], keepDims: true) - cross * 2 + (e * e).sum(axes: [1])
        let nearest = try distances.argmin(axis: 1)
        let indices = nearest.scalars.map { Int($0) }
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
        return Quantization(
            output: output, codebookLoss: codebookLoss, commitmentLoss: commitmentLoss,
            loss: try codebookLoss + commitmentLoss * commitmentCost,
            indices: try nearest.reshaped([n, height, width]), counts: Tensor(counts),
            perplexity: Float(exp(entropy)))
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
