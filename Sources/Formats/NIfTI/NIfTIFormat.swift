import Engine

/// NIfTI-1 in the registry: a single-file image (`.nii`, or `.nii.gz` compressed with gzip)
/// read as its scaled voxels and written as float32 (see `NIfTIImage` for the layout).
public struct NIfTIFormat: FileFormat {
    /// The format; `FormatRegistry.all` holds the one medsynth uses.
    public init() {}

    public var name: String { "NIfTI-1" }
    public var extensions: [String] { ["nii", "nii.gz"] }
    public var capabilities: FormatCapabilities { FormatCapabilities(reads: [.tensor], writes: [.tensor]) }
    public var reading: String { "the voxels (x fastest, as NumPy reads nibabel's array transposed)" }
    public var writing: String { "a tensor as float32 voxels (gzip-compressed for .nii.gz)" }

    /// gzip's magic number (1F 8B) at offset 0, since the reader recognises compression by it
    /// and not by the name; or a NIfTI-1 header: sizeof_hdr 348 at offset 0 in either byte
    /// order and the magic "n+1\0" (one file) or "ni1\0" (a .hdr/.img pair, which the reader
    /// then refuses by name) at 344.
    public func matches(header: [UInt8]) -> Bool {
        if header.starts(with: [0x1F, 0x8B]) { return true }
        guard header.count >= NIfTIHeader.size else { return false }
        let little: [UInt8] = [0x5C, 0x01, 0x00, 0x00], big: [UInt8] = [0x00, 0x00, 0x01, 0x5C]
        let size = Array(header[0..<4]), magic = Array(header[344..<348])
        return (size == little || size == big) && (magic == Array("n+1\0".utf8) || magic == Array("ni1\0".utf8))
    }

    public func read(_ path: String, options: ReadOptions) throws -> FormatValue {
        .tensor(try NIfTIImage(reading: path).voxels)
    }

    public func readWithGeometry(_ path: String, options: ReadOptions) throws -> (value: FormatValue, geometry: ImageGeometry?, problem: String?) {
        let image = try NIfTIImage(reading: path)
        return (.tensor(image.voxels), image.geometry, image.geometryProblem)
    }

    public func write(_ image: Tensor, geometry: ImageGeometry, to path: String, options: WriteOptions) throws {
        try NIfTIImage.write(image, to: path, geometry: geometry)
    }

    public func write(_ value: FormatValue, to path: String, options: WriteOptions) throws {
        guard case .tensor(let tensor) = value else { throw cannotWrite(value, to: path) }
        try NIfTIImage.write(tensor, to: path)
    }
}
