import Engine

/// Brings full-resolution conditions to the latent's size, so that they can be concatenated
/// with the latent on channels (conditioning by concatenation, as Rombach et al., "High-Resolution
/// Image Synthesis with Latent Diffusion Models", 2022, section 3.3, with a learned encoder for
/// spatial conditions like ControlNet's, Zhang et al., "Adding Conditional Control to
/// Text-to-Image Diffusion Models", 2023, section 3.2):
///
///     h = SiLU(inputConv(c))                      3x3, C_c -> width, full resolution
///     h = SiLU(downsample[i](h))                  3x3 stride 2, width -> width, log2(f) times
///     e = outputConv(h)                           3x3, width -> C_e, at H / f x W / f
///
/// c is for example a one-hot mask (4 channels) and an edge map (1 channel) at 64x64, or a
/// low-resolution image, or a masked image and its mask; e is [N, C_e, H / f, W / f].
///
/// `outputConv` starts at zero (weights and bias), ControlNet's "zero convolution": a new
/// model's encoded condition is exactly zero, so the UNet starts as if unconditioned instead of
/// reading the random features of an untrained encoder, and the conditioning grows from zero as
/// training finds it useful. Training still moves it from the first step: the gradient of
/// `outputConv`'s weights is the UNet's input-convolution gradient times the (non-zero) hidden
/// features; the layers before it receive gradient once those weights have left zero.
public final class ConditionEncoder: Module {
    /// C_c, the channels of the full-resolution condition.
    public let inputChannels: Int
    /// C_e, the channels of the encoded condition.
    public let outputChannels: Int
    /// f: heights and widths are divided by it; a power of two (1 keeps the size).
    public let downsamplingFactor: Int
    public let inputConv: Conv2d
    /// log2(f) stride-2 convolutions.
    public let downsample: [Conv2d]
    /// Zero at initialisation (see above).
    public let outputConv: Conv2d

    /// - Parameters:
    ///   - inputChannels: C_c.
    ///   - outputChannels: C_e.
    ///   - downsamplingFactor: f, a power of two; 4 brings 64x64 to a 16x16 latent.
    ///   - width: the channels of the hidden layers.
    public init(
        inputChannels: Int, outputChannels: Int, downsamplingFactor: Int = 4, width: Int = 32,
        random: inout RandomStream
    ) throws {
        guard downsamplingFactor > 0, downsamplingFactor & (downsamplingFactor - 1) == 0 else {
            throw ModuleError("ConditionEncoder: the downsampling factor must be a power of two, got \(downsamplingFactor)")
        }
        try ModelSize.checkBudget(
            parameters: Self.parameterCount(inputChannels: inputChannels, outputChannels: outputChannels,
                                            downsamplingFactor: downsamplingFactor, width: width),
            model: "condition encoder of width \(width)")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.downsamplingFactor = downsamplingFactor
        inputConv = try Conv2d(inputChannels: inputChannels, outputChannels: width, kernelSize: 3, padding: 1, random: &random)
        downsample = try (0..<downsamplingFactor.trailingZeroBitCount).map { _ in
            try Conv2d(inputChannels: width, outputChannels: width, kernelSize: 3, stride: 2, padding: 1, random: &random)
        }
        outputConv = try Conv2d(inputChannels: width, outputChannels: outputChannels, kernelSize: 3, padding: 1, random: &random)
        outputConv.weight.value = try Tensor.zeros(outputConv.weight.shape)
        outputConv.bias!.value = try Tensor.zeros([outputChannels])
    }

    /// condition: [N, C_c, H, W] with H and W multiples of f -> [N, C_e, H / f, W / f].
    public func callAsFunction(_ condition: Variable) throws -> Variable {
        let shape = condition.shape
        guard shape.count == 4, shape[1] == inputChannels else {
            throw ModuleError("ConditionEncoder: needs a condition [N, \(inputChannels), H, W], got \(describeShape(shape))")
        }
        guard shape[2] > 0, shape[3] > 0, shape[2] % downsamplingFactor == 0, shape[3] % downsamplingFactor == 0 else {
            throw ModuleError("ConditionEncoder: the condition's height and width must be positive multiples of "
                + "the downsampling factor \(downsamplingFactor), got \(shape[2])x\(shape[3])")
        }
        var h = try inputConv(condition).silu()
        for convolution in downsample { h = try convolution(h).silu() }
        return try outputConv(h)
    }
}
