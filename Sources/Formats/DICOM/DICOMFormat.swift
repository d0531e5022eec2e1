/// DICOM in the registry: an image in any transfer syntax GDCM decodes, greyscale read as its
/// modality values, colour as RGB (see `DICOMImage`).
/// medsynth writes no DICOM.
public struct DICOMFormat: FileFormat {
    /// The format; `FormatRegistry.all` holds the one medsynth uses.
    public init() {}

    public var name: String { "DICOM" }
    public var extensions: [String] { ["dcm", "dicom"] }
    public var capabilities: FormatCapabilities { FormatCapabilities(reads: [.tensor], writes: []) }
    public var reading: String {
        "any transfer syntax GDCM decodes (uncompressed, RLE, JPEG, JPEG-LS, JPEG 2000); greyscale pixels [F, H, W] as "
            + "modality values (the rescale slope and intercept applied, or the Modality LUT Sequence when there is one; "
            + "a MONOCHROME1 image, where 0 is white, is inverted over its stored range first, so that larger values are "
            + "brighter in every image); colour as RGB [3, H, W] ([F, 3, H, W] with several frames: YBR converted, a "
            + "palette applied)"
    }
    public var writing: String { "" }

    /// "DICM" after the 128-byte preamble (PS3.10 7.1), which the reader requires too.
    public func matches(header: [UInt8]) -> Bool {
        header.count >= 132 && header[128..<132].elementsEqual("DICM".utf8)
    }

    public func read(_ path: String, options: ReadOptions) throws -> FormatValue {
        .tensor(try DICOMImage(reading: path).pixels)
    }

    public func readWithGeometry(_ path: String, options: ReadOptions) throws -> (value: FormatValue, geometry: ImageGeometry?, problem: String?) {
        let image = try DICOMImage(reading: path)
        return (.tensor(image.pixels), image.geometry, image.geometryProblem ?? (image.geometry == nil ? "it has no Pixel Spacing (0028,0030)" : nil))
    }

    public func write(_ value: FormatValue, to path: String, options: WriteOptions) throws {
        throw cannotWrite(value, to: path)
    }
}
