import Engine
import Formats

extension DiffusersUNet {
    /// The sizes and options of the UNet that diffusers calls `UNet2DModel` and MONAI
    /// `DiffusionModelUNet`, level by level. diffusers' `config.json` and MONAI's constructor
    /// arguments both come down to this (see `init(diffusers:)` and `init(monai:)`); the
    /// options neither library's 2-D medical models use (Fourier time embeddings, class
    /// embeddings, resnet up- and downsampling, scale-shift time conditioning, cross-attention)
    /// are refused by name rather than ignored.
    public struct Configuration: Sendable, Equatable {
        /// Channels of the input: the noisy sample, with any conditions concatenated after it.
        public var inputChannels: Int
        /// Channels of the prediction.
        public var outputChannels: Int
        /// The width of each level, finest first (`block_out_channels`, MONAI's `channels`).
        public var widths: [Int]
        /// Residual blocks per level on the way down; the way up has one more per level
        /// (`layers_per_block`, MONAI's `num_res_blocks`).
        public var blocksPerLevel: [Int]
        /// Whether each level's blocks are followed by self-attention (`AttnDownBlock2D`, MONAI's
        /// `attention_levels`).
        public var attentionLevels: [Bool]
        /// The channels of one attention head at each level: heads = width / this
        /// (`attention_head_dim`, MONAI's `num_head_channels`).
        public var headChannels: [Int]
        /// Whether the lowest resolution has resnet, attention, resnet (diffusers'
        /// `UNetMidBlock2D`; always so in MONAI) or nothing.
        public var hasMiddleBlock: Bool
        /// Whether the middle block has its attention (diffusers' `add_attention`).
        public var middleAttention: Bool
        /// The middle block's residual sums are divided by this (`mid_block_scale_factor`).
        public var middleScale: Float
        /// GroupNorm groups everywhere, and their epsilon (1e-5 in diffusers, 1e-6 in MONAI).
        public var groups: Int
        public var epsilon: Float
        /// Padding of the stride-2 downsampling convolutions: 1 on all sides, or 0 with the
        /// input first padded by one row and column at the bottom and right (diffusers'
        /// `downsample_padding`).
        public var downsamplePadding: Int
        /// The sinusoidal embedding: [cos | sin] when flipped, and the frequency shift s in
        /// exp(-ln(10000) i / (D/2 - s)).
        public var flipSinToCos: Bool
        public var frequencyShift: Double
        /// The width of the time embedding after its two linear layers (4 w_0 by default).
        public var timeEmbeddingWidth: Int
        /// The dropout probability inside every residual block.
        public var dropout: Float
        /// Whether the input is mapped from [0, 1] to [-1, 1] first (`center_input_sample`).
        public var centersInput: Bool
        /// The image size it was made for (diffusers' `sample_size`): kept, not used.
        public var sampleSize: Int?

        public init(
            inputChannels: Int, outputChannels: Int, widths: [Int], blocksPerLevel: [Int], attentionLevels: [Bool],
            headChannels: [Int], hasMiddleBlock: Bool = true, middleAttention: Bool = true, middleScale: Float = 1,
            groups: Int, epsilon: Float, downsamplePadding: Int = 1, flipSinToCos: Bool = true, frequencyShift: Double = 0,
            timeEmbeddingWidth: Int? = nil, dropout: Float = 0, centersInput: Bool = false, sampleSize: Int? = nil
        ) {
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.widths = widths
            self.blocksPerLevel = blocksPerLevel
            self.attentionLevels = attentionLevels
            self.headChannels = headChannels
            self.hasMiddleBlock = hasMiddleBlock
            self.middleAttention = middleAttention
            self.middleScale = middleScale
            self.groups = groups
            self.epsilon = epsilon
            self.downsamplePadding = downsamplePadding
            self.flipSinToCos = flipSinToCos
            self.frequencyShift = frequencyShift
            self.timeEmbeddingWidth = timeEmbeddingWidth ?? 4 * (widths.first ?? 0)
            self.dropout = dropout
            self.centersInput = centersInput
            self.sampleSize = sampleSize
        }

        /// The factor 2^(L-1) that input heights and widths must be multiples of.
        public var sizeMultiple: Int { 1 << max(0, widths.count - 1) }

        func validate() throws {
            func require(_ condition: Bool, _ message: String) throws {
                if !condition { throw ModuleError("UNet2DModel: \(message)") }
            }
            let levels = widths.count
            try require(inputChannels > 0 && outputChannels > 0,
                        "needs positive channel counts, got \(inputChannels) in and \(outputChannels) out")
            try require((1...8).contains(levels) && widths.allSatisfy { (1...4096).contains($0) },
                        "needs 1 to 8 widths in 1...4096, got \(widths)")
            try require(blocksPerLevel.count == levels && attentionLevels.count == levels && headChannels.count == levels,
                        "needs one block count, attention flag and head size per level (\(levels) levels), got "
                            + "\(blocksPerLevel.count), \(attentionLevels.count) and \(headChannels.count)")
            try require(blocksPerLevel.allSatisfy { (1...8).contains($0) }, "needs 1 to 8 residual blocks per level, got \(blocksPerLevel)")
            try require(groups > 0 && widths.allSatisfy { $0 % groups == 0 },
                        "every width must be a multiple of the \(groups) GroupNorm groups, got widths \(widths)")
            try require(epsilon > 0 && epsilon.isFinite, "the GroupNorm epsilon must be positive, got \(epsilon)")
            for level in 0..<levels where attentionLevels[level] || (level == levels - 1 && hasMiddleBlock && middleAttention) {
                try require(headChannels[level] > 0 && widths[level] % headChannels[level] == 0,
                            "level \(level)'s width \(widths[level]) cannot be split into heads of \(headChannels[level]) channels")
            }
            try require(downsamplePadding == 0 || downsamplePadding == 1, "downsample_padding must be 0 or 1, got \(downsamplePadding)")
            try require(frequencyShift.isFinite && Double(widths[0] / 2) - frequencyShift > 0 && widths[0] % 2 == 0,
                        "the time embedding needs an even first width above twice the frequency shift, got \(widths[0]) and \(frequencyShift)")
            try require((1...16384).contains(timeEmbeddingWidth), "the time embedding width must be in 1...16384, got \(timeEmbeddingWidth)")
            try require(middleScale > 0 && middleScale.isFinite, "mid_block_scale_factor must be positive, got \(middleScale)")
            try require(dropout >= 0 && dropout <= 1, "the dropout probability must be in [0, 1], got \(dropout)")
        }

        /// The number of parameters the network has, from the sizes alone (as the layers
        /// are built in `DiffusersUNet.init`), in Double so that no configuration overflows.
        public var parameterCount: Double {
            let c = self
            let time = Double(c.timeEmbeddingWidth)
            func conv(_ i: Int, _ o: Int, _ k: Int) -> Double { Double(o) * (Double(i * k * k) + 1) }
            func norm(_ c: Int) -> Double { 2 * Double(c) }
            func resnet(_ i: Int, _ o: Int) -> Double {
                norm(i) + conv(i, o, 3) + Double(o) * (time + 1) + norm(o) + conv(o, o, 3) + (i == o ? 0 : conv(i, o, 1))
            }
            func attention(_ w: Int) -> Double { norm(w) + 4 * Double(w) * Double(w + 1) }
            var total = conv(c.inputChannels, c.widths[0], 3) + time * Double(c.widths[0] + 1) + time * (time + 1)
            var width = c.widths[0]
            for (level, levelWidth) in c.widths.enumerated() {
                for _ in 0..<c.blocksPerLevel[level] {
                    total += resnet(width, levelWidth) + (c.attentionLevels[level] ? attention(levelWidth) : 0)
                    width = levelWidth
                }
                if level < c.widths.count - 1 { total += conv(width, width, 3) }
            }
            if c.hasMiddleBlock { total += 2 * resnet(width, width) + (c.middleAttention ? attention(width) : 0) }
            for level in (0..<c.widths.count).reversed() {
                let (levelWidth, skipWidth, blocks) = (c.widths[level], c.widths[max(level - 1, 0)], c.blocksPerLevel[level] + 1)
                for block in 0..<blocks {
                    let inputs = width + (block == blocks - 1 ? skipWidth : levelWidth)
                    total += resnet(inputs, levelWidth) + (c.attentionLevels[level] ? attention(levelWidth) : 0)
                    width = levelWidth
                }
                if level > 0 { total += conv(width, width, 3) }
            }
            return total + norm(width) + conv(width, c.outputChannels, 3)
        }
    }
}

extension DiffusersUNet.Configuration {
    /// Every size and option, level by level, as medsynth's checkpoints keep them (diffusers'
    /// config.json cannot say everything MONAI's arguments can, such as a block count per level).
    public var entries: JSONValue {
        func whole(_ value: Int) -> JSONValue { .number(String(value)) }
        let members: [(key: String, value: JSONValue)] = [
            ("inputChannels", whole(inputChannels)), ("outputChannels", whole(outputChannels)),
            ("widths", .array(widths.map(whole))), ("blocksPerLevel", .array(blocksPerLevel.map(whole))),
            ("attentionLevels", .array(attentionLevels.map(JSONValue.bool))), ("headChannels", .array(headChannels.map(whole))),
            ("middleBlock", .bool(hasMiddleBlock)), ("middleAttention", .bool(middleAttention)),
            ("middleScale", JSONValue.number(middleScale)), ("groups", whole(groups)), ("epsilon", JSONValue.number(epsilon)),
            ("downsamplePadding", whole(downsamplePadding)), ("flipSinToCos", .bool(flipSinToCos)),
            ("frequencyShift", JSONValue.number(frequencyShift)), ("timeEmbeddingWidth", whole(timeEmbeddingWidth)),
            ("dropout", JSONValue.number(dropout)), ("centersInput", .bool(centersInput)),
            ("sampleSize", sampleSize.map(whole) ?? .null),
        ]
        return .object(members)
    }

    /// The configuration `entries` wrote, checked.
    public init(entries json: JSONValue, source: String) throws {
        let config = try ConfigurationReader(json, source: source)
        let widths = try config.ints("widths")
        self.init(
            inputChannels: try config.int("inputChannels"), outputChannels: try config.int("outputChannels"), widths: widths,
            blocksPerLevel: try config.ints("blocksPerLevel"), attentionLevels: try config.bools("attentionLevels"),
            headChannels: try config.ints("headChannels"), hasMiddleBlock: try config.bool("middleBlock"),
            middleAttention: try config.bool("middleAttention"), middleScale: Float(try config.double("middleScale")),
            groups: try config.int("groups"), epsilon: Float(try config.double("epsilon")),
            downsamplePadding: try config.int("downsamplePadding"), flipSinToCos: try config.bool("flipSinToCos"),
            frequencyShift: try config.double("frequencyShift"), timeEmbeddingWidth: try config.int("timeEmbeddingWidth"),
            dropout: Float(try config.double("dropout")), centersInput: try config.bool("centersInput"),
            sampleSize: config.isAbsent("sampleSize") ? nil : try config.int("sampleSize", in: 1...65536))
        try validate()
    }
}
