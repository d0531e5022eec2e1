import Engine

extension Autoencoder {
    /// The `autoencoder` verb: a KL, VQ or plain autoencoder with fresh weights.
    public static let recipe: ModelRecipe? = ModelRecipe(
        verb: "autoencoder", summary: "A new autoencoder (4x downsampling), with freshly initialised weights.",
        example: "ae = autoencoder kind=kl latent=4",
        options: [
            ModelOption("kind", .choice(["kl", "vq", "plain"]), default: .word("kl"), "KL-regularised, vector-quantised, or plain"),
            ModelOption("latent", .integer(1...64), default: .number(4), "latent channels"),
            ModelOption("channels", .integer(1...16), default: .number(1), "image channels"),
            ModelOption("widths", .widths(levels: 2...2), default: .integers([32, 64]), "widths at full/half and at quarter resolution"),
            ModelOption("groups", .integer(1...64), default: .number(8), "GroupNorm groups; must divide both widths"),
            ModelOption("weight", .number, default: .number(1e-6), "kl: the KL divergence's weight"),
            ModelOption("codes", .integer(2...65536), default: .number(512), "vq: the codebook size"),
            ModelOption("beta", .number, default: .number(0.25), "vq: the commitment weight"),
        ]
    ) { options, random in
        let widths = try options.integers("widths")
        let regularizer: Regularizer
        switch try options.word("kind") {
        case "vq": regularizer = .vq(codes: try options.int("codes"), commitmentWeight: Float(try options.double("beta")))
        case "plain": regularizer = .none
        default: regularizer = .kl(weight: Float(try options.double("weight")))
        }
        let configuration = Configuration(
            imageChannels: try options.int("channels"), latentChannels: try options.int("latent"), outerWidth: widths[0],
            innerWidth: widths[1], groups: try options.int("groups"), regularizer: regularizer)
        return try Autoencoder(configuration, random: &random)
    }
}
