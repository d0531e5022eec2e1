import Engine

/// One half of an autoencoder's network: the encoder (images to the encoder's output) or the
/// decoder (latents to images). medsynth's compact halves are below; diffusers' and MONAI's
/// AutoencoderKL halves are in Interop/AutoencoderKLNetworks.swift.
public protocol AutoencoderHalf: Module {
    func callAsFunction(_ x: Variable) throws -> Variable
}

/// The autoencoder's building block: a 3x3 convolution (padding 1), GroupNorm and SiLU,
/// as `unit` in benchmarks/torch_models.py.
public final class AutoencoderUnit: Module {
    /// 3x3, stride 1 or 2, padding 1.
    public let conv: Conv2d
    /// GroupNorm over the convolution's output channels.
    public let norm: GroupNorm

    /// A unit from `inputs` to `outputs` channels; stride 2 halves each side.
    public init(_ inputs: Int, _ outputs: Int, stride: Int = 1, groups: Int, random: inout RandomStream) throws {
        conv = try Conv2d(inputChannels: inputs, outputChannels: outputs, kernelSize: 3, stride: Size2D(stride),
                          padding: 1, random: &random)
        norm = try GroupNorm(groups: groups, channels: outputs)
    }

    /// x: [N, inputs, H, W] -> silu(groupNorm(conv(x))): [N, outputs, H / stride, W / stride].
    public func callAsFunction(_ x: Variable) throws -> Variable {
        try norm.silu(try conv(x))
    }
}

/// The autoencoder's encoder: unit C->w, stride-2 unit w->w, stride-2 unit w->W, unit W->W,
/// then a 3x3 convolution to the encoder's output channels (no norm or activation).
public final class AutoencoderEncoder: Module, AutoencoderHalf {
    /// The four units, in order.
    public let units: [AutoencoderUnit]
    /// The last convolution, to `encoderOutputChannels`.
    public let output: Conv2d

    init(_ c: Autoencoder.Configuration, random: inout RandomStream) throws {
        let (w, wide, g) = (c.outerWidth, c.innerWidth, c.groups)
        units = [try AutoencoderUnit(c.imageChannels, w, groups: g, random: &random),
                 try AutoencoderUnit(w, w, stride: 2, groups: g, random: &random),
                 try AutoencoderUnit(w, wide, stride: 2, groups: g, random: &random),
                 try AutoencoderUnit(wide, wide, groups: g, random: &random)]
        output = try Conv2d(inputChannels: wide, outputChannels: c.encoderOutputChannels, kernelSize: 3, padding: 1, random: &random)
    }

    /// images [N, C, H, W] -> [N, encoderOutputChannels, H/4, W/4].
    public func callAsFunction(_ images: Variable) throws -> Variable {
        guard images.shape.count == 4, images.shape[2] % Autoencoder.compactDownsamplingFactor == 0,
              images.shape[3] % Autoencoder.compactDownsamplingFactor == 0 else {
            throw TensorError("Autoencoder.encode", "needs images [N, C, H, W] with H and W multiples of "
                + "\(Autoencoder.compactDownsamplingFactor), got \(describeShape(images.shape))")
        }
        return try output(try units.reduce(images) { h, unit in try unit(h) })
    }
}

/// The autoencoder's decoder: unit latent->W, unit W->W, nearest x2 and unit W->w, nearest x2
/// and unit w->w, then a 3x3 convolution to the image channels.
public final class AutoencoderDecoder: Module, AutoencoderHalf {
    /// The two units at latent resolution.
    public let input: [AutoencoderUnit]
    /// The two units that each follow a nearest-neighbour upsampling by 2.
    public let upsampling: [AutoencoderUnit]
    /// The last convolution, to the image channels.
    public let output: Conv2d

    init(_ c: Autoencoder.Configuration, random: inout RandomStream) throws {
        let (w, wide, g) = (c.outerWidth, c.innerWidth, c.groups)
        input = [try AutoencoderUnit(c.latentChannels, wide, groups: g, random: &random),
                 try AutoencoderUnit(wide, wide, groups: g, random: &random)]
        upsampling = [try AutoencoderUnit(wide, w, groups: g, random: &random),
                      try AutoencoderUnit(w, w, groups: g, random: &random)]
        output = try Conv2d(inputChannels: w, outputChannels: c.imageChannels, kernelSize: 3, padding: 1, random: &random)
    }

    /// latents [N, latentChannels, h, w] -> images [N, C, 4h, 4w].
    public func callAsFunction(_ latents: Variable) throws -> Variable {
        var h = try input.reduce(latents) { h, unit in try unit(h) }
        for unit in upsampling { h = try unit(try h.upsampleNearest(scale: 2)) }
        return try output(h)
    }
}
