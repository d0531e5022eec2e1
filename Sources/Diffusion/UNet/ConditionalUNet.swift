import Engine

/// The second-stage network with its conditions: the condition encoder brings the
/// full-resolution condition to the latent's size, and the UNet sees both on its channels:
///
///     prediction = unet(concat(z_t, encoder(c)), t)
///
/// z_t is [N, C, h, w]; c is [N, C_c, H, W] with the groups of `layout` on its channels, and
/// H / f = h. Without an encoder the condition is concatenated as it is (f = 1), as diffusers'
/// and MONAI's conditioned UNets take theirs: `unet(concat(z_t, c), t)`. In training, each group of each sample is replaced by zeros with its own
/// probability (`ConditionLayout`), so that classifier-free guidance (ClassifierFreeGuidance.swift)
/// can compare the prediction with and without any chosen groups.
public final class ConditionalUNet: Module {
    /// The condition's groups, in channel order.
    public let layout: ConditionLayout
    /// The learned condition encoder, or nil when the condition goes in as it is.
    public let encoder: ConditionEncoder?
    /// medsynth's `UNet`, or diffusers' and MONAI's (`DiffusersUNet`).
    public let unet: any DenoisingBackbone

    /// Joins an encoder (or none) and a UNet: the encoder must read the layout's channels, and
    /// the UNet must read the latent's channels followed by the encoder's (or the condition's).
    public init(layout: ConditionLayout, encoder: ConditionEncoder?, unet: any DenoisingBackbone) throws {
        let encoded = encoder?.outputChannels ?? layout.channels
        if let encoder, encoder.inputChannels != layout.channels {
            throw ModuleError("ConditionalUNet: the encoder reads \(encoder.inputChannels) channels, "
                + "the condition groups have \(layout.channels)")
        }
        let what = encoder == nil ? "the condition's" : "the encoder's"
        guard unet.inputChannels > encoded else {
            throw ModuleError("ConditionalUNet: the UNet reads \(unet.inputChannels) channels, which leaves "
                + "none for the latent beside \(what) \(encoded)")
        }
        guard unet.outputChannels == unet.inputChannels - encoded else {
            throw ModuleError("ConditionalUNet: the UNet predicts \(unet.outputChannels) channels, but its input leaves "
                + "\(unet.inputChannels - encoded) for the latent beside \(what) \(encoded)")
        }
        self.layout = layout
        self.encoder = encoder
        self.unet = unet
    }

    /// C_e, the channels the condition has on the UNet's input: the encoder's output, or the
    /// condition's own.
    public var encodedChannels: Int { encoder?.outputChannels ?? layout.channels }

    /// f: how much larger the condition is than the latent (1 without an encoder).
    public var downsamplingFactor: Int { encoder?.downsamplingFactor ?? 1 }

    /// C, the latent's channels: the UNet's input channels less the encoded condition's.
    public var latentChannels: Int { unet.inputChannels - encodedChannels }

    /// The training forward pass. In training mode each condition group of each sample is first
    /// replaced by zeros with its probability (drawn from `random`), and `random` then feeds the
    /// UNet's dropout; in evaluation mode the condition is used as given.
    ///
    /// latent: [N, C, h, w], condition: [N, C_c, h f, w f], timesteps: [N] -> [N, C_out, h, w].
    public func callAsFunction(
        latent: Variable, condition: Tensor, timesteps: Tensor, random: inout RandomStream
    ) throws -> Variable {
        let used = isTraining
            ? try layout.zeroing(condition, drops: layout.drawDrops(samples: condition.shape.first ?? 0, random: &random))
            : condition
        return try network(latent: latent, condition: used, timesteps: timesteps, random: &random)
    }

    /// `callAsFunction(latent:condition:timesteps:random:)` with integer timesteps.
    public func callAsFunction(
        latent: Variable, condition: Tensor, timesteps: [Int], random: inout RandomStream
    ) throws -> Variable {
        try self(latent: latent, condition: condition, timesteps: Tensor(timesteps.map(Float.init)), random: &random)
    }

    /// The network on the condition exactly as given: no condition dropped, no dropout. In
    /// training mode this refuses a model that would drop conditions or use dropout, which
    /// need the `random:` form.
    public func callAsFunction(latent: Variable, condition: Tensor, timesteps: [Int]) throws -> Variable {
        if isTraining, let group = layout.groups.first(where: { $0.dropProbability > 0 }) {
            throw ModuleError("ConditionalUNet: in training mode the condition group \"\(group.name)\" is dropped with "
                + "probability \(group.dropProbability), which needs a random stream: call it with random:, "
                + "or switch to evaluation with setTraining(false)")
        }
        var unused = RandomStream(seed: 0)
        try unet.requireNoActiveDropout()
        return try network(latent: latent, condition: condition, timesteps: Tensor(timesteps.map(Float.init)), random: &unused)
    }

    /// unet(concat(latent, encoder(condition)), t), checking that the sizes meet.
    func network(latent: Variable, condition: Tensor, timesteps: Tensor, random: inout RandomStream) throws -> Variable {
        try checkSizes(latent: latent.shape, condition: condition.shape)
        let encoded = try encoder.map { try $0(Variable(condition)) } ?? Variable(condition)
        return try unet(Variable.concat([latent, encoded], axis: 1), timesteps: timesteps, random: &random)
    }

    /// Throws, naming what is wrong, unless the latent is [N, C, h, w] and the condition
    /// [N, C_c, h f, w f].
    func checkSizes(latent: [Int], condition: [Int]) throws {
        try layout.checkShape(condition)
        guard latent.count == 4, latent[1] == latentChannels else {
            throw ModuleError("ConditionalUNet: needs a latent [N, \(latentChannels), h, w], got \(describeShape(latent))")
        }
        let f = downsamplingFactor
        guard condition[0] == latent[0], condition[2] == latent[2] * f, condition[3] == latent[3] * f else {
            throw ModuleError("ConditionalUNet: a latent \(describeShape(latent)) needs a condition "
                + "[\(latent[0]), \(layout.channels), \(latent[2] * f), \(latent[3] * f)] "
                + "(downsampling factor \(f)), got \(describeShape(condition))")
        }
    }
}
