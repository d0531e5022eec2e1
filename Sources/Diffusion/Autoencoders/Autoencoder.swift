import Engine

/// The first stage of latent diffusion (Rombach, Blattmann, Lorenz, Esser and Ommer,
/// "High-Resolution Image Synthesis with Latent Diffusion Models", CVPR 2022): a convolutional
/// autoencoder that maps images [N, C, H, W] to latents [N, latentChannels, H/4, W/4] and back,
/// so that the diffusion model works on 16 times fewer positions.
///
/// The layout is medsynth's benchmark autoencoder (`Autoencoder` in benchmarks/torch_models.py),
/// every unit a 3x3 convolution, GroupNorm and SiLU:
///
///     encoder: unit C->w | stride-2 unit w->w | stride-2 unit w->W | unit W->W | conv W->latent'
///     decoder: unit latent->W | unit W->W | nearest x2, unit W->w | nearest x2, unit w->w | conv w->C
///
/// with w = `outerWidth` (32) and W = `innerWidth` (64). The regulariser decides what the
/// encoder's output means (see `Regularizer`): the latent itself (plain), the mean and
/// log-variance of a Gaussian (KL, latent' = 2 latent), or a point that is snapped to the
/// nearest code of a codebook (VQ).
///
/// `latentScaleFactor` is not a parameter: it is estimated once after training
/// (`estimateScaleFactor(images:)`) and travels in the checkpoint's configuration.
public final class Autoencoder: Module {
    /// What the latent space is regularised towards, and how strongly.
    public enum Regularizer: Equatable, Sendable {
        /// No regularisation: the plain autoencoder of the benchmark.
        case none
        /// A KL-regularised latent (Kingma and Welling 2014; LDM's "KL-f4"): the encoder gives a
        /// diagonal Gaussian per image and `weight` multiplies its KL divergence from N(0, I).
        case kl(weight: Float)
        /// A vector-quantised latent (van den Oord et al. 2017; LDM's "VQ-f4"): `codes` code
        /// vectors of dimension `latentChannels`; `commitmentWeight` is the paper's beta;
        /// `learning` how the codebook learns (see `VectorQuantizer`).
        case vq(codes: Int, commitmentWeight: Float, learning: VectorQuantizer.Learning = .gradient)
    }

    /// The sizes and regulariser that build an autoencoder.
    public struct Configuration: Equatable, Sendable {
        /// Channels of the images (1 for MRI).
        public var imageChannels: Int
        /// Channels of the latent.
        public var latentChannels: Int
        /// Width of the units at full and half resolution.
        public var outerWidth: Int
        /// Width of the units at quarter resolution, the latent's.
        public var innerWidth: Int
        /// GroupNorm's number of groups; must divide both widths.
        public var groups: Int
        /// The regulariser of the latent space.
        public var regularizer: Regularizer
        /// diffusers' and MONAI's AutoencoderKL layout instead of the compact one above (whose
        /// widths and groups it then replaces); it needs the KL regulariser.
        public var autoencoderKL: AutoencoderKLLayout?

        /// The benchmark's sizes (1 channel, latent 4, widths 32 and 64, 8 groups), plain by default.
        public init(imageChannels: Int = 1, latentChannels: Int = 4, outerWidth: Int = 32, innerWidth: Int = 64,
                    groups: Int = 8, regularizer: Regularizer = .none) {
            self.imageChannels = imageChannels
            self.latentChannels = latentChannels
            self.outerWidth = outerWidth
            self.innerWidth = innerWidth
            self.groups = groups
            self.regularizer = regularizer
        }

        /// A KL autoencoder of diffusers' and MONAI's layout, with the KL divergence's weight.
        public init(autoencoderKL layout: AutoencoderKLLayout, klWeight: Float) {
            self.init(imageChannels: layout.imageChannels, latentChannels: layout.latentChannels, regularizer: .kl(weight: klWeight))
            autoencoderKL = layout
        }

        /// How much smaller each side of the latent is than the image's.
        public var downsamplingFactor: Int { autoencoderKL?.downsamplingFactor ?? Autoencoder.compactDownsamplingFactor }

        /// The channels of the encoder's output: twice the latent's for KL (mean and log-variance).
        public var encoderOutputChannels: Int {
            if case .kl = regularizer { return 2 * latentChannels }
            return latentChannels
        }
    }

    /// How much smaller each side of the latent is than the image's in the compact layout: two
    /// stride-2 units.
    public static let compactDownsamplingFactor = 4

    /// The sizes and regulariser this autoencoder was built with.
    public let configuration: Configuration
    /// Images to the encoder's output: `AutoencoderEncoder`, or `AutoencoderKLEncoder`.
    public let encoder: any AutoencoderHalf
    /// Latents to images: `AutoencoderDecoder`, or `AutoencoderKLDecoder`.
    public let decoder: any AutoencoderHalf
    /// The codebook, for the VQ regulariser only.
    public let quantizer: VectorQuantizer?
    /// The factor latents are multiplied by before diffusion, 1 / std of the latents (LDM,
    /// Sec. 4.3.2 and appendix G; diffusers' `scaling_factor`); 1 until estimated.
    public var latentScaleFactor: Float = 1

    /// A new autoencoder with PyTorch's initialisation drawn from `random`.
    public init(_ configuration: Configuration = Configuration(), random: inout RandomStream) throws {
        let c = configuration
        guard c.imageChannels > 0, c.latentChannels > 0, c.outerWidth > 0, c.innerWidth > 0 else {
            throw ModuleError("Autoencoder: channel counts and widths must be positive, got \(c)")
        }
        switch c.regularizer {
        case .none: break
        case .kl(let weight):
            guard weight >= 0, weight.isFinite else { throw ModuleError("Autoencoder: the KL weight must be at least 0, got \(weight)") }
        case .vq(let codes, let beta, _):
            guard codes > 0, beta >= 0, beta.isFinite else {
                throw ModuleError("Autoencoder: VQ needs at least one code and a commitment weight of at least 0, got \(codes) codes, beta \(beta)")
            }
        }
        try ModelSize.checkBudget(parameters: c.parameterCount,
                                  model: "autoencoder with widths \(c.outerWidth) and \(c.innerWidth)")
        self.configuration = c
        if let layout = c.autoencoderKL {
            try layout.validate()
            guard case .kl = c.regularizer, layout.imageChannels == c.imageChannels, layout.latentChannels == c.latentChannels else {
                throw ModuleError("Autoencoder: the AutoencoderKL layout needs the KL regulariser and its own channel counts")
            }
            encoder = try AutoencoderKLEncoder(layout, random: &random)
            decoder = try AutoencoderKLDecoder(layout, random: &random)
        } else {
            encoder = try AutoencoderEncoder(c, random: &random)
            decoder = try AutoencoderDecoder(c, random: &random)
        }
        if case .vq(let codes, let beta, let learning) = c.regularizer {
            quantizer = try VectorQuantizer(codes: codes, dimension: c.latentChannels, commitmentCost: beta, learning: learning, random: &random)
        } else {
            quantizer = nil
        }
    }

    /// The latent of `images` [N, C, H, W] (H and W multiples of 4): the encoder's output
    /// (plain), the posterior's mean (KL), or the nearest codes (VQ, straight-through).
    public func encode(_ images: Variable) throws -> Variable {
        switch configuration.regularizer {
        case .none: return try encoder(images)
        case .kl: return try posterior(images).mean
        case .vq: return try quantize(images).output
        }
    }

    /// As `encode(_:)`, but a KL autoencoder draws its latent from the posterior with noise
    /// from `random` (the reparameterisation trick); the others are deterministic.
    public func encode(_ images: Variable, sampling random: inout RandomStream) throws -> Variable {
        guard case .kl = configuration.regularizer else { return try encode(images) }
        return try posterior(images).sample(using: &random)
    }

    /// The diagonal Gaussian q(z | x) of a KL autoencoder.
    public func posterior(_ images: Variable) throws -> DiagonalGaussian {
        guard case .kl = configuration.regularizer else {
            throw ModuleError("Autoencoder.posterior: only the KL autoencoder has a posterior (this one is \(configuration.regularizer))")
        }
        return try DiagonalGaussian(parameters: try encoder(images))
    }

    /// The quantisation of the encoder's output by the codebook of a VQ autoencoder.
    public func quantize(_ images: Variable) throws -> VectorQuantizer.Quantization {
        guard let quantizer else {
            throw ModuleError("Autoencoder.quantize: only the VQ autoencoder has a codebook (this one is \(configuration.regularizer))")
        }
        return try quantizer(try encoder(images))
    }

    /// Images [N, C, 4h, 4w] from latents [N, latentChannels, h, w]. Latents are not quantised
    /// here, so a VQ autoencoder decodes whatever it is given.
    public func decode(_ latents: Variable) throws -> Variable {
        try decoder(latents)
    }

    /// decode(encode(images)): the deterministic reconstruction.
    public func callAsFunction(_ images: Variable) throws -> Variable {
        try decode(try encode(images))
    }
}
