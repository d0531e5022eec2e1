import Engine

/// A NIfTI-1 image (`.nii`, or `.nii.gz` compressed with gzip): its header and its voxels.
///
/// Layout: NIfTI stores x fastest, then y, z, t. The tensor keeps that memory order and so has
/// the dimensions reversed, `[t, z, y, x]` (or `[z, y, x]`, `[y, x]`), which makes each slice a
/// row-major `[H, W]` image as Engine expects. nibabel's `get_fdata()` array is indexed the other
/// way round: `tensor[t, z, y, x] == nibabel_array[x, y, z, t]`.
///
/// Values are scaled as nibabel scales them: `scl_slope * stored + scl_inter` when scl_slope is
/// finite and not 0, the stored values otherwise; computed in Double, stored as Float.
public struct NIfTIImage: Sendable {
    /// The header as read (or as written).
    public var header: NIfTIHeader
    /// The scaled voxels, shaped as the reversed `header.dimensions`.
    public var voxels: Tensor
    /// Where the voxels lie (see `NIfTIHeader.geometry`); nil when the header's geometry is
    /// malformed (then `geometryProblem` says how: the voxels are still read).
    public var geometry: ImageGeometry?
    /// Why the header's geometry cannot be read.
    public var geometryProblem: String?

    /// Deflate expands at most 1032:1; a .nii.gz header that promises more voxel bytes than that
    /// is lying, and is refused before anything is allocated.
    static let maximumExpansion = 1032

    /// Reads a .nii or .nii.gz file (gzip is recognised by its magic bytes, not by the name).
    public init(reading path: String) throws {
        let file = try PosixFile.openForReading(path)
        let contents = try file.read(at: 0, count: try file.size())
        let isGzip = contents.count >= 2 && contents[0] == 0x1F && contents[1] == 0x8B
        let head = isGzip
            ? try Gzip.decompress(contents, upTo: NIfTIHeader.size, verifyToEnd: false, file: path)
            : Array(contents.prefix(NIfTIHeader.size))
        let header = try NIfTIHeader.parse(head, file: path)

        // parse keeps voxelCount within 2^40 and voxelOffset below 2^31: this cannot overflow.
        let needed = header.voxelOffset + header.voxelCount * header.dataType.byteCount
        if isGzip && needed > (contents.count + 1024) * NIfTIImage.maximumExpansion {
            throw FormatError(file: path, "header promises \(needed) bytes, more than \(contents.count) gzip-compressed bytes can hold; the file is corrupt")
        }
        // The decompressed image and the Float voxels, checked before either is allocated; the
        // gzip stream is inflated only up to the bytes the header declares.
        let (voxelBytes, overflow) = header.voxelCount.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        try MemoryBudget.check(bytes: overflow ? Int.max : (isGzip ? needed : 0) + voxelBytes,
                               for: "NIfTI image \(path) (dim \(header.dimensions), \(header.dataType))")
        let image = isGzip ? try Gzip.decompress(contents, upTo: needed, verifyToEnd: true, file: path) : contents
        guard image.count >= needed else {
            throw FormatError(file: path, "is truncated: dim \(header.dimensions) of \(header.dataType) needs \(needed) bytes, but the image has \(image.count)")
        }

        let count = header.voxelCount
        var values = [Float](repeating: 0, count: count)
        image.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { out in
                header.dataType.decode(UnsafeRawBufferPointer(rebasing: raw[header.voxelOffset..<needed]),
                                       count: count, bigEndian: header.isBigEndian, into: out)
            }
        }
        if header.isScaled {
            let slope = Double(header.sclSlope), intercept = Double(header.sclInter)
            for i in values.indices { values[i] = Float(slope * Double(values[i]) + intercept) }
        }
        self.header = header
        self.voxels = try Tensor(shape: header.dimensions.reversed(), scalars: values)
        do {
            self.geometry = try header.geometry(file: path)
        } catch {
            self.geometryProblem = "\(error)"
        }
    }

    /// Writes `voxels` (shaped `[t, z, y, x]`, `[z, y, x]` or `[y, x]`: NIfTI's dimensions reversed)
    /// to `path`, gzip-compressed when the name ends in `.gz` (in any letter case), atomically.
    ///
    /// `voxelSizes` are in NIfTI's order (x, y, z, t), one per axis; 1 when not given. As `int16`,
    /// values are clamped to -32768...32767 and rounded to the nearest integer, and NaN is an
    /// error; as `float32` they are stored unchanged. No scaling is written (slope 1, intercept 0).
    ///
    /// With a `geometry`, its affine is written as the sform (code 1, scanner coordinates) and
    /// its spacing as the voxel sizes, so that nibabel and `NIfTIHeader.geometry` read both back;
    /// a geometry from the voxel sizes alone ("pixdim", "none") writes no sform, as it was read.
    public static func write(
        _ voxels: Tensor, to path: String, dataType: NIfTIDataType = .float32, voxelSizes: [Float]? = nil,
        geometry: ImageGeometry? = nil
    ) throws {
        let dimensions = Array(voxels.shape.reversed())
        guard (1...7).contains(dimensions.count), dimensions.allSatisfy({ (1...Int(Int16.max)).contains($0) }) else {
            throw FormatError(file: path, "cannot write a tensor of shape \(voxels.shape) as NIfTI-1: it needs 1 to 7 axes of 1 to 32767 voxels")
        }
        guard dataType == .float32 || dataType == .int16 else {
            throw FormatError(file: path, "cannot write NIfTI-1 as \(dataType): medsynth writes float32 or int16")
        }
        var sizes = voxelSizes ?? Array(repeating: 1, count: dimensions.count)
        if let geometry {
            guard geometry.spacing.count == dimensions.count, geometry.affine.count == 4, geometry.affine.allSatisfy({ $0.count == 4 }),
                  (geometry.spacing + geometry.affine.joined()).allSatisfy({ $0.isFinite && Float($0).isFinite }) else {
                throw FormatError(file: path, "the geometry does not fit a tensor of shape \(voxels.shape), or is not finite")
            }
            sizes = geometry.spacing.reversed().map(Float.init)
        }
        guard sizes.count == dimensions.count else {
            throw FormatError(file: path, "\(sizes.count) voxel sizes given for \(dimensions.count) axes")
        }
        if dataType == .int16, voxels.scalars.contains(where: \.isNaN) {
            throw FormatError(file: path, "cannot write a tensor holding NaN as int16")
        }
        var header = NIfTIHeader(
            dimensions: dimensions, dataType: dataType, voxelSizes: sizes, qfac: 1, sclSlope: 1, sclInter: 0,
            voxelOffset: NIfTIHeader.minimumVoxelOffset, isBigEndian: false)
        if let geometry, geometry.source != "pixdim", geometry.source != "none" {
            header.sformCode = 1
            header.sform = geometry.affine.prefix(3).map { $0.map(Float.init) }
        }
        var bytes = header.encoded()
        bytes.reserveCapacity(bytes.count + voxels.count * dataType.byteCount)
        for value in voxels.scalars {
            if dataType == .int16 {
                withUnsafeBytes(of: Int16(min(max(value, -32768), 32767).rounded()).littleEndian) { bytes.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        let encoded = path.lowercased().hasSuffix(".gz") ? try Gzip.compress(bytes, file: path) : bytes
        try AtomicWrite.write(path) { try $0.write(encoded) }
    }
}
