import Engine

/// A model that maps images to the latents a diffusion model works in, and back: what `encode`
/// and `decode` apply. `Autoencoder` is one; another first stage encodes as soon as it conforms.
public protocol LatentCodec: DiffusionModel {
    /// The latents of images [N, C, H, W] in the diffusion model's scale, without gradients.
    func diffusionLatents(of images: Tensor) throws -> Tensor
    /// Images from latents in the diffusion model's scale, without gradients.
    func images(fromDiffusionLatents latents: Tensor) throws -> Tensor
}

/// A model that labels every pixel of an image: what `segment` applies.
public protocol ImageSegmenter: DiffusionModel {
    /// C, the channels of the images it takes.
    var imageChannels: Int { get }
    /// The label map [N, 1, H, W] of images [N, C, H, W], each label one of its classes.
    func segment(_ images: Tensor) throws -> Tensor
}

extension Autoencoder: LatentCodec {}

extension Segmenter: ImageSegmenter {}

extension Segmenter: FeatureNetwork {
    public var acceptedChannels: [Int] { [imageChannels] }
    public var imageRange: String { "-1...1 (signed, as it was trained)" }
    public var featureNetworkName: String { kindName }
}
