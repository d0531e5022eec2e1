import Engine

/// The network inside a `ConditionalUNet`: the noisy latent with the encoded conditions on its
/// channels, and the timesteps, to the prediction at the same size. medsynth's own `UNet` is
/// one; diffusers' and MONAI's UNet (`DiffusersUNet`) is another, so a model of either
/// architecture trains, samples and is guided the same way.
public protocol DenoisingBackbone: Module {
    /// The channels it reads: the latent's and the encoded conditions'.
    var inputChannels: Int { get }
    /// The channels of its prediction.
    var outputChannels: Int { get }
    /// Heights and widths of its input must be multiples of this.
    var sizeMultiple: Int { get }
    /// x: [N, C_in, H, W], timesteps: N values -> [N, C_out, H, W]; `random` feeds dropout.
    func callAsFunction(_ x: Variable, timesteps: Tensor, random: inout RandomStream) throws -> Variable
    /// Throws unless dropout is inactive, for callers without a random stream.
    func requireNoActiveDropout() throws
    /// The configuration entries that rebuild it (`ConditionalUNet+Checkpoint.swift`), with
    /// "backbone" naming the architecture.
    var checkpointEntries: [String: String] { get }
}

extension DenoisingBackbone {
    /// The forward pass without active dropout (dropout 0, or evaluation mode).
    public func callAsFunction(_ x: Variable, timesteps: Tensor) throws -> Variable {
        try requireNoActiveDropout()
        var unused = RandomStream(seed: 0)
        return try self(x, timesteps: timesteps, random: &unused)
    }
}

extension UNet: DenoisingBackbone {
    public var inputChannels: Int { configuration.inputChannels }
    public var outputChannels: Int { configuration.outputChannels }
    public var sizeMultiple: Int { configuration.sizeMultiple }
    /// A checkpoint without "backbone" holds this architecture (all written before there were two).
    public var checkpointEntries: [String: String] { configuration.checkpointEntries }
}

extension DiffusersUNet: DenoisingBackbone {
    public var inputChannels: Int { configuration.inputChannels }
    public var outputChannels: Int { configuration.outputChannels }
    public var sizeMultiple: Int { configuration.sizeMultiple }
    public var checkpointEntries: [String: String] {
        ["backbone": Self.checkpointBackbone, "backbone.config": configuration.entries.serialized]
    }

    /// The value of "backbone" in a conditional UNet's checkpoint with this network inside.
    public static let checkpointBackbone = "diffusers-unet2d"
}
