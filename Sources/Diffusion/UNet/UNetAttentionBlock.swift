import Engine

extension UNet {
    /// Self-attention over the pixels of the lowest resolution, with a residual connection:
    ///
    ///     y = x + selfAttention(norm(x))
    ///
    /// `selfAttention` is Engine's `SpatialSelfAttention` (query, key, value and output Linear
    /// layers, heads of C / heads channels, softmax(Q K^T / sqrt(d)) V), the same computation as
    /// the reference's `AttentionBlock`. At 4x4 it lets every position see the whole image,
    /// which the 3x3 convolutions alone reach only after several layers. The projections start
    /// as `SpatialSelfAttention`'s (nn.MultiheadAttention's Xavier weights and zero biases),
    /// where the reference draws four nn.Linear layers: a different random start, the same model.
    public final class AttentionBlock: Module {
        public let norm: GroupNorm
        public let selfAttention: SpatialSelfAttention

        public init(channels: Int, heads: Int, groups: Int, random: inout RandomStream) throws {
            norm = try GroupNorm(groups: groups, channels: channels)
            selfAttention = try SpatialSelfAttention(channels: channels, heads: heads, random: &random)
        }

        /// x: [N, C, H, W] -> [N, C, H, W].
        public func callAsFunction(_ x: Variable) throws -> Variable {
            try x + selfAttention(norm(x))
        }
    }
}
