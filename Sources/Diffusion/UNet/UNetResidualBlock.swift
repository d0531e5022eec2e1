import Engine

extension UNet {
    /// The UNet's residual block (He et al., "Deep Residual Learning", 2016, in the pre-activation
    /// form of DDPM, Ho et al. 2020), told the timestep through a per-channel shift:
    ///
    ///     h = conv1(SiLU(norm1(x)))                         3x3, C_in -> C_out
    ///     h = h + timeProjection(SiLU(emb))[:, :, None, None]
    ///     h = conv2(dropout(SiLU(norm2(h))))                3x3, C_out -> C_out
    ///     y = h + skip(x)                                   skip: 1x1 conv when C_in != C_out, else identity
    public final class ResidualBlock: Module {
        public let norm1: GroupNorm
        public let conv1: Conv2d
        /// Time embedding width -> C_out: one shift per output channel.
        public let timeProjection: Linear
        public let norm2: GroupNorm
        public let dropout: Dropout
        public let conv2: Conv2d
        /// The 1x1 convolution that matches the widths on the residual path, or nil when the
        /// block keeps its width.
        public let skip: Conv2d?

        public init(
            inputChannels: Int, outputChannels: Int, timeEmbeddingWidth: Int, groups: Int, dropout: Float,
            random: inout RandomStream
        ) throws {
            norm1 = try GroupNorm(groups: groups, channels: inputChannels)
            conv1 = try Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1, random: &random)
            timeProjection = try Linear(inputs: timeEmbeddingWidth, outputs: outputChannels, random: &random)
            norm2 = try GroupNorm(groups: groups, channels: outputChannels)
            self.dropout = try Dropout(probability: dropout)
            conv2 = try Conv2d(inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1, random: &random)
            skip = inputChannels == outputChannels
                ? nil
                : try Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1, random: &random)
        }

        /// x: [N, C_in, H, W], embedding: [N, D] -> [N, C_out, H, W]. `random` feeds the dropout
        /// (it is not advanced in evaluation mode or with p = 0).
        public func callAsFunction(_ x: Variable, embedding: Variable, random: inout RandomStream) throws -> Variable {
            var h = try conv1(norm1.silu(x))
            let shift = try timeProjection(embedding.silu())
            h = try h + shift.reshaped([shift.shape[0], shift.shape[1], 1, 1])
            h = try conv2(dropout(norm2.silu(h), random: &random))
            return try h + (skip.map { try $0(x) } ?? x)
        }
    }
}
