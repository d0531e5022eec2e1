/// The fields of a NIfTI-1 header (nifti1.h) that medsynth uses. The header is 348 bytes:
///
/// ```
/// offset  0  int32     sizeof_hdr   348; read byte-swapped it tells the file's endianness
/// offset 40  int16[8]  dim          dim[0] = number of axes, dim[1...] = extents, x fastest
/// offset 70  int16     datatype     see NIfTIDataType
/// offset 72  int16     bitpix       bits per voxel
/// offset 76  float[8]  pixdim       pixdim[0] = qfac, pixdim[1...] = voxel sizes
/// offset 108 float     vox_offset   where the voxels start in a .nii (>= 352)
/// offset 112 float     scl_slope    value = scl_slope * stored + scl_inter; slope 0 = unscaled
/// offset 116 float     scl_inter
/// offset 252 int16     qform_code   > 0: the quaternion and offsets below place the voxels
/// offset 254 int16     sform_code   > 0: the rows srow_x, srow_y, srow_z do (and win)
/// offset 256 float[3]  quatern_b, c, d; offset 268 float[3] qoffset_x, y, z
/// offset 280 float[12] srow_x, srow_y, srow_z: the affine's first three rows
/// offset 344 char[4]   magic        "n+1\0" for a single .nii file
/// ```
/// followed by 4 bytes of extension flags and any extensions, up to vox_offset.
public struct NIfTIHeader: Equatable, Sendable {
    /// The header's size, which sizeof_hdr must state.
    static let size = 348
    /// Where the voxels of a file with no extensions start.
    static let minimumVoxelOffset = 352

    /// The extent of each axis in NIfTI's order (x, y, z, t, ...), as nibabel's `shape`.
    public var dimensions: [Int]
    /// How the voxels are stored.
    public var dataType: NIfTIDataType
    /// Voxel sizes in the order of `dimensions` (pixdim[1...]).
    public var voxelSizes: [Float]
    /// pixdim[0], the qform handedness (-1 or 1).
    public var qfac: Float
    /// Scaling: value = slope * stored + intercept, applied when slope is finite and not 0.
    public var sclSlope: Float
    /// See `sclSlope`.
    public var sclInter: Float
    /// The byte offset of the voxels in a .nii file.
    public var voxelOffset: Int
    /// Whether the file is big-endian.
    public var isBigEndian: Bool
    /// How the quaternion places the voxels (0: it does not).
    public var qformCode = 0
    /// How the rows of the sform place the voxels (0: they do not).
    public var sformCode = 0
    /// quatern_b, quatern_c, quatern_d.
    public var quaternion: [Float] = [0, 0, 0]
    /// qoffset_x, qoffset_y, qoffset_z.
    public var quaternionOffset: [Float] = [0, 0, 0]
    /// srow_x, srow_y, srow_z.
    public var sform: [[Float]] = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]

    /// Whether the stored values are scaled (nibabel's rule: slope finite and non-zero).
    public var isScaled: Bool { sclSlope.isFinite && sclSlope != 0 && !(sclSlope == 1 && sclInter == 0) }

    /// The number of voxels.
    public var voxelCount: Int { dimensions.reduce(1, *) }

    /// Parses and validates the first 348 bytes of `bytes`; `file` names it in errors.
    static func parse(_ bytes: [UInt8], file: String) throws -> NIfTIHeader {
        guard bytes.count >= size else {
            throw FormatError(file: file, "is truncated: a NIfTI-1 header needs \(size) bytes, the file has \(bytes.count)")
        }
        let little = bytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        let bigEndian: Bool
        if Int32(littleEndian: little) == Int32(size) { bigEndian = false }
        else if Int32(bigEndian: little) == Int32(size) { bigEndian = true }
        else { throw FormatError(file: file, "is not a NIfTI-1 file: sizeof_hdr is not 348 in either byte order") }

        func int16(_ at: Int) -> Int {
            let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Int16.self) }
            return Int(bigEndian ? Int16(bigEndian: raw) : Int16(littleEndian: raw))
        }
        func float(_ at: Int) -> Float {
            let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
            return Float(bitPattern: bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
        }

        let magic = Array(bytes[344..<348])
        guard magic == Array("n+1\0".utf8) else {
            let shown = magic == Array("ni1\0".utf8) ? "\"ni1\" (a .hdr/.img pair, not supported)" : "\(magic)"
            throw FormatError(file: file, "is not a single-file NIfTI-1 image: magic is \(shown), expected \"n+1\"")
        }
        let rank = int16(40)
        guard (1...7).contains(rank) else { throw FormatError(file: file, "dim[0] is \(rank), expected 1 to 7 axes") }
        let dimensions = (1...rank).map { int16(40 + 2 * $0) }
        guard dimensions.allSatisfy({ $0 > 0 }) else {
            throw FormatError(file: file, "dim \(dimensions) has an extent that is not positive")
        }
        // At most 2^40 voxels: more than any file holds, and a product that cannot overflow.
        guard dimensions.reduce(1.0, { $0 * Double($1) }) <= 0x1p40 else {
            throw FormatError(file: file, "dim \(dimensions) describes more voxels than any file can hold")
        }
        let code = Int16(int16(70))
        guard let dataType = NIfTIDataType(rawValue: code) else {
            throw FormatError(file: file, "datatype \(code) is not supported (supported: \(NIfTIDataType.allCases.map { "\($0) (\($0.rawValue))" }.joined(separator: ", ")))")
        }
        let bitpix = int16(72)
        guard bitpix == dataType.byteCount * 8 else {
            throw FormatError(file: file, "bitpix \(bitpix) does not match datatype \(dataType) (\(dataType.byteCount * 8) bits)")
        }
        let offset = float(108)
        guard offset.isFinite, offset >= Float(minimumVoxelOffset), offset < 2_147_483_648 else {
            throw FormatError(file: file, "vox_offset \(offset) is not a valid voxel offset (at least \(minimumVoxelOffset))")
        }
        var header = NIfTIHeader(
            dimensions: dimensions, dataType: dataType,
            voxelSizes: (1...rank).map { float(76 + 4 * $0) }, qfac: float(76),
            sclSlope: float(112), sclInter: float(116), voxelOffset: Int(offset), isBigEndian: bigEndian)
        header.qformCode = int16(252)
        header.sformCode = int16(254)
        header.quaternion = (0..<3).map { float(256 + 4 * $0) }
        header.quaternionOffset = (0..<3).map { float(268 + 4 * $0) }
        header.sform = (0..<3).map { row in (0..<4).map { float(280 + 16 * row + 4 * $0) } }
        return header
    }

    /// Where the voxels lie, as nibabel's `img.affine` says: from the sform when its code is
    /// above 0, else from the qform when its code is, else nibabel's fallback from the voxel
    /// sizes alone (centred, x flipped). A quaternion or row that is not finite, or a voxel size
    /// that is not, is an error: `file` names the file.
    func geometry(file: String) throws -> ImageGeometry {
        // Voxel sizes that are not above 0 count as 1, as nifti1_io reads them.
        let sizes = (0..<3).map { $0 < voxelSizes.count && voxelSizes[$0] > 0 ? Double(voxelSizes[$0]) : 1 }
        let rank = dimensions.count
        func refuse(_ what: String) -> FormatError { FormatError(file: file, "\(what) is not finite; the image's geometry cannot be read") }
        guard voxelSizes.allSatisfy(\.isFinite) else { throw refuse("a voxel size") }
        // Spacing in the tensor's order: the dimensions reversed, beyond 3 axes unit-free.
        let spacing = (0..<rank).reversed().map { $0 < voxelSizes.count && voxelSizes[$0] > 0 ? Double(voxelSizes[$0]) : 1 }
        if sformCode > 0 {
            guard sform.joined().allSatisfy(\.isFinite) else { throw refuse("the sform") }
            return ImageGeometry(spacing: spacing, affine: sform.map { $0.map(Double.init) } + [[0, 0, 0, 1]], source: "sform")
        }
        if qformCode > 0 {
            guard (quaternion + quaternionOffset + [qfac]).allSatisfy(\.isFinite) else { throw refuse("the qform") }
            // The rotation of the unit quaternion (a, b, c, d), a from the other three; a
            // quaternion a little longer than 1 (rounding) is normalised, as nibabel does.
            var (b, c, d) = (Double(quaternion[0]), Double(quaternion[1]), Double(quaternion[2]))
            var a = 1 - (b * b + c * c + d * d)
            if a < 1e-7 {
                let norm = (b * b + c * c + d * d).squareRoot()
                (b, c, d) = (b / norm, c / norm, d / norm)
                a = 0
            } else {
                a = a.squareRoot()
            }
            let rotation = [
                [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
                [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
                [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
            ]
            let handedness = qfac < 0 ? -1.0 : 1.0
            let scales = [sizes[0], sizes[1], sizes[2] * handedness]
            let affine = (0..<3).map { row in (0..<3).map { rotation[row][$0] * scales[$0] } + [Double(quaternionOffset[row])] }
            return ImageGeometry(spacing: spacing, affine: affine + [[0, 0, 0, 1]], source: "qform")
        }
        // nibabel's get_base_affine: voxel sizes on the diagonal, x negated, centred on the
        // middle voxel.
        var affine: [[Double]] = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
        for axis in 0..<3 {
            let extent = Double(axis < rank ? dimensions[axis] : 1)
            affine[axis][axis] = sizes[axis]
            affine[axis][3] = -(extent - 1) / 2 * sizes[axis]
        }
        affine[0] = affine[0].map { -$0 }
        return ImageGeometry(spacing: spacing, affine: affine + [[0, 0, 0, 1]], source: "pixdim")
    }

    /// The 352 bytes (header and an empty extension flag) of a little-endian .nii file.
    func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: NIfTIHeader.minimumVoxelOffset)
        func put<T: FixedWidthInteger>(_ value: T, at: Int) {
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(at..<at + $0.count, with: $0) }
        }
        put(Int32(NIfTIHeader.size), at: 0)
        put(Int16(dimensions.count), at: 40)
        for (axis, extent) in dimensions.enumerated() { put(Int16(extent), at: 42 + 2 * axis) }
        for axis in dimensions.count..<7 { put(Int16(1), at: 42 + 2 * axis) }
        put(dataType.rawValue, at: 70)
        put(Int16(dataType.byteCount * 8), at: 72)
        put(qfac.bitPattern, at: 76)
        for (axis, size) in voxelSizes.enumerated() { put(size.bitPattern, at: 80 + 4 * axis) }
        put(Float(voxelOffset).bitPattern, at: 108)
        put(sclSlope.bitPattern, at: 112)
        put(sclInter.bitPattern, at: 116)
        put(UInt8(2), at: 123)  // xyzt_units: millimetres
        put(Int16(qformCode), at: 252)
        put(Int16(sformCode), at: 254)
        for (index, value) in quaternion.enumerated() { put(value.bitPattern, at: 256 + 4 * index) }
        for (index, value) in quaternionOffset.enumerated() { put(value.bitPattern, at: 268 + 4 * index) }
        for (row, values) in sform.enumerated() {
            for (column, value) in values.enumerated() { put(value.bitPattern, at: 280 + 16 * row + 4 * column) }
        }
        bytes.replaceSubrange(344..<348, with: Array("n+1\0".utf8))
        return bytes
    }
}
