import Engine

/// The denoising UNet of the second stage (Ronneberger et al., "U-Net", 2015, as used for
/// diffusion by Ho et al., "Denoising Diffusion Probabilistic Models", 2020): it maps a noisy
/// latent x_t (with any conditions concatenated on its channels) and the timestep t to the
/// network's prediction (epsilon, x_0 or v: the caller's parameterisation), same height and width.
///
/// Layer by layer the same as `UNet` in benchmarks/torch_models.py, with widths w_0..w_{L-1}:
///
///     emb  = timeEmbedding(t)                              sinusoidal -> Linear -> SiLU -> Linear
///     h    = inputConv(x)                                  3x3, C_in -> w_0
///     down: for level l: h = down[l][b](h, emb) for each block b;
///           if l < L-1: skip_l = h, h = downsample[l](h)   3x3 stride 2, same width, size / 2
///     h    = attention(h)                                  at size / 2^(L-1)
///     up:   for level l = L-2 down to 0 (up[i] with i = L-2-l):
///           h = upsample[i](nearest_x2(h))                 3x3, same width
///           h = concat(h, skip_l)                          channels: width + w_l
///           h = up[i][b](h, emb) for each block b          -> w_l
///     y    = outputConv(SiLU(outputNorm(h)))               3x3, w_0 -> C_out
///
/// Inputs must have a height and width divisible by 2^(L-1), so that every skip meets an
/// upsampled map of its own size. With the default configuration (9 -> 4 channels, widths 32,
/// 64, 128) it has 1,404,804 parameters, the benchmark model of docs/architecture.md.
///
/// Parameter paths follow the structure: `down.0.1.conv1.weight` is the first convolution of
/// the second block of the first level, `attention.selfAttention.query.weight` the query
/// projection, `up.0.0.skip.weight` the 1x1 skip of the first block after the first upsampling.
public final class UNet: Module {
    /// The sizes of a UNet.
    public struct Configuration: Sendable, Equatable {
        /// Channels of the input (latent plus encoded conditions).
        public var inputChannels: Int
        /// Channels of the prediction (the latent's).
        public var outputChannels: Int
        /// The width of each level, finest first; the input is halved between levels.
        public var widths: [Int]
        /// Residual blocks per level, on the way down and again on the way up.
        public var blocksPerLevel: Int
        /// Heads of the self-attention at the lowest resolution; they split the last width.
        public var attentionHeads: Int
        /// GroupNorm groups; they must divide every width.
        public var groups: Int
        /// The width D of the timestep embedding.
        public var timeEmbeddingWidth: Int
        /// The dropout probability inside every residual block.
        public var dropout: Float

        /// Defaults are the benchmark UNet (docs/architecture.md, "The benchmark models").
        public init(
            inputChannels: Int = 9, outputChannels: Int = 4, widths: [Int] = [32, 64, 128], blocksPerLevel: Int = 2,
            attentionHeads: Int = 4, groups: Int = 8, timeEmbeddingWidth: Int = 128, dropout: Float = 0
        ) {
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.widths = widths
            self.blocksPerLevel = blocksPerLevel
            self.attentionHeads = attentionHeads
            self.groups = groups
            self.timeEmbeddingWidth = timeEmbeddingWidth
            self.dropout = dropout
        }

        /// The factor 2^(L-1) that input heights and widths must be multiples of.
        public var sizeMultiple: Int { 1 << (widths.count - 1) }

        func validate() throws {
            func require(_ condition: Bool, _ message: String) throws {
                if !condition { throw ModuleError("UNet: \(message)") }
            }
            try require(inputChannels > 0 && outputChannels > 0,
                        "needs positive channel counts, got \(inputChannels) in and \(outputChannels) out")
            try require(!widths.isEmpty && widths.allSatisfy { $0 > 0 }, "needs at least one positive width, got \(widths)")
            try require(widths.count <= 16, "\(widths.count) levels is more than the 16 supported")
            try require(blocksPerLevel > 0, "needs at least one residual block per level, got \(blocksPerLevel)")
            try require(groups > 0 && widths.allSatisfy { $0 % groups == 0 },
                        "every width must be a multiple of the \(groups) GroupNorm groups, got widths \(widths)")
            try require(attentionHeads > 0 && widths.last! % attentionHeads == 0,
                        "the last width \(widths.last!) cannot be split among \(attentionHeads) attention heads")
            try require(dropout >= 0 && dropout <= 1, "the dropout probability must be in [0, 1], got \(dropout)")
        }
    }

    /// The sizes this UNet was built with.
    public let configuration: Configuration
    public let timeEmbedding: TimeEmbedding
    public let inputConv: Conv2d
    /// down[level][block].
    public let down: [[ResidualBlock]]
    /// One stride-2 convolution after every level but the last.
    public let downsample: [Conv2d]
    public let attention: AttentionBlock
    /// One 3x3 convolution after each nearest x2 upsampling, coarsest first.
    public let upsample: [Conv2d]
    /// up[i][block], i = 0 for the second-coarsest level.
    public let up: [[ResidualBlock]]
    public let outputNorm: GroupNorm
    public let outputConv: Conv2d

    /// A UNet with PyTorch's default initialisation drawn from `random`, in the order the
    /// layers are listed above.
    public init(_ configuration: Configuration = Configuration(), random: inout RandomStream) throws {
        try configuration.validate()
        try ModelSize.checkBudget(parameters: configuration.parameterCount, model: "UNet with widths \(configuration.widths)")
        self.configuration = configuration
        let c = configuration
        timeEmbedding = try TimeEmbedding(width: c.timeEmbeddingWidth, random: &random)
        inputConv = try Conv2d(inputChannels: c.inputChannels, outputChannels: c.widths[0], kernelSize: 3, padding: 1, random: &random)
        func block(_ inputs: Int, _ outputs: Int, random: inout RandomStream) throws -> ResidualBlock {
            try ResidualBlock(inputChannels: inputs, outputChannels: outputs, timeEmbeddingWidth: c.timeEmbeddingWidth,
                              groups: c.groups, dropout: c.dropout, random: &random)
        }
        var width = c.widths[0]
        var down: [[ResidualBlock]] = [], downsample: [Conv2d] = []
        for (level, levelWidth) in c.widths.enumerated() {
            var blocks: [ResidualBlock] = []
            for _ in 0..<c.blocksPerLevel {
                blocks.append(try block(width, levelWidth, random: &random))
                width = levelWidth
            }
            down.append(blocks)
            if level < c.widths.count - 1 {
                downsample.append(try Conv2d(inputChannels: width, outputChannels: width, kernelSize: 3, stride: 2, padding: 1, random: &random))
            }
        }
        attention = try AttentionBlock(channels: width, heads: c.attentionHeads, groups: c.groups, random: &random)
        var upsample: [Conv2d] = [], up: [[ResidualBlock]] = []
        for levelWidth in c.widths.dropLast().reversed() {
            upsample.append(try Conv2d(inputChannels: width, outputChannels: width, kernelSize: 3, padding: 1, random: &random))
            var blocks: [ResidualBlock] = []
            var inputs = width + levelWidth
            for _ in 0..<c.blocksPerLevel {
                blocks.append(try block(inputs, levelWidth, random: &random))
                inputs = levelWidth
            }
            up.append(blocks)
            width = levelWidth
        }
        self.down = down
        self.downsample = downsample
        self.upsample = upsample
        self.up = up
        outputNorm = try GroupNorm(groups: c.groups, channels: width)
        outputConv = try Conv2d(inputChannels: width, outputChannels: c.outputChannels, kernelSize: 3, padding: 1, random: &random)
    }

    /// x: [N, C_in, H, W], timesteps: N values -> [N, C_out, H, W]. `random` feeds the dropout
    /// layers, in block order; it is not advanced in evaluation mode or with dropout 0.
    public func callAsFunction(_ x: Variable, timesteps: Tensor, random: inout RandomStream) throws -> Variable {
        try checkInput(x.shape, timesteps: timesteps.shape)
        let embedding = try timeEmbedding(timesteps)
        var h = try inputConv(x)
        var skips: [Variable] = []
        for (level, blocks) in down.enumerated() {
            for block in blocks { h = try block(h, embedding: embedding, random: &random) }
            if level < downsample.count {
                skips.append(h)
                h = try downsample[level](h)
            }
        }
        h = try attention(h)
        for (convolution, blocks) in zip(upsample, up) {
            h = try convolution(h.upsampleNearest(scale: 2))
            h = try Variable.concat([h, skips.removeLast()], axis: 1)
            for block in blocks { h = try block(h, embedding: embedding, random: &random) }
        }
        return try outputConv(outputNorm.silu(h))
    }

    /// The bottleneck: the activations [N, C_L, H / 2^(L-1), W / 2^(L-1)] after the deepest
    /// level's blocks and the attention, where the network sees the whole image at once (no
    /// dropout: evaluation only).
    public func bottleneck(_ x: Variable, timesteps: [Int]) throws -> Variable {
        try requireNoActiveDropout()
        let times = Tensor(timesteps.map(Float.init))
        try checkInput(x.shape, timesteps: times.shape)
        let embedding = try timeEmbedding(times)
        var unused = RandomStream(seed: 0)
        var h = try inputConv(x)
        for (level, blocks) in down.enumerated() {
            for block in blocks { h = try block(h, embedding: embedding, random: &unused) }
            if level < downsample.count { h = try downsample[level](h) }
        }
        return try attention(h)
    }

    /// `callAsFunction(_:timesteps:)` with integer timesteps.
    public func callAsFunction(_ x: Variable, timesteps: [Int]) throws -> Variable {
        try self(x, timesteps: Tensor(timesteps.map(Float.init)))
    }

    /// `callAsFunction(_:timesteps:random:)` with integer timesteps.
    public func callAsFunction(_ x: Variable, timesteps: [Int], random: inout RandomStream) throws -> Variable {
        try self(x, timesteps: Tensor(timesteps.map(Float.init)), random: &random)
    }

    /// Throws unless dropout is inactive (probability 0, or evaluation mode), for the callers
    /// that give no random stream.
    public func requireNoActiveDropout() throws {
        guard configuration.dropout == 0 || !isTraining else {
            throw ModuleError("UNet: dropout \(configuration.dropout) in training mode needs a random stream: "
                + "call it with random:, or switch to evaluation with setTraining(false)")
        }
    }

    /// Throws, naming what is wrong, unless `shape` is [N, C_in, H, W] with H and W multiples of
    /// 2^(L-1) and the timesteps are [N].
    func checkInput(_ shape: [Int], timesteps: [Int]) throws {
        let c = configuration
        guard shape.count == 4, shape[1] == c.inputChannels else {
            throw ModuleError("UNet: needs an input [N, \(c.inputChannels), H, W], got \(describeShape(shape))")
        }
        let multiple = c.sizeMultiple
        guard shape[2] > 0, shape[3] > 0, shape[2] % multiple == 0, shape[3] % multiple == 0 else {
            throw ModuleError("UNet: the input's height and width must be positive multiples of \(multiple) "
                + "(\(c.widths.count) levels halve it \(c.widths.count - 1) times), got \(shape[2])x\(shape[3])")
        }
        guard timesteps == [shape[0]] else {
            throw ModuleError("UNet: needs one timestep per sample, \(shape[0]), got timesteps of shape \(describeShape(timesteps))")
        }
    }
}
