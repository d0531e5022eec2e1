extension Variable {
    /// Scaled dot-product attention (Vaswani et al., "Attention Is All You Need", 2017, eq. 1):
    ///
    ///     Attention(Q, K, V) = softmax(Q K^T / sqrt(d)) V
    ///
    /// query: [B, L, d], key: [B, S, d], value: [B, S, e] -> [B, L, e]; B is any batch (here
    /// samples times heads). Row i of the softmax is how much query i attends to each key; the
    /// scale 1 / sqrt(d) keeps the dot products of unit-variance vectors at unit variance, so the
    /// softmax does not saturate as d grows. Built from differentiable ops (batched matmul,
    /// softmax), so its gradient is theirs.
    public static func scaledDotProductAttention(query: Variable, key: Variable, value: Variable) throws -> Variable {
        guard query.rank == 3, key.rank == 3, value.rank == 3,
              query.shape[0] == key.shape[0], key.shape[0] == value.shape[0],
              query.shape[2] == key.shape[2], key.shape[1] == value.shape[1] else {
            throw TensorError("scaledDotProductAttention", "needs query [B, L, d], key [B, S, d] and value [B, S, e], got "
                + "\(describeShape(query.shape)), \(describeShape(key.shape)) and \(describeShape(value.shape))")
        }
        let scale = 1 / Float(query.shape[2]).squareRoot()
        // Scores: every query against every key, [B, L, S]; scaling Q first is cheaper than
        // scaling the L x S scores.
        let scores = try matmul(query * scale, key, transposeB: true)
        // Attention weights: each query's row sums to 1 over the keys.
        let weights = try scores.softmax(axis: -1)
        // Each output is the weighted mean of the values, [B, L, e].
        return try matmul(weights, value)
    }
}

/// Multi-head self-attention over the positions of an image, as PyTorch's
/// `nn.MultiheadAttention(C, heads, batch_first=True)` applied to the image's pixels as tokens:
///
///     tokens = x.reshape(N, C, H*W).transpose(1, 2)          # [N, H*W, C]
///     y, _   = attention(tokens, tokens, tokens)
///     output = y.transpose(1, 2).reshape(N, C, H, W)
///
/// Each head h sees its own d = C / heads channels of the projections:
///
///     Q = tokens Wq^T + bq,  K = tokens Wk^T + bk,  V = tokens Wv^T + bv           [N, L, C]
///     head_h = softmax(Q_h K_h^T / sqrt(d)) V_h                                      [N, L, d]
///     y = concat(head_1, ..., head_heads) Wo^T + bo                                  [N, L, C]
///
/// PyTorch keeps Wq, Wk, Wv stacked in one `in_proj_weight` [3C, C] (and `in_proj_bias`
/// [3C]); here they are the Linear layers `query`, `key` and `value` (its three [C, C] row
/// blocks, in that order), and `out_proj` is `output`. diffusers' `Attention` names them
/// to_q, to_k, to_v, to_out.0. This layer is only the attention: the UNet block around it adds
/// the GroupNorm before it and the residual connection after it.
///
/// Initialisation as PyTorch's: Wq, Wk and Wv uniform with the Xavier bound of the stacked
/// [3C, C] matrix, sqrt(6 / (C + 3C)); the output weight uniform in +-1/sqrt(C) (nn.Linear's);
/// all biases zero.
public final class SpatialSelfAttention: Module {
    /// The number of heads; the channels must divide evenly among them.
    public let heads: Int
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let output: Linear

    public init(channels: Int, heads: Int, random: inout RandomStream) throws {
        guard heads > 0, channels > 0, channels % heads == 0 else {
            throw ModuleError("SpatialSelfAttention: \(channels) channels cannot be split among \(heads) heads")
        }
        self.heads = heads
        query = try Linear(inputs: channels, outputs: channels, random: &random)
        key = try Linear(inputs: channels, outputs: channels, random: &random)
        value = try Linear(inputs: channels, outputs: channels, random: &random)
        output = try Linear(inputs: channels, outputs: channels, random: &random)
        // Linear drew nn.Linear's initialisation; nn.MultiheadAttention replaces it for the input
        // projections and zeroes every bias.
        let xavier = (6 / Float(4 * channels)).squareRoot()
        for projection in [query, key, value] {
            projection.weight.value = try Tensor.rand([channels, channels], low: -xavier, high: xavier, using: &random)
        }
        for projection in [query, key, value, output] {
            projection.bias!.value = try Tensor.zeros([channels])
        }
    }

    /// x: [N, C, H, W] -> [N, C, H, W].
    public func callAsFunction(_ x: Variable) throws -> Variable {
        try OperationProfile.scope("attention") { try attend(x) }
    }

    private func attend(_ x: Variable) throws -> Variable {
        let channels = query.weight.shape[1]
        guard x.rank == 4, x.shape[1] == channels else {
            throw TensorError("SpatialSelfAttention", "needs an input [N, \(channels), H, W], got \(describeShape(x.shape))")
        }
        let (n, height, width) = (x.shape[0], x.shape[2], x.shape[3])
        let (positions, d) = (height * width, channels / heads)
        // 1. Pixels become tokens, one row each: [N, C, H, W] -> [N, L, C] -> [N * L, C] with
        //    L = H * W. (Rows of one matrix make each projection, and its weight gradient, one
        //    matrix product.)
        let tokens = try x.reshaped([n, channels, positions]).permuted([0, 2, 1]).reshaped([n * positions, channels])
        // 2. Project, and give every (sample, head) pair its own batch entry:
        //    [N * L, C] -> [N, L, heads, d] -> [N, heads, L, d] -> [N * heads, L, d].
        func splitHeads(_ projected: Variable) throws -> Variable {
            try projected.reshaped([n, positions, heads, d]).permuted([0, 2, 1, 3]).reshaped([n * heads, positions, d])
        }
        let q = try splitHeads(query(tokens)), k = try splitHeads(key(tokens)), v = try splitHeads(value(tokens))
        // 3. softmax(Q K^T / sqrt(d)) V for every head at once: [N * heads, L, d].
        let attended = try Variable.scaledDotProductAttention(query: q, key: k, value: v)
        // 4. Heads side by side again: [N, heads, L, d] -> [N, L, heads, d] -> [N * L, C].
        let merged = try attended.reshaped([n, heads, positions, d]).permuted([0, 2, 1, 3]).reshaped([n * positions, channels])
        // 5. Output projection, and tokens back to pixels: [N * L, C] -> [N, C, L] -> [N, C, H, W].
        return try output(merged).reshaped([n, positions, channels]).permuted([0, 2, 1]).reshaped([n, channels, height, width])
    }
}
