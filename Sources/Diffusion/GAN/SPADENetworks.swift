import Engine

/// Spatially-adaptive normalisation (Park, Liu, Wang and Zhu, "Semantic Image Synthesis with
/// Spatially-Adaptive Normalization", CVPR 2019): the activations are normalised without
/// learned parameters, then scaled and shifted per position by maps computed from the
/// condition, so the layout is not washed out by the normalisation:
///
///     out = norm(x) * (1 + gamma(c)) + beta(c),  gamma, beta = conv3x3(relu(conv3x3(c)))
///
/// The normalisation is per image and channel (the paper's "spadeinstance3x3"), so an image's
/// output does not depend on its batch. The condition reaches each resolution averaged over
/// blocks (the paper resizes it nearest-neighbour; a mask's block averages keep its boundaries'
/// proportions, and edge maps their thin lines).
public final class SPADENorm: Module {
    public let norm: GroupNorm
    public let mlp_shared: Conv2d
    public let mlp_gamma: Conv2d
    public let mlp_beta: Conv2d

    public init(channels: Int, conditionChannels: Int, hidden: Int, random: inout RandomStream) throws {
        norm = try GroupNorm(groups: channels, channels: channels, affine: false)
        mlp_shared = try Conv2d(inputChannels: conditionChannels, outputChannels: hidden, kernelSize: 3, padding: 1, random: &random)
        mlp_gamma = try Conv2d(inputChannels: hidden, outputChannels: channels, kernelSize: 3, padding: 1, random: &random)
        mlp_beta = try Conv2d(inputChannels: hidden, outputChannels: channels, kernelSize: 3, padding: 1, random: &random)
    }

    /// x [N, C, h, w], condition [N, C_c, h, w] (already at x's size).
    public func callAsFunction(_ x: Variable, condition: Variable) throws -> Variable {
        let shared = try mlp_shared(condition).clamp(min: 0)
        return try norm(x) * (try mlp_gamma(shared) + 1) + (try mlp_beta(shared))
    }
}

/// SPADE's residual block: two (SPADE, LeakyReLU 0.2, conv 3x3) steps, plus the input, through
/// a SPADE and a 1x1 convolution when the width changes.
public final class SPADEResBlock: Module {
    public let norm_0: SPADENorm
    public let conv_0: Conv2d
    public let norm_1: SPADENorm
    public let conv_1: Conv2d
    public let norm_s: SPADENorm?
    public let conv_s: Conv2d?

    public init(input: Int, output: Int, conditionChannels: Int, hidden: Int, random: inout RandomStream) throws {
        let middle = min(input, output)
        norm_0 = try SPADENorm(channels: input, conditionChannels: conditionChannels, hidden: hidden, random: &random)
        conv_0 = try Conv2d(inputChannels: input, outputChannels: middle, kernelSize: 3, padding: 1, random: &random)
        norm_1 = try SPADENorm(channels: middle, conditionChannels: conditionChannels, hidden: hidden, random: &random)
        conv_1 = try Conv2d(inputChannels: middle, outputChannels: output, kernelSize: 3, padding: 1, random: &random)
        if input != output {
            norm_s = try SPADENorm(channels: input, conditionChannels: conditionChannels, hidden: hidden, random: &random)
            conv_s = try Conv2d(inputChannels: input, outputChannels: output, kernelSize: 1, bias: false, random: &random)
        } else {
            norm_s = nil
            conv_s = nil
        }
    }

    public func callAsFunction(_ x: Variable, condition: Variable) throws -> Variable {
        var shortcut = x
        if let norm_s, let conv_s { shortcut = try conv_s(try norm_s(x, condition: condition)) }
        var h = try conv_0(try norm_0(x, condition: condition).leakyReLU(slope: 0.2))
        h = try conv_1(try norm_1(h, condition: condition).leakyReLU(slope: 0.2))
        return try shortcut + h
    }
}

/// SPADE's generator without its image encoder (the paper's deterministic variant): the
/// condition, averaged down to the coarsest grid, is mapped to features by a 3x3 convolution;
/// SPADE residual blocks refine them, each finer level after a nearest-neighbour doubling, and
/// a last LeakyReLU, 3x3 convolution and tanh give the image in -1...1.
///
/// widths [w_0, ..., w_L]: the head block works at side / 2^L with w_0 channels, level i at
/// side / 2^(L - i) with w_i. The paper's 256x256 generator is widths 1024...64 with 7 levels;
/// the course's 64x64 one is [64, 64, 32, 16].
public final class SPADEGenerator: Module {
    public let fc: Conv2d
    public let head: SPADEResBlock
    public let up: [SPADEResBlock]
    public let conv_img: Conv2d
    public let widths: [Int]
    public let conditionChannels: Int
    public let imageChannels: Int

    public init(conditionChannels: Int, imageChannels: Int = 1, widths: [Int] = [64, 64, 32, 16], hidden: Int = 32,
                random: inout RandomStream) throws {
        guard widths.count >= 2, widths.allSatisfy({ $0 > 0 }), conditionChannels > 0, imageChannels > 0, hidden > 0 else {
            throw ModuleError("SPADEGenerator: needs at least two positive widths and positive channel counts, got widths \(widths)")
        }
        self.widths = widths
        self.conditionChannels = conditionChannels
        self.imageChannels = imageChannels
        fc = try Conv2d(inputChannels: conditionChannels, outputChannels: widths[0], kernelSize: 3, padding: 1, random: &random)
        head = try SPADEResBlock(input: widths[0], output: widths[0], conditionChannels: conditionChannels, hidden: hidden, random: &random)
        up = try (1..<widths.count).map { i in
            try SPADEResBlock(input: widths[i - 1], output: widths[i], conditionChannels: conditionChannels, hidden: hidden, random: &random)
        }
        conv_img = try Conv2d(inputChannels: widths.last!, outputChannels: imageChannels, kernelSize: 3, padding: 1, random: &random)
    }

    /// How many times the coarsest grid is smaller than the image along each side.
    public var downsampling: Int { 1 << up.count }

    /// conditions [N, C_c, H, W] (H, W multiples of `downsampling`) -> images [N, C, H, W] in -1...1.
    public func callAsFunction(_ conditions: Variable) throws -> Variable {
        guard conditions.shape.count == 4, conditions.shape[1] == conditionChannels,
              conditions.shape[2] % downsampling == 0, conditions.shape[3] % downsampling == 0, conditions.shape[2] > 0 else {
            throw ModuleError("SPADEGenerator: takes conditions [N, \(conditionChannels), H, W] with H and W multiples of "
                + "\(downsampling), got \(conditions.shape)")
        }
        // The condition at every resolution, coarsest first.
        var pyramid = [conditions]
        for _ in 0..<up.count { pyramid.insert(try pyramid[0].avgPool2d(kernel: 2), at: 0) }
        var h = try fc(pyramid[0])
        h = try head(h, condition: pyramid[0])
        for (level, block) in up.enumerated() {
            h = try block(try h.upsampleNearest(scale: 2), condition: pyramid[level + 1])
        }
        return try conv_img(try h.leakyReLU(slope: 0.2)).tanh()
    }
}

/// pix2pixHD's multi-scale discriminator as SPADE uses it (Wang et al. 2018): `scales` PatchGAN
/// discriminators of the condition and the image concatenated, the first on the full image,
/// each next one on the input averaged down by 2 (3x3 windows at stride 2, padding not counted,
/// as PyTorch's avg_pool2d(count_include_pad=False)). Each returns its intermediate features,
/// for the feature-matching loss, and its logits last.
///
/// One discriminator: conv 4x4 / 2 (C -> w), LeakyReLU; conv 4x4 / 2 (w -> 2w), instance
/// norm, LeakyReLU; conv 4x4 / 1 (2w -> 4w), instance norm, LeakyReLU; conv 4x4 / 1 -> 1 logit
/// per patch (padding 2, as pix2pixHD).
public final class MultiScaleDiscriminator: Module {
    public final class Scale: Module {
        public let convs: [Conv2d]
        public let norms: [GroupNorm]

        init(inputChannels: Int, width: Int, random: inout RandomStream) throws {
            let widths = [inputChannels, width, 2 * width, 4 * width]
            convs = try (0..<3).map { i in
                try Conv2d(inputChannels: widths[i], outputChannels: widths[i + 1], kernelSize: 4, stride: i < 2 ? 2 : 1, padding: 2,
                           random: &random)
            } + [try Conv2d(inputChannels: widths[3], outputChannels: 1, kernelSize: 4, padding: 2, random: &random)]
            norms = try widths[2...3].map { try GroupNorm(groups: $0, channels: $0, affine: false) }
        }

        /// The activations after each of the first three convolutions, then the logits.
        func features(_ x: Variable) throws -> [Variable] {
            var outputs: [Variable] = []
            var h = try convs[0](x).leakyReLU(slope: 0.2)
            outputs.append(h)
            for i in 1..<3 {
                h = try norms[i - 1](try convs[i](h)).leakyReLU(slope: 0.2)
                outputs.append(h)
            }
            outputs.append(try convs[3](h))
            return outputs
        }
    }

    public let scales: [Scale]

    public init(inputChannels: Int, width: Int = 32, scales: Int = 2, random: inout RandomStream) throws {
        guard inputChannels > 0, width > 0, scales > 0 else {
            throw ModuleError("MultiScaleDiscriminator: needs positive channels, width and scales, got \(inputChannels), \(width), \(scales)")
        }
        self.scales = try (0..<scales).map { _ in try Scale(inputChannels: inputChannels, width: width, random: &random) }
    }

    /// The features of each scale for images [N, C, H, W] under their conditions [N, C_c, H, W].
    public func callAsFunction(conditions: Variable, images: Variable) throws -> [[Variable]] {
        try self(try Variable.concat([conditions, images], axis: 1))
    }

    /// The features of each scale for input [N, C_c + C, H, W] (condition and image).
    public func callAsFunction(_ input: Variable) throws -> [[Variable]] {
        var x = input
        return try scales.enumerated().map { index, scale in
            if index > 0 { x = try x.avgPool2d(kernel: 3, stride: 2, padding: 1, countingPadding: false) }
            return try scale.features(x)
        }
    }
}

/// SPADE's losses (the paper's section 3 and appendix A): the hinge loss, and the generator's
/// feature matching (pix2pixHD) with weight 10. The paper's VGG perceptual term needs ImageNet
/// weights medsynth does not have and is left out.
public enum SPADELoss {
    /// The feature-matching weight, the paper's lambda_feat.
    public static let featureMatchingWeight: Float = 10

    /// The discriminator's hinge loss, summed over scales: mean(relu(1 - D(real))) + mean(relu(1 + D(fake))).
    public static func discriminator(real: [[Variable]], fake: [[Variable]]) throws -> Variable {
        var total: Variable? = nil
        for (r, f) in zip(real, fake) {
            let term = try (1 - r.last!).clamp(min: 0).mean() + (1 + f.last!).clamp(min: 0).mean()
            total = try total.map { try $0 + term } ?? term
        }
        return total!
    }

    /// The generator's loss, summed over scales: -mean(D(fake)), plus the weight times the mean
    /// over scales of the L1 distances between the discriminator's features of the fake and of the
    /// real images (the real ones held constant).
    public static func generator(real: [[Variable]], fake: [[Variable]]) throws -> Variable {
        var total: Variable? = nil
        for (r, f) in zip(real, fake) {
            var term = -(try f.last!.mean())
            for (realFeature, fakeFeature) in zip(r.dropLast(), f.dropLast()) {
                term = try term + (try Loss.l1(fakeFeature, realFeature.detached())) * (featureMatchingWeight / Float(real.count))
            }
            total = try total.map { try $0 + term } ?? term
        }
        return total!
    }
}
