import Engine

extension Segmenter {
    /// The `segmenter` verb: a small UNet at the image's resolution with fresh weights.
    public static let recipe: ModelRecipe? = ModelRecipe(
        verb: "segmenter",
        summary: "A new segmentation network (a small UNet at the image's resolution), to judge the anatomy of generated images.",
        details: "Train it with 'train seg data=images labels=labels' (cross-entropy); 'segment seg images' gives label maps.",
        example: "seg = segmenter classes=4",
        options: [
            ModelOption("classes", .integer(2...64), default: .number(4), "the classes it tells apart, 0 the background"),
            ModelOption("channels", .integer(1...16), default: .number(1), "image channels"),
            ModelOption("widths", .widths(levels: ModelOption.levels), default: .integers([16, 32, 64]), "the width of each level, finest first"),
            ModelOption("blocks", .integer(1...8), default: .number(1), "residual blocks per level, each side"),
            ModelOption("heads", .integer(1...32), default: .number(2), "attention heads at the lowest level"),
            ModelOption("groups", .integer(1...64), default: .number(8), "GroupNorm groups"),
        ]
    ) { options, random in
        try Segmenter(
            classes: try options.int("classes"), imageChannels: try options.int("channels"), widths: try options.integers("widths"),
            blocksPerLevel: try options.int("blocks"), attentionHeads: try options.int("heads"), groups: try options.int("groups"),
            random: &random)
    }
}
