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
            ModelOption("codebook", .choice(["ema", "gradient"]), default: .word("ema"),
                        "vq: moving averages from a k-means start with dead codes restarted, or the codebook loss's gradient (collapses)"),
            ModelOption("decay", .number, default: .number(0.99), "vq, codebook=ema: the moving averages' decay"),
        ]
    ) { options, random in
        let widths = try options.integers("widths")
        let regularizer: Regularizer
        switch try options.word("kind") {
        case "vq":
            let learning: VectorQuantizer.Learning = try options.word("codebook") == "gradient"
                ? .gradient : .movingAverage(decay: Float(try options.double("decay")))
            regularizer = .vq(codes: try options.int("codes"), commitmentWeight: Float(try options.double("beta")), learning: learning)
        case "plain": regularizer = .none
        default: regularizer = .kl(weight: Float(try options.double("weight")))
        }
        let configuration = Configuration(
            imageChannels: try options.int("channels"), latentChannels: try options.int("latent"), outerWidth: widths[0],
            innerWidth: widths[1], groups: try options.int("groups"), regularizer: regularizer)
        return try Autoencoder(configuration, random: &random)
    }
}

extension Autoencoder {
    /// The `autoencoder_kl` verb: a KL autoencoder of diffusers' or MONAI's AutoencoderKL layout.
    public static let autoencoderKLRecipe = ModelRecipe(
        verb: "autoencoder_kl",
        summary: "A new KL autoencoder of diffusers' or MONAI's AutoencoderKL layout (Stable Diffusion's VAE): export writes it for that library.",
        details: "Each level but the last halves the image, so widths=[32, 64, 64] gives latents 4 times smaller on each side. "
            + "layout=diffusers is diffusers' AutoencoderKL (blocks per level, one more on the way up, a middle block with "
            + "attention, SiLU before the last convolutions); layout=monai is MONAI's (as many blocks up as down, no SiLU at "
            + "the ends, separate convolutions for the mean and the log-variance).",
        example: "vae = autoencoder_kl latent=4 widths=[32, 64, 64]",
        options: [
            ModelOption("latent", .integer(1...64), default: .number(4), "latent channels"),
            ModelOption("channels", .integer(1...16), default: .number(1), "image channels"),
            ModelOption("widths", .widths(levels: ModelOption.levels), default: .integers([32, 64, 64]),
                        "the width of each level, finest first (block_out_channels)"),
            ModelOption("blocks", .integer(1...7), default: .number(1), "resnet blocks per level in the encoder (layers_per_block)"),
            ModelOption("groups", .integer(1...64), default: .number(8), "GroupNorm groups; must divide every width"),
            ModelOption("layout", .choice(["diffusers", "monai"]), default: .word("diffusers"), "whose AutoencoderKL it is"),
            ModelOption("weight", .number, default: .number(1e-6), "the KL divergence's weight"),
        ]
    ) { options, random in
        let widths = try options.integers("widths")
        let (blocks, levels) = (try options.int("blocks"), widths.count)
        let weight = Float(try options.double("weight"))
        let monai = try options.word("layout") == "monai"
        let layout = AutoencoderKLLayout(
            imageChannels: try options.int("channels"), latentChannels: try options.int("latent"), widths: widths,
            encoderBlocks: Array(repeating: blocks, count: levels),
            decoderBlocks: Array(repeating: monai ? blocks : blocks + 1, count: levels),
            attentionLevels: Array(repeating: false, count: levels), groups: try options.int("groups"),
            activatesOutput: !monai, moments: monai ? .separate : .quantConv)
        return try Autoencoder(Configuration(autoencoderKL: layout, klWeight: weight), random: &random)
    }

    public static var recipes: [ModelRecipe] { [recipe!, autoencoderKLRecipe] }
}
