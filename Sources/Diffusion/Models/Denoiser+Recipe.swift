import Engine

extension Denoiser {
    /// The `unet` verb: a conditional UNet with its condition encoder and fresh weights, for
    /// diffusion or flow matching.
    public static let recipe: ModelRecipe? = ModelRecipe(
        verb: "unet",
        summary: "A new conditional UNet that makes latents from noise, with a condition encoder: a diffusion model (a noise schedule) or a flow-matching one.",
        example: "net = unet latent=4 cond={mask: 4, edges: 1}",
        options: conditionOptions + [
            ModelOption("widths", .widths(levels: ModelOption.levels), default: .integers([32, 64, 128]), "the width of each level, finest first"),
            ModelOption("blocks", .integer(1...8), default: .number(2), "residual blocks per level, each side"),
            ModelOption("heads", .integer(1...32), default: .number(4), "attention heads at the lowest level"),
            ModelOption("groups", .integer(1...64), default: .number(8), "GroupNorm groups"),
            ModelOption("encoded", .integer(1...64), default: .number(5), "channels the condition encoder hands the UNet"),
            ModelOption("factor", .integer(1...16), default: .number(4), "how much smaller the latent is than the conditions"),
        ] + [dropOption] + processOptions
    ) { options, random in
        try make(options, random: &random) { inputs, outputs, random in
            try UNet(UNet.Configuration(
                inputChannels: inputs, outputChannels: outputs, widths: try options.integers("widths"),
                blocksPerLevel: try options.int("blocks"), attentionHeads: try options.int("heads"), groups: try options.int("groups")),
                     random: &random)
        }
    }

    /// The `unet2d` verb: the same kind of model around diffusers' `UNet2DModel` (MONAI's
    /// `DiffusionModelUNet`), which `export` writes for those libraries.
    public static let unet2dRecipe = ModelRecipe(
        verb: "unet2d",
        summary: "A new conditional UNet of diffusers' UNet2DModel architecture (MONAI's DiffusionModelUNet): export writes it for those libraries.",
        details: "The network is diffusers' UNet2DModel: resnet blocks at every level (attention after each at the coarsest "
            + "levels), a middle block of resnet, attention and resnet, one more block per level on the way up, and a time "
            + "embedding of four times the first width. Conditions reach it as with unet: through a learned encoder "
            + "(encoder=learned), or concatenated as they are after the latent (encoder=none, the latent's size), as "
            + "diffusers' conditioned UNets take them.",
        example: "net = unet2d latent=4 cond={mask: 4, edges: 1} widths=[32, 64, 64]",
        options: conditionOptions + [
            ModelOption("widths", .widths(levels: ModelOption.levels), default: .integers([32, 64, 64]),
                        "the width of each level, finest first (block_out_channels)"),
            ModelOption("blocks", .integer(1...8), default: .number(2), "resnet blocks per level on the way down (layers_per_block)"),
            ModelOption("attention", .integer(0...8), default: .number(2),
                        "how many levels, coarsest first, have attention after their blocks (AttnDownBlock2D); the middle block always has"),
            ModelOption("head", .integer(1...4096), default: .number(8), "channels per attention head (attention_head_dim)"),
            ModelOption("groups", .integer(1...64), default: .number(8), "GroupNorm groups (norm_num_groups)"),
            ModelOption("encoder", .choice(["learned", "none"]), default: .word("learned"),
                        "learned: a condition encoder brings the conditions to the latent's size; none: they are concatenated as they are"),
            ModelOption("encoded", .integer(1...64), default: .number(5), "learned: channels the condition encoder hands the UNet"),
            ModelOption("factor", .integer(1...16), default: .number(4), "learned: how much smaller the latent is than the conditions"),
        ] + [dropOption] + processOptions
    ) { options, random in
        try make(options, random: &random) { inputs, outputs, random in
            let widths = try options.integers("widths")
            let attention = try options.int("attention")
            guard attention <= widths.count else {
                throw ModelOptionError("attention", "there are \(widths.count) levels, so at most \(widths.count) can have attention")
            }
            let head = try options.int("head")
            for width in widths.suffix(max(attention, 1)) where width % head != 0 {
                throw ModelOptionError("head", "the width \(width) cannot be split into heads of \(head) channels")
            }
            let configuration = DiffusersUNet.Configuration(
                inputChannels: inputs, outputChannels: outputs, widths: widths,
                blocksPerLevel: Array(repeating: try options.int("blocks"), count: widths.count),
                attentionLevels: widths.indices.map { $0 >= widths.count - attention },
                headChannels: Array(repeating: head, count: widths.count), groups: try options.int("groups"), epsilon: 1e-5)
            return try DiffusersUNet(configuration, random: &random)
        }
    }

    public static var recipes: [ModelRecipe] { [recipe!, unet2dRecipe] }

    /// The options every denoiser verb starts with: the latent's channels and the conditions.
    static let conditionOptions = [
        ModelOption("latent", .integer(1...64), default: .number(4), "latent channels"),
        ModelOption("cond", .conditionGroups, default: .number(5),
                    "condition channels (one group), or a record of groups, e.g. {mask: 4, edges: 1}, each dropped on its own"),
    ]

    /// The option every denoiser verb has after its network's.
    static let dropOption = ModelOption(
        "drop", .number, default: .number(0.1), "the probability that each condition group is dropped in training (classifier-free guidance)")

    /// The options of the process a denoiser learns.
    static let processOptions = [
        ModelOption("process", .choice(["diffusion", "flow"]), default: .word("diffusion"),
                    "diffusion: it predicts the noise (or x_0, or v) under a noise schedule; flow: flow matching, it predicts the velocity ε - x_0 of the straight path from data to noise"),
        ModelOption("schedule", .schedule, default: nil, "diffusion: the noise schedule; linear 1e-4..0.02 over 1000 steps when left out"),
        ModelOption("prediction", .choice(["epsilon", "sample", "velocity"]), default: nil, "diffusion: what the model predicts; epsilon when left out"),
    ]

    /// A denoiser from a recipe's options: the condition layout, the encoder (drawn first, unless
    /// `encoder=none`), the backbone that `network` makes for its input and output channels
    /// (drawn next), and the process.
    static func make(
        _ options: ModelOptionValues, random: inout RandomStream,
        network: (_ inputs: Int, _ outputs: Int, _ random: inout RandomStream) throws -> any DenoisingBackbone
    ) throws -> Denoiser {
        let drop = Float(try options.double("drop"))
        guard (0...1).contains(drop) else { throw ModelOptionError("drop", "a probability lies in 0...1") }
        let layout = try ConditionLayout(try options.groups("cond").map {
            ConditionGroup(name: $0.name, channels: $0.channels, dropProbability: drop)
        })
        let latent = try options.int("latent")
        var encoder: ConditionEncoder?
        if try !options.has("encoder") || options.word("encoder") == "learned" {
            encoder = try ConditionEncoder(inputChannels: layout.channels, outputChannels: try options.int("encoded"),
                                           downsamplingFactor: try options.int("factor"), random: &random)
        }
        let backbone = try network(latent + (encoder?.outputChannels ?? layout.channels), latent, &random)
        let model = try ConditionalUNet(layout: layout, encoder: encoder, unet: backbone)
        if try options.word("process") == "flow" {
            for option in ["schedule", "prediction"] where options.has(option) {
                throw ModelOptionError(option, "a flow-matching model has no \(option): it learns the velocity of a straight path")
            }
            return Denoiser(model: model, process: .flow)
        }
        let schedule = try options.schedule("schedule") ?? NoiseSchedule.ddpm()
        let prediction = options.has("prediction") ? Prediction(rawValue: try options.word("prediction")) ?? .epsilon : .epsilon
        return Denoiser(model: model, schedule: schedule, prediction: prediction)
    }
}
