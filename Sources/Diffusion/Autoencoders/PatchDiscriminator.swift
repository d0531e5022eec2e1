import Engine

/// A PatchGAN discriminator (Isola, Zhu, Zhou and Efros, "Image-to-Image Translation with
/// Conditional Adversarial Networks", CVPR 2017, the `NLayerDiscriminator` LDM's autoencoders
/// are trained against): a few stride-2 convolutions that end in one logit per overlapping
/// patch, "real" when positive. It judges local texture, the detail an L1 or L2 loss blurs.
///
/// Layout, with w = `width` and n = `downsamplings`:
///
///     conv 4x4 / 2, C -> w, LeakyReLU(0.2)
///     n - 1 times: conv 4x4 / 2, w 2^(i-1) -> w 2^i, GroupNorm, LeakyReLU(0.2)
///     conv 3x3 / 1 -> 1 logit per position
///
/// so a 64x64 image gives (64 / 2^n)^2 logits, each seeing a patch of the image.
/// GroupNorm stands in for the paper's BatchNorm, so that a logit does not depend on the batch.
public final class PatchDiscriminator: Module {
    /// The stride-2 convolutions, in order.
    public let convs: [Conv2d]
    /// The norms after every convolution but the first.
    public let norms: [GroupNorm]
    /// The last convolution, to one logit per position.
    public let output: Conv2d
    /// The slope of LeakyReLU for negative inputs.
    public static let negativeSlope: Float = 0.2

    /// A discriminator of images with `imageChannels` channels; `groups` must divide every width
    /// after the first.
    public init(imageChannels: Int = 1, width: Int = 32, downsamplings: Int = 3, groups: Int = 8, random: inout RandomStream) throws {
        guard downsamplings > 0 else { throw ModuleError("PatchDiscriminator: needs at least one downsampling, got \(downsamplings)") }
        let widths = [imageChannels] + (0..<downsamplings).map { width << $0 }
        convs = try (0..<downsamplings).map { i in
            try Conv2d(inputChannels: widths[i], outputChannels: widths[i + 1], kernelSize: 4, stride: 2, padding: 1, random: &random)
        }
        norms = try widths.dropFirst(2).map { try GroupNorm(groups: groups, channels: $0) }
        output = try Conv2d(inputChannels: widths.last!, outputChannels: 1, kernelSize: 3, padding: 1, random: &random)
    }

    /// images [N, C, H, W] (H, W multiples of 2^n) -> logits [N, 1, H / 2^n, W / 2^n].
    public func callAsFunction(_ images: Variable) throws -> Variable {
        var h = try convs[0](images).leakyReLU(slope: Self.negativeSlope)
        for (conv, norm) in zip(convs.dropFirst(), norms) {
            h = try norm(try conv(h)).leakyReLU(slope: Self.negativeSlope)
        }
        return try output(h)
    }
}

extension Variable {
    /// LeakyReLU, max(x, slope x) for 0 < slope < 1 (Maas, Hannun and Ng 2013): the identity
    /// for positive x, a small slope for negative x, so no unit stops learning.
    func leakyReLU(slope: Float) throws -> Variable {
        try Variable.maximum(self, self * slope)
    }
}
