import Engine

// The layers of `DiffusersUNet`, each as diffusers writes it (models/resnet.py,
// models/attention_processor.py, models/unets/unet_2d_blocks.py, models/embeddings.py), with
// its property names so that parameter paths equal diffusers' state-dict keys.

extension DiffusersUNet {
    /// diffusers' `TimestepEmbedding` after `Timesteps`: a sinusoid of the first width, then
    /// linear_1 (-> D), SiLU, linear_2 (D -> D).
    public final class TimeEmbedding: Module {
        public let linear_1: Linear
        public let linear_2: Linear

        init(inputs: Int, width: Int, random: inout RandomStream) throws {
            linear_1 = try Linear(inputs: inputs, outputs: width, random: &random)
            linear_2 = try Linear(inputs: width, outputs: width, random: &random)
        }

        /// timesteps [N] -> [N, D].
        func callAsFunction(_ timesteps: Tensor, flipSinToCos: Bool, shift: Double) throws -> Variable {
            let sinusoid = try Tensor.sinusoidalEmbedding(
                timesteps: timesteps, dimension: linear_1.weight.shape[1], flipSinToCos: flipSinToCos, downscaleFrequencyShift: shift)
            return try linear_2(linear_1(Variable(sinusoid)).silu())
        }
    }

    /// diffusers' `ResnetBlock2D` with time_embedding_norm "default" (MONAI's `ResnetBlock`, and
    /// without a time embedding its `AEKLResBlock`):
    ///
    ///     h = conv1(SiLU(norm1(x))) + time_emb_proj(SiLU(emb))[:, :, None, None]    (no emb: no sum)
    ///     h = conv2(dropout(SiLU(norm2(h))))
    ///     y = (conv_shortcut(x) + h) / outputScale        conv_shortcut: 1x1 when the width changes
    public final class ResnetBlock: Module {
        public let norm1: GroupNorm
        public let conv1: Conv2d
        /// nil in an autoencoder, which has no timestep.
        public let time_emb_proj: Linear?
        public let norm2: GroupNorm
        public let dropout: Dropout
        public let conv2: Conv2d
        public let conv_shortcut: Conv2d?
        let outputScale: Float

        init(inputs: Int, outputs: Int, timeEmbeddingWidth: Int?, groups: Int, epsilon: Float, dropout: Float = 0,
             outputScale: Float = 1, random: inout RandomStream) throws {
            norm1 = try GroupNorm(groups: groups, channels: inputs, epsilon: epsilon)
            conv1 = try Conv2d(inputChannels: inputs, outputChannels: outputs, kernelSize: 3, padding: 1, random: &random)
            time_emb_proj = try timeEmbeddingWidth.map { try Linear(inputs: $0, outputs: outputs, random: &random) }
            norm2 = try GroupNorm(groups: groups, channels: outputs, epsilon: epsilon)
            self.dropout = try Dropout(probability: dropout)
            conv2 = try Conv2d(inputChannels: outputs, outputChannels: outputs, kernelSize: 3, padding: 1, random: &random)
            conv_shortcut = inputs == outputs
                ? nil : try Conv2d(inputChannels: inputs, outputChannels: outputs, kernelSize: 1, random: &random)
            self.outputScale = outputScale
        }

        func callAsFunction(_ x: Variable, embedding: Variable?, random: inout RandomStream) throws -> Variable {
            var h = try conv1(norm1.silu(x))
            if let time_emb_proj, let embedding {
                let shift = try time_emb_proj(embedding.silu())
                h = try h + shift.reshaped([shift.shape[0], shift.shape[1], 1, 1])
            }
            h = try conv2(dropout(norm2.silu(h), random: &random))
            let sum = try (conv_shortcut.map { try $0(x) } ?? x) + h
            return outputScale == 1 ? sum : sum / outputScale
        }

        /// Without a time embedding or active dropout: an autoencoder's block.
        func callAsFunction(_ x: Variable) throws -> Variable {
            var unused = RandomStream(seed: 0)
            return try self(x, embedding: nil, random: &unused)
        }
    }

    /// diffusers' `Attention` as the UNet's blocks build it (a residual connection, GroupNorm
    /// first, biased projections):
    ///
    ///     tokens = group_norm(x) as [N, H*W, C]
    ///     y = x + to_out.0(softmax(Q K^T / sqrt(d)) V) as [N, C, H, W]      Q, K, V: to_q, to_k, to_v
    ///
    /// with heads of d = `headChannels` channels; the sum is divided by `outputScale`.
    public final class AttentionBlock: Module {
        public let group_norm: GroupNorm
        public let to_q: Linear
        public let to_k: Linear
        public let to_v: Linear
        /// One Linear: diffusers' `to_out` is [Linear, Dropout].
        public let to_out: [Linear]
        let heads: Int
        let outputScale: Float

        init(channels: Int, headChannels: Int, groups: Int, epsilon: Float, outputScale: Float, random: inout RandomStream) throws {
            group_norm = try GroupNorm(groups: groups, channels: channels, epsilon: epsilon)
            to_q = try Linear(inputs: channels, outputs: channels, random: &random)
            to_k = try Linear(inputs: channels, outputs: channels, random: &random)
            to_v = try Linear(inputs: channels, outputs: channels, random: &random)
            to_out = [try Linear(inputs: channels, outputs: channels, random: &random)]
            heads = channels / headChannels
            self.outputScale = outputScale
        }

        func callAsFunction(_ x: Variable) throws -> Variable {
            try OperationProfile.scope("attention") {
                let (n, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
                let (positions, d) = (height * width, channels / heads)
                let tokens = try group_norm(x).reshaped([n, channels, positions]).permuted([0, 2, 1]).reshaped([n * positions, channels])
                func splitHeads(_ projected: Variable) throws -> Variable {
                    try projected.reshaped([n, positions, heads, d]).permuted([0, 2, 1, 3]).reshaped([n * heads, positions, d])
                }
                let attended = try Variable.scaledDotProductAttention(
                    query: splitHeads(to_q(tokens)), key: splitHeads(to_k(tokens)), value: splitHeads(to_v(tokens)))
                let merged = try attended.reshaped([n, heads, positions, d]).permuted([0, 2, 1, 3]).reshaped([n * positions, channels])
                let output = try to_out[0](merged).reshaped([n, positions, channels]).permuted([0, 2, 1])
                    .reshaped([n, channels, height, width])
                let sum = try output + x
                return outputScale == 1 ? sum : sum / outputScale
            }
        }
    }

    /// diffusers' `Downsample2D` with a convolution: 3x3 stride 2, padding 1; or padding 0
    /// after one zero row and column at the bottom and right (`downsample_padding` 0).
    public final class Downsample: Module {
        public let conv: Conv2d
        let padsAfter: Bool

        init(channels: Int, padding: Int, random: inout RandomStream) throws {
            conv = try Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: 2,
                              padding: Size2D(padding), random: &random)
            padsAfter = padding == 0
        }

        func callAsFunction(_ x: Variable) throws -> Variable {
            try conv(padsAfter ? x.padded([(0, 0), (0, 0), (0, 1), (0, 1)]) : x)
        }
    }

    /// diffusers' `Upsample2D` with a convolution: nearest x2, then 3x3.
    public final class Upsample: Module {
        public let conv: Conv2d

        init(channels: Int, random: inout RandomStream) throws {
            conv = try Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, random: &random)
        }

        func callAsFunction(_ x: Variable) throws -> Variable {
            try conv(x.upsampleNearest(scale: 2))
        }
    }

    /// `DownBlock2D` (no attentions) or `AttnDownBlock2D`: resnets, each followed by its
    /// attention, then the downsampler (none at the last level).
    public final class DownBlock: Module {
        public let resnets: [ResnetBlock]
        public let attentions: [AttentionBlock]
        public let downsamplers: [Downsample]

        init(resnets: [ResnetBlock], attentions: [AttentionBlock], downsamplers: [Downsample]) {
            self.resnets = resnets
            self.attentions = attentions
            self.downsamplers = downsamplers
        }
    }

    /// `UNetMidBlock2D`: resnets[0], attentions[0] (unless `add_attention` is false), resnets[1].
    public final class MiddleBlock: Module {
        public let resnets: [ResnetBlock]
        public let attentions: [AttentionBlock]

        init(resnets: [ResnetBlock], attentions: [AttentionBlock]) {
            self.resnets = resnets
            self.attentions = attentions
        }
    }

    /// `UpBlock2D` or `AttnUpBlock2D`: resnets that each take a skip first, each followed by its
    /// attention, then the upsampler (none at the first level).
    public final class UpBlock: Module {
        public let resnets: [ResnetBlock]
        public let attentions: [AttentionBlock]
        public let upsamplers: [Upsample]

        init(resnets: [ResnetBlock], attentions: [AttentionBlock], upsamplers: [Upsample]) {
            self.resnets = resnets
            self.attentions = attentions
            self.upsamplers = upsamplers
        }
    }
}
