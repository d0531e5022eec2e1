import Engine

/// The layout of the KL autoencoder that diffusers calls `AutoencoderKL` (LDM's first stage,
/// Stable Diffusion's VAE) and MONAI calls `AutoencoderKL` (MONAI Generative's): resnet blocks
/// per level, stride-2 downsampling, a middle block of resnet, attention and resnet at the
/// lowest resolution, and 1x1 convolutions around the latent. The two libraries differ in a few
/// places, each a member here: MONAI has no SiLU before the last convolutions, computes the mean
/// and the log-variance with two convolutions instead of one, puts attention in levels, and
/// decodes with as many blocks per level as it encodes (diffusers: one more).
///
/// The encoder's output is the posterior's [mean | log-variance], as `DiagonalGaussian` reads it,
/// so that a model of this layout is an `Autoencoder` with the KL regulariser like any other.
public struct AutoencoderKLLayout: Sendable, Equatable {
    /// What lies at the lowest resolution between the levels and the last convolutions.
    public enum Middle: String, Sendable, Equatable {
        /// Nothing (MONAI without non-local attention).
        case none
        /// resnet, resnet (diffusers' `mid_block_add_attention` false).
        case resnets
        /// resnet, attention, resnet.
        case attention
    }

    /// How the encoder's features become the posterior's mean and log-variance.
    public enum Moments: String, Sendable, Equatable {
        /// The last convolution gives 2 latent channels, then a 1x1 `quant_conv` (diffusers).
        case quantConv
        /// The last convolution gives 2 latent channels, used as they are (`use_quant_conv` false).
        case direct
        /// The last convolution gives latent channels, then `quant_conv_mu` and
        /// `quant_conv_log_sigma` (MONAI; the latter gives the log-variance).
        case separate
    }

    public var imageChannels: Int
    public var latentChannels: Int
    /// The width of each level, finest first (`block_out_channels`, MONAI's `channels`).
    public var widths: [Int]
    /// Resnet blocks per level in the encoder, and in the decoder (indexed by level too).
    public var encoderBlocks: [Int]
    public var decoderBlocks: [Int]
    /// Whether each level's resnets are each followed by self-attention (MONAI).
    public var attentionLevels: [Bool]
    public var encoderMiddle: Middle
    public var decoderMiddle: Middle
    public var groups: Int
    public var epsilon: Float
    /// SiLU between the last GroupNorm and the last convolution of encoder and decoder (diffusers).
    public var activatesOutput: Bool
    public var moments: Moments
    /// A 1x1 convolution on the latent before decoding.
    public var postQuantConv: Bool
    /// The image size it was made for (diffusers' `sample_size`): kept, not used.
    public var sampleSize: Int?

    public init(
        imageChannels: Int, latentChannels: Int, widths: [Int], encoderBlocks: [Int], decoderBlocks: [Int],
        attentionLevels: [Bool], encoderMiddle: Middle = .attention, decoderMiddle: Middle = .attention, groups: Int,
        epsilon: Float = 1e-6, activatesOutput: Bool = true, moments: Moments = .quantConv, postQuantConv: Bool = true,
        sampleSize: Int? = nil
    ) {
        self.imageChannels = imageChannels
        self.latentChannels = latentChannels
        self.widths = widths
        self.encoderBlocks = encoderBlocks
        self.decoderBlocks = decoderBlocks
        self.attentionLevels = attentionLevels
        self.encoderMiddle = encoderMiddle
        self.decoderMiddle = decoderMiddle
        self.groups = groups
        self.epsilon = epsilon
        self.activatesOutput = activatesOutput
        self.moments = moments
        self.postQuantConv = postQuantConv
        self.sampleSize = sampleSize
    }

    /// How much smaller each side of the latent is: 2^(levels - 1).
    public var downsamplingFactor: Int { 1 << max(0, widths.count - 1) }

    func validate() throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw ModuleError("AutoencoderKL: \(message)") }
        }
        let levels = widths.count
        try require(imageChannels > 0 && latentChannels > 0 && imageChannels <= 4096 && latentChannels <= 4096,
                    "needs positive channel counts, got \(imageChannels) image and \(latentChannels) latent channels")
        try require((1...8).contains(levels) && widths.allSatisfy { (1...4096).contains($0) }, "needs 1 to 8 widths in 1...4096, got \(widths)")
        try require(encoderBlocks.count == levels && decoderBlocks.count == levels && attentionLevels.count == levels,
                    "needs a block count for encoder and decoder and an attention flag per level (\(levels) levels)")
        try require((encoderBlocks + decoderBlocks).allSatisfy { (1...8).contains($0) }, "needs 1 to 8 blocks per level")
        try require(groups > 0 && widths.allSatisfy { $0 % groups == 0 },
                    "every width must be a multiple of the \(groups) GroupNorm groups, got widths \(widths)")
        try require(epsilon > 0 && epsilon.isFinite, "the GroupNorm epsilon must be positive, got \(epsilon)")
    }

    /// The number of parameters, from the sizes alone, as the networks build their layers.
    public var parameterCount: Double {
        func resnet(_ i: Int, _ o: Int) -> Double {
            ModelSize.groupNorm(i) + ModelSize.conv(i, o, kernel: 3) + ModelSize.groupNorm(o) + ModelSize.conv(o, o, kernel: 3)
                + (i == o ? 0 : ModelSize.conv(i, o, kernel: 1))
        }
        func attention(_ w: Int) -> Double { ModelSize.groupNorm(w) + 4 * ModelSize.linear(w, w) }
        func middle(_ kind: Middle, _ w: Int) -> Double {
            kind == .none ? 0 : 2 * resnet(w, w) + (kind == .attention ? attention(w) : 0)
        }
        let (levels, last, l) = (widths.count, widths.last ?? 0, latentChannels)
        var count = ModelSize.conv(imageChannels, widths[0], kernel: 3)
        var width = widths[0]
        for level in 0..<levels {
            for _ in 0..<encoderBlocks[level] {
                count += resnet(width, widths[level]) + (attentionLevels[level] ? attention(widths[level]) : 0)
                width = widths[level]
            }
            if level < levels - 1 { count += ModelSize.conv(width, width, kernel: 3) }
        }
        count += middle(encoderMiddle, last) + ModelSize.groupNorm(last)
        switch moments {
        case .quantConv: count += ModelSize.conv(last, 2 * l, kernel: 3) + ModelSize.conv(2 * l, 2 * l, kernel: 1)
        case .direct: count += ModelSize.conv(last, 2 * l, kernel: 3)
        case .separate: count += ModelSize.conv(last, l, kernel: 3) + 2 * ModelSize.conv(l, l, kernel: 1)
        }
        count += (postQuantConv ? ModelSize.conv(l, l, kernel: 1) : 0) + ModelSize.conv(l, last, kernel: 3) + middle(decoderMiddle, last)
        width = last
        for level in (0..<levels).reversed() {
            for _ in 0..<decoderBlocks[level] {
                count += resnet(width, widths[level]) + (attentionLevels[level] ? attention(widths[level]) : 0)
                width = widths[level]
            }
            if level > 0 { count += ModelSize.conv(width, width, kernel: 3) }
        }
        return count + ModelSize.groupNorm(width) + ModelSize.conv(width, imageChannels, kernel: 3)
    }
}

extension AutoencoderKLLayout {
    /// The resnets of one level of the encoder or decoder, `blocks` of them from `width` (which
    /// becomes the level's width), each followed by its attention at an attention level.
    func level(
        _ level: Int, blocks: Int, from width: inout Int, random: inout RandomStream
    ) throws -> (resnets: [DiffusersUNet.ResnetBlock], attentions: [DiffusersUNet.AttentionBlock]) {
        var resnets: [DiffusersUNet.ResnetBlock] = [], attentions: [DiffusersUNet.AttentionBlock] = []
        for _ in 0..<blocks {
            resnets.append(try DiffusersUNet.ResnetBlock(inputs: width, outputs: widths[level], timeEmbeddingWidth: nil,
                                                         groups: groups, epsilon: epsilon, random: &random))
            width = widths[level]
            if attentionLevels[level] {
                attentions.append(try DiffusersUNet.AttentionBlock(channels: width, headChannels: width, groups: groups,
                                                                   epsilon: epsilon, outputScale: 1, random: &random))
            }
        }
        return (resnets, attentions)
    }

    /// A level's resnets applied in order, each followed by its attention when the level has them.
    static func apply(_ resnets: [DiffusersUNet.ResnetBlock], _ attentions: [DiffusersUNet.AttentionBlock], to x: Variable) throws -> Variable {
        var h = x
        for (index, resnet) in resnets.enumerated() {
            h = try resnet(h)
            if !attentions.isEmpty { h = try attentions[index](h) }
        }
        return h
    }
}

extension DiffusersUNet.MiddleBlock {
    /// The middle block of an AutoencoderKL half: `resnets` 0 and 1 with `attentions` 0 between
    /// (one head as wide as the block), or nil for none.
    convenience init?(_ kind: AutoencoderKLLayout.Middle, width: Int, groups: Int, epsilon: Float, random: inout RandomStream) throws {
        guard kind != .none else { return nil }
        let first = try DiffusersUNet.ResnetBlock(inputs: width, outputs: width, timeEmbeddingWidth: nil, groups: groups, epsilon: epsilon, random: &random)
        let attentions = kind == .attention
            ? [try DiffusersUNet.AttentionBlock(channels: width, headChannels: width, groups: groups, epsilon: epsilon, outputScale: 1, random: &random)] : []
        let second = try DiffusersUNet.ResnetBlock(inputs: width, outputs: width, timeEmbeddingWidth: nil, groups: groups, epsilon: epsilon, random: &random)
        self.init(resnets: [first, second], attentions: attentions)
    }

    func callAsFunction(_ x: Variable) throws -> Variable {
        var h = try resnets[0](x)
        for attention in attentions { h = try attention(h) }
        return try resnets[1](h)
    }
}

/// The encoder of `AutoencoderKLLayout`, with diffusers' names (`conv_in`, `down_blocks`,
/// `mid_block`, `conv_norm_out`, `conv_out`) and, inside it, the convolutions that make the
/// moments (diffusers keeps its `quant_conv` beside the encoder: `ModelExchange` moves it).
public final class AutoencoderKLEncoder: Module, AutoencoderHalf {
    public let layout: AutoencoderKLLayout
    public let conv_in: Conv2d
    public let down_blocks: [DiffusersUNet.DownBlock]
    public let mid_block: DiffusersUNet.MiddleBlock?
    public let conv_norm_out: GroupNorm
    public let conv_out: Conv2d
    public let quant_conv: Conv2d?
    public let quant_conv_mu: Conv2d?
    public let quant_conv_log_sigma: Conv2d?

    init(_ c: AutoencoderKLLayout, random: inout RandomStream) throws {
        layout = c
        let levels = c.widths.count
        conv_in = try Conv2d(inputChannels: c.imageChannels, outputChannels: c.widths[0], kernelSize: 3, padding: 1, random: &random)
        var width = c.widths[0]
        var blocks: [DiffusersUNet.DownBlock] = []
        for level in 0..<levels {
            let (resnets, attentions) = try c.level(level, blocks: c.encoderBlocks[level], from: &width, random: &random)
            let downsamplers = level < levels - 1 ? [try DiffusersUNet.Downsample(channels: width, padding: 0, random: &random)] : []
            blocks.append(DiffusersUNet.DownBlock(resnets: resnets, attentions: attentions, downsamplers: downsamplers))
        }
        down_blocks = blocks
        mid_block = try DiffusersUNet.MiddleBlock(c.encoderMiddle, width: width, groups: c.groups, epsilon: c.epsilon, random: &random)
        conv_norm_out = try GroupNorm(groups: c.groups, channels: width, epsilon: c.epsilon)
        let l = c.latentChannels
        conv_out = try Conv2d(inputChannels: width, outputChannels: c.moments == .separate ? l : 2 * l, kernelSize: 3, padding: 1, random: &random)
        quant_conv = c.moments == .quantConv ? try Conv2d(inputChannels: 2 * l, outputChannels: 2 * l, kernelSize: 1, random: &random) : nil
        quant_conv_mu = c.moments == .separate ? try Conv2d(inputChannels: l, outputChannels: l, kernelSize: 1, random: &random) : nil
        quant_conv_log_sigma = c.moments == .separate ? try Conv2d(inputChannels: l, outputChannels: l, kernelSize: 1, random: &random) : nil
    }

    /// images [N, C, H, W] -> [N, 2 latent, H / f, W / f]: the posterior's mean, then its log-variance.
    public func callAsFunction(_ images: Variable) throws -> Variable {
        let f = layout.downsamplingFactor
        guard images.shape.count == 4, images.shape[1] == layout.imageChannels, images.shape[2] % f == 0, images.shape[3] % f == 0,
              images.shape[2] > 0, images.shape[3] > 0 else {
            throw TensorError("AutoencoderKL.encode", "needs images [N, \(layout.imageChannels), H, W] with H and W multiples of \(f), "
                + "got \(describeShape(images.shape))")
        }
        var h = try conv_in(images)
        for block in down_blocks {
            h = try AutoencoderKLLayout.apply(block.resnets, block.attentions, to: h)
            for downsampler in block.downsamplers { h = try downsampler(h) }
        }
        if let mid_block { h = try mid_block(h) }
        h = try conv_out(layout.activatesOutput ? conv_norm_out.silu(h) : conv_norm_out(h))
        if let quant_conv { return try quant_conv(h) }
        if let quant_conv_mu, let quant_conv_log_sigma {
            return try Variable.concat([quant_conv_mu(h), quant_conv_log_sigma(h)], axis: 1)
        }
        return h
    }
}

/// The decoder of `AutoencoderKLLayout`, with diffusers' names, and the `post_quant_conv` that
/// diffusers keeps beside it.
public final class AutoencoderKLDecoder: Module, AutoencoderHalf {
    public let layout: AutoencoderKLLayout
    public let post_quant_conv: Conv2d?
    public let conv_in: Conv2d
    public let mid_block: DiffusersUNet.MiddleBlock?
    /// Lowest level first, as diffusers orders them.
    public let up_blocks: [DiffusersUNet.UpBlock]
    public let conv_norm_out: GroupNorm
    public let conv_out: Conv2d

    init(_ c: AutoencoderKLLayout, random: inout RandomStream) throws {
        layout = c
        let (l, last) = (c.latentChannels, c.widths.last!)
        post_quant_conv = c.postQuantConv ? try Conv2d(inputChannels: l, outputChannels: l, kernelSize: 1, random: &random) : nil
        conv_in = try Conv2d(inputChannels: l, outputChannels: last, kernelSize: 3, padding: 1, random: &random)
        mid_block = try DiffusersUNet.MiddleBlock(c.decoderMiddle, width: last, groups: c.groups, epsilon: c.epsilon, random: &random)
        var width = last
        var blocks: [DiffusersUNet.UpBlock] = []
        for level in (0..<c.widths.count).reversed() {
            let (resnets, attentions) = try c.level(level, blocks: c.decoderBlocks[level], from: &width, random: &random)
            let upsamplers = level > 0 ? [try DiffusersUNet.Upsample(channels: width, random: &random)] : []
            blocks.append(DiffusersUNet.UpBlock(resnets: resnets, attentions: attentions, upsamplers: upsamplers))
        }
        up_blocks = blocks
        conv_norm_out = try GroupNorm(groups: c.groups, channels: width, epsilon: c.epsilon)
        conv_out = try Conv2d(inputChannels: width, outputChannels: c.imageChannels, kernelSize: 3, padding: 1, random: &random)
    }

    /// latents [N, latent, h, w] -> images [N, C, h f, w f].
    public func callAsFunction(_ latents: Variable) throws -> Variable {
        guard latents.shape.count == 4, latents.shape[1] == layout.latentChannels else {
            throw TensorError("AutoencoderKL.decode", "needs latents [N, \(layout.latentChannels), h, w], got \(describeShape(latents.shape))")
        }
        var h = try conv_in(post_quant_conv.map { try $0(latents) } ?? latents)
        if let mid_block { h = try mid_block(h) }
        for block in up_blocks {
            h = try AutoencoderKLLayout.apply(block.resnets, block.attentions, to: h)
            for upsampler in block.upsamplers { h = try upsampler(h) }
        }
        return try conv_out(layout.activatesOutput ? conv_norm_out.silu(h) : conv_norm_out(h))
    }
}
