import Engine

extension Denoiser {
    /// The `unet` verb: a conditional UNet with its condition encoder and fresh weights, for
    /// diffusion or flow matching.
    public static let recipe: ModelRecipe? = ModelRecipe(
        verb: "unet",
        summary: "A new conditional UNet that makes latents from noise, with a condition encoder: a diffusion model (a noise schedule) or a flow-matching one.",
        example: "net = unet latent=4 cond={mask: 4, edges: 1}",
        options: [
            ModelOption("latent", .integer(1...64), default: .number(4), "latent channels"),
            ModelOption("cond", .conditionGroups, default: .number(5),
                        "condition channels (one group), or a record of groups, e.g. {mask: 4, edges: 1}, each dropped on its own"),
            ModelOption("widths", .widths(levels: ModelOption.levels), default: .integers([32, 64, 128]), "the width of each level, finest first"),
            ModelOption("blocks", .integer(1...8), default: .number(2), "residual blocks per level, each side"),
            ModelOption("heads", .integer(1...32), default: .number(4), "attention heads at the lowest level"),
            ModelOption("groups", .integer(1...64), default: .number(8), "GroupNorm groups"),
            ModelOption("encoded", .integer(1...64), default: .number(5), "channels the condition encoder hands the UNet"),
            ModelOption("factor", .integer(1...16), default: .number(4), "how much smaller the latent is than the conditions"),
            ModelOption("drop", .number, default: .number(0.1),
                        "the probability that each condition group is dropped in training (classifier-free guidance)"),
            ModelOption("process", .choice(["diffusion", "flow"]), default: .word("diffusion"),
                        "diffusion: it predicts the noise (or x_0, or v) under a noise schedule; flow: flow matching, it predicts the velocity ε - x_0 of the straight path from data to noise"),
            ModelOption("schedule", .schedule, default: nil, "diffusion: the noise schedule; linear 1e-4..0.02 over 1000 steps when left out"),
            ModelOption("prediction", .choice(["epsilon", "sample", "velocity"]), default: nil, "diffusion: what the model predicts; epsilon when left out"),
        ]
    ) { options, random in
        let drop = Float(try options.double("drop"))
        guard (0...1).contains(drop) else { throw ModelOptionError("drop", "a probability lies in 0...1") }
        let layout = try ConditionLayout(try options.groups("cond").map {
            ConditionGroup(name: $0.name, channels: $0.channels, dropProbability: drop)
        })
        let latent = try options.int("latent")
        let encoded = try options.int("encoded")
        let encoder = try ConditionEncoder(
            inputChannels: layout.channels, outputChannels: encoded, downsamplingFactor: try options.int("factor"), random: &random)
        let configuration = UNet.Configuration(
            inputChannels: latent + encoded, outputChannels: latent, widths: try options.integers("widths"),
            blocksPerLevel: try options.int("blocks"), attentionHeads: try options.int("heads"), groups: try options.int("groups"))
        let model = try ConditionalUNet(layout: layout, encoder: encoder, unet: try UNet(configuration, random: &random))
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
