import Engine

/// PNG in the registry: an image read as intensities in 0...1, and a tensor of intensities
/// written as an 8-bit image (see `PNGImage` for the layouts and what libpng converts).
public struct PNGFormat: FileFormat {
    /// The format; `FormatRegistry.all` holds the one medsynth uses.
    public init() {}

    public var name: String { "PNG" }
    public var extensions: [String] { ["png"] }
    public var capabilities: FormatCapabilities { FormatCapabilities(reads: [.tensor], writes: [.tensor]) }
    public var reading: String { "[C, H, W] scaled to 0...1" }
    public var writing: String { "a tensor of values 0...1, stored as 0...255 ([H, W], [1, H, W], [3, H, W] or a batch of one)" }

    /// The 8-byte PNG signature at offset 0.
    public func matches(header: [UInt8]) -> Bool {
        header.starts(with: PNGImage.signature)
    }

    /// The pixels divided by the largest value of the file's bit depth: 255, or 65535 for a
    /// 16-bit file.
    public func read(_ path: String, options: ReadOptions) throws -> FormatValue {
        .tensor(try PNGImage(reading: path).intensities)
    }

    /// One image, `[H, W]`, `[1, H, W]` or `[3, H, W]`, after dropping leading axes of 1 (a batch
    /// of one, `[1, 1, H, W]`); values 0...1 become 0...255, rounded.
    public func write(_ value: FormatValue, to path: String, options: WriteOptions) throws {
        guard case .tensor(let tensor) = value else { throw cannotWrite(value, to: path) }
        var image = tensor
        while image.rank > 3, image.shape[0] == 1 { image = try image.squeezed([0]) }
        guard image.rank == 2 || (image.rank == 3 && [1, 3].contains(image.shape[0])) else {
            throw FormatError(file: path, "a PNG holds one image, [H, W], [1, H, W] or [3, H, W] (or a batch of one), "
                + "not a tensor of shape \(describeShape(tensor.shape)); write a batch one image at a time, or as a grid")
        }
        try PNGImage.write(image * 255, to: path)
    }
}
