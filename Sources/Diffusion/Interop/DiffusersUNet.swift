import Engine

/// The denoising UNet of diffusers (`UNet2DModel`, with `DownBlock2D`, `AttnDownBlock2D`,
/// `UNetMidBlock2D`, `UpBlock2D` and `AttnUpBlock2D`), which is also MONAI's
/// `DiffusionModelUNet` in 2-D under other parameter names (`MONAIKeys`). It differs from
/// medsynth's own `UNet` in four ways: attention may follow every block of any level, the
/// lowest resolution has a middle block (resnet, attention, resnet), every block's output is a
/// skip (so each up level has one block more than its down level), and the time embedding is
/// four times the first width.
///
/// With widths w_0..w_{L-1}, B_l blocks at level l, and D the time embedding's width:
///
///     emb   = linear_2(SiLU(linear_1(sinusoid(t))))        sinusoid of width w_0; w_0 -> D -> D
///     h     = conv_in(x); skips = [h]                       3x3, C_in -> w_0
///     down:  for each level l, B_l times: h = resnet(h, emb), then attention(h) at attention
///            levels; skips += [h]. Below the last level: h = downsample(h), skips += [h]
///     mid:   h = resnet(h); h = attention(h); h = resnet(h)
///     up:    for each level from the lowest, B_l + 1 times: h = resnet(concat(h, skips.pop()), emb),
///            then attention(h) at attention levels. Above the first level: h = conv(nearest_x2(h))
///     y     = conv_out(SiLU(conv_norm_out(h)))             3x3, w_0 -> C_out
///
/// Properties are named as diffusers names its modules (`conv_in`, `down_blocks`,
/// `time_emb_proj`, `to_q`...), against Swift's usual spelling, because a module's property
/// names are its parameters' paths: `down_blocks.1.attentions.0.to_q.weight` here is the same
/// tensor as in a diffusers state dict, so weights move in and out without a renaming table.
public final class DiffusersUNet: Module {
    public let configuration: Configuration
    public let time_embedding: TimeEmbedding
    public let conv_in: Conv2d
    public let down_blocks: [DownBlock]
    public let mid_block: MiddleBlock?
    public let up_blocks: [UpBlock]
    public let conv_norm_out: GroupNorm
    public let conv_out: Conv2d

    /// A network with PyTorch's default initialisation drawn from `random`, layer by layer in
    /// the order above.
    public init(_ configuration: Configuration, random: inout RandomStream) throws {
        try configuration.validate()
        try ModelSize.checkBudget(parameters: configuration.parameterCount, model: "UNet2DModel with widths \(configuration.widths)")
        self.configuration = configuration
        let c = configuration
        let levels = c.widths.count
        time_embedding = try TimeEmbedding(inputs: c.widths[0], width: c.timeEmbeddingWidth, random: &random)
        conv_in = try Conv2d(inputChannels: c.inputChannels, outputChannels: c.widths[0], kernelSize: 3, padding: 1, random: &random)
        func resnet(_ inputs: Int, _ outputs: Int, scale: Float = 1, random: inout RandomStream) throws -> ResnetBlock {
            try ResnetBlock(inputs: inputs, outputs: outputs, timeEmbeddingWidth: c.timeEmbeddingWidth, groups: c.groups,
                            epsilon: c.epsilon, dropout: c.dropout, outputScale: scale, random: &random)
        }
        func attention(_ level: Int, scale: Float = 1, random: inout RandomStream) throws -> AttentionBlock {
            try AttentionBlock(channels: c.widths[level], headChannels: c.headChannels[level], groups: c.groups,
                               epsilon: c.epsilon, outputScale: scale, random: &random)
        }
        var width = c.widths[0]
        var down: [DownBlock] = []
        for level in 0..<levels {
            var resnets: [ResnetBlock] = [], attentions: [AttentionBlock] = []
            for _ in 0..<c.blocksPerLevel[level] {
                resnets.append(try resnet(width, c.widths[level], random: &random))
                width = c.widths[level]
                if c.attentionLevels[level] { attentions.append(try attention(level, random: &random)) }
            }
            let downsamplers = level < levels - 1
                ? [try Downsample(channels: width, padding: c.downsamplePadding, random: &random)] : []
            down.append(DownBlock(resnets: resnets, attentions: attentions, downsamplers: downsamplers))
        }
        down_blocks = down
        if c.hasMiddleBlock {
            let first = try resnet(width, width, scale: c.middleScale, random: &random)
            let attentions = c.middleAttention ? [try attention(levels - 1, scale: c.middleScale, random: &random)] : []
            mid_block = MiddleBlock(resnets: [first, try resnet(width, width, scale: c.middleScale, random: &random)], attentions: attentions)
        } else {
            mid_block = nil
        }
        var up: [UpBlock] = []
        for level in (0..<levels).reversed() {
            let skipWidth = c.widths[max(level - 1, 0)]
            let blocks = c.blocksPerLevel[level] + 1
            var resnets: [ResnetBlock] = [], attentions: [AttentionBlock] = []
            for block in 0..<blocks {
                let skip = block == blocks - 1 ? skipWidth : c.widths[level]
                resnets.append(try resnet(width + skip, c.widths[level], random: &random))
                width = c.widths[level]
                if c.attentionLevels[level] { attentions.append(try attention(level, random: &random)) }
            }
            let upsamplers = level > 0 ? [try Upsample(channels: width, random: &random)] : []
            up.append(UpBlock(resnets: resnets, attentions: attentions, upsamplers: upsamplers))
        }
        up_blocks = up
        conv_norm_out = try GroupNorm(groups: c.groups, channels: width, epsilon: c.epsilon)
        conv_out = try Conv2d(inputChannels: width, outputChannels: c.outputChannels, kernelSize: 3, padding: 1, random: &random)
    }

    /// x: [N, C_in, H, W], timesteps: N values -> [N, C_out, H, W]. `random` feeds the dropout
    /// layers, in block order; it is not advanced in evaluation mode or with dropout 0.
    public func callAsFunction(_ x: Variable, timesteps: Tensor, random: inout RandomStream) throws -> Variable {
        try checkInput(x.shape, timesteps: timesteps.shape)
        let embedding = try time_embedding(timesteps, flipSinToCos: configuration.flipSinToCos, shift: configuration.frequencyShift)
        var h = try conv_in(configuration.centersInput ? x * 2 - 1 : x)
        var skips = [h]
        for block in down_blocks {
            for (index, resnet) in block.resnets.enumerated() {
                h = try resnet(h, embedding: embedding, random: &random)
                if !block.attentions.isEmpty { h = try block.attentions[index](h) }
                skips.append(h)
            }
            for downsampler in block.downsamplers {
                h = try downsampler(h)
                skips.append(h)
            }
        }
        if let mid_block {
            h = try mid_block.resnets[0](h, embedding: embedding, random: &random)
            for attention in mid_block.attentions { h = try attention(h) }
            h = try mid_block.resnets[1](h, embedding: embedding, random: &random)
        }
        for block in up_blocks {
            for (index, resnet) in block.resnets.enumerated() {
                h = try resnet(Variable.concat([h, skips.removeLast()], axis: 1), embedding: embedding, random: &random)
                if !block.attentions.isEmpty { h = try block.attentions[index](h) }
            }
            for upsampler in block.upsamplers { h = try upsampler(h) }
        }
        return try conv_out(conv_norm_out.silu(h))
    }

    /// Throws unless dropout is inactive, for the callers that give no random stream.
    public func requireNoActiveDropout() throws {
        guard configuration.dropout == 0 || !isTraining else {
            throw ModuleError("UNet2DModel: dropout \(configuration.dropout) in training mode needs a random stream: "
                + "call it with random:, or switch to evaluation with setTraining(false)")
        }
    }

    /// Throws, naming what is wrong, unless `shape` is [N, C_in, H, W] with H and W multiples of
    /// 2^(L-1) and the timesteps are [N].
    func checkInput(_ shape: [Int], timesteps: [Int]) throws {
        let c = configuration
        guard shape.count == 4, shape[1] == c.inputChannels else {
            throw ModuleError("UNet2DModel: needs an input [N, \(c.inputChannels), H, W], got \(describeShape(shape))")
        }
        let multiple = c.sizeMultiple
        guard shape[2] > 0, shape[3] > 0, shape[2] % multiple == 0, shape[3] % multiple == 0 else {
            throw ModuleError("UNet2DModel: the input's height and width must be positive multiples of \(multiple) "
                + "(\(c.widths.count) levels halve it \(c.widths.count - 1) times), got \(shape[2])x\(shape[3])")
        }
        guard timesteps == [shape[0]] else {
            throw ModuleError("UNet2DModel: needs one timestep per sample, \(shape[0]), got timesteps of shape \(describeShape(timesteps))")
        }
    }
}
