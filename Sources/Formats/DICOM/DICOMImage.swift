import Engine

/// A greyscale DICOM image (uncompressed Implicit or Explicit VR Little Endian).
///
/// Layout: `pixels` is `[F, H, W]`: frames (1 unless Number of Frames says more), Rows,
/// Columns, row-major as stored.
///
/// Values are the modality values, as pydicom's `apply_modality_lut` gives them:
/// `RescaleSlope * stored + RescaleIntercept` (slope 1 and intercept 0 when absent), so a CT
/// reads in Hounsfield units; or, when the file has a Modality LUT Sequence (0028,3000), its
/// first item's table instead of the rescale: `LUTData[clamp(stored - first, 0, entries - 1)]`
/// with (entries, first, bits) its LUT Descriptor (0028,3002) (0 entries meaning 65536; the
/// first value signed when the descriptor's VR is SS, or in implicit VR when
/// PixelRepresentation is 1). Stored values are the low BitsStored bits of each BitsAllocated
/// sample, sign-extended when PixelRepresentation is 1. MONOCHROME1 images (where 0 is white)
/// are inverted before rescaling (or the table), `stored' = min + max - stored` over BitsStored's
/// range, so that larger values are brighter in every image medsynth reads.
public struct DICOMImage: Sendable {
    /// The modality values, `[F, H, W]`.
    public var pixels: Tensor
    /// (0028,0004): "MONOCHROME1" or "MONOCHROME2".
    public var photometricInterpretation: String
    /// (0028,0100) and (0028,0101): bits per sample, and how many of them carry the value.
    public var bitsAllocated: Int
    /// See `bitsAllocated`.
    public var bitsStored: Int
    /// (0028,0103): 0 unsigned, 1 two's complement.
    public var pixelRepresentation: Int
    /// Where the pixels lie, from Pixel Spacing (0028,0030), Slice Thickness (0018,0050) or
    /// Spacing Between Slices (0018,0088), Image Orientation (0020,0037) and Image Position
    /// (Patient) (0020,0032); nil without a pixel spacing, or when one of them is malformed
    /// (then `geometryProblem` says how: the pixels are still read).
    public var geometry: ImageGeometry?
    /// Why a geometry the file states cannot be read.
    public var geometryProblem: String?
    /// (0028,1053) and (0028,1052).
    public var rescaleSlope: Double
    /// See `rescaleSlope`.
    public var rescaleIntercept: Double
    /// The Modality LUT Sequence's table, when the file has one (it replaces the rescale).
    public var modalityLUT: ModalityLUT?

    /// A Modality LUT (PS3.3 C.11.1): stored values from `firstMapped` on map to `data`.
    public struct ModalityLUT: Sendable, Equatable {
        public var firstMapped: Int
        public var bits: Int
        public var data: [Int]

        /// The modality value of a stored value; values outside the table take its first or last entry.
        public func map(_ stored: Int64) -> Int {
            data[Int(max(0, min(stored - Int64(firstMapped), Int64(data.count - 1))))]
        }
    }

    private typealias Tag = DICOMDataSet.Tag

    /// Reads the DICOM file at `path`.
    public init(reading path: String) throws {
        let file = try PosixFile.openForReading(path)
        try self.init(decoding: try file.read(at: 0, count: try file.size()), file: path)
    }

    /// Decodes the bytes of a DICOM file; `file` names it in errors.
    public init(decoding bytes: [UInt8], file: String) throws {
        let dataSet = try DICOMDataSet(bytes: bytes, file: file)
        func required(_ element: UInt16, _ name: String) throws -> Int {
            guard let value = try dataSet.unsignedShort(Tag(group: 0x0028, element: element), name, file: file) else {
                throw FormatError(file: file, "has no \(name) \(Tag(group: 0x0028, element: element))")
            }
            return value
        }
        let rows = try required(0x0010, "Rows"), columns = try required(0x0011, "Columns")
        let bitsAllocated = try required(0x0100, "Bits Allocated")
        let bitsStored = try dataSet.unsignedShort(Tag(group: 0x0028, element: 0x0101), "Bits Stored", file: file) ?? bitsAllocated
        let representation = try required(0x0103, "Pixel Representation")
        let samples = try dataSet.unsignedShort(Tag(group: 0x0028, element: 0x0002), "Samples per Pixel", file: file) ?? 1
        let photometric = dataSet.string(Tag(group: 0x0028, element: 0x0004)) ?? "MONOCHROME2"
        let frameCount = try dataSet.number(Tag(group: 0x0028, element: 0x0008), "Number of Frames", file: file) ?? 1
        guard frameCount >= 1, frameCount < 0x1p20 else {
            throw FormatError(file: file, "Number of Frames (0028,0008) is \(frameCount), expected 1 to 2^20")
        }
        let frames = Int(frameCount)

        guard samples == 1, photometric == "MONOCHROME1" || photometric == "MONOCHROME2" else {
            throw FormatError(file: file, "is \(photometric) with \(samples) samples per pixel; medsynth reads greyscale (MONOCHROME1 or MONOCHROME2) only")
        }
        guard [8, 16, 32].contains(bitsAllocated), (1...bitsAllocated).contains(bitsStored), representation <= 1 else {
            throw FormatError(file: file, "has Bits Allocated \(bitsAllocated), Bits Stored \(bitsStored), Pixel Representation \(representation); expected 8, 16 or 32 bits, at most that many stored, representation 0 or 1")
        }
        guard rows > 0, columns > 0 else {
            throw FormatError(file: file, "has \(rows)x\(columns) pixels per frame: nothing to read")
        }
        guard let pixelData = dataSet.value(Tag(group: 0x7FE0, element: 0x0010)) else {
            throw FormatError(file: file, "has no Pixel Data (7FE0,0010)")
        }
        let count = frames * rows * columns
        let sampleBytes = bitsAllocated / 8
        guard pixelData.count >= count * sampleBytes else {
            throw FormatError(file: file, object: "Pixel Data (7FE0,0010)",
                "holds \(pixelData.count) bytes, but \(frames) frames of \(rows)x\(columns) at \(bitsAllocated) bits need \(count * sampleBytes)")
        }

        let slope = try dataSet.number(Tag(group: 0x0028, element: 0x1053), "Rescale Slope", file: file) ?? 1
        let intercept = try dataSet.number(Tag(group: 0x0028, element: 0x1052), "Rescale Intercept", file: file) ?? 0
        // The stored value's range, for sign extension and MONOCHROME1 inversion.
        let signed = representation == 1
        let lowest: Int64 = signed ? -(1 << (bitsStored - 1)) : 0
        let highest: Int64 = signed ? (1 << (bitsStored - 1)) - 1 : (1 << bitsStored) - 1
        let mask: UInt64 = (1 << UInt64(bitsStored)) - 1
        let invert = photometric == "MONOCHROME1"
        let lut = try Self.modalityLUT(of: dataSet, signedPixels: signed, file: file)

        try MemoryBudget.check(count: count, bytesPerValue: MemoryLayout<Float>.stride,
                               for: "DICOM image \(file) (\(frames) frames of \(rows) x \(columns))")
        var values = [Float](repeating: 0, count: count)
        pixelData.withUnsafeBytes { raw in
            for i in 0..<count {
                var sample: UInt64 = 0
                for byte in 0..<sampleBytes { sample |= UInt64(raw[i * sampleBytes + byte]) << (8 * UInt64(byte)) }
                sample &= mask
                var stored = Int64(sample)
                if signed && stored > highest { stored -= Int64(mask) + 1 }
                if invert { stored = lowest + highest - stored }
                values[i] = lut.map { Float($0.map(stored)) } ?? Float(slope * Double(stored) + intercept)
            }
        }
        self.pixels = try Tensor(shape: [frames, rows, columns], scalars: values)
        self.photometricInterpretation = photometric
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.pixelRepresentation = representation
        self.rescaleSlope = slope
        self.rescaleIntercept = intercept
        self.modalityLUT = lut
        do {
            self.geometry = try Self.geometry(of: dataSet, file: file)
        } catch {
            self.geometryProblem = "\(error)"
        }
    }

    /// The first item of the Modality LUT Sequence (0028,3000), or nil without one. Its LUT
    /// Data (0028,3006) are 16-bit words in the file's (little-endian) order, at least as many
    /// as the descriptor's entries, each within the descriptor's bits.
    private static func modalityLUT(of dataSet: DICOMDataSet, signedPixels: Bool, file: String) throws -> ModalityLUT? {
        let sequence = Tag(group: 0x0028, element: 0x3000)
        guard let item = try dataSet.items(of: sequence, file: file).first else { return nil }
        let descriptorTag = Tag(group: 0x0028, element: 0x3002), dataTag = Tag(group: 0x0028, element: 0x3006)
        func words(_ range: Range<Int>) -> [Int] {
            stride(from: range.lowerBound, to: range.upperBound - 1, by: 2).map { Int(dataSet.bytes[$0]) | Int(dataSet.bytes[$0 + 1]) << 8 }
        }
        guard let descriptor = item.elements[descriptorTag], let data = item.elements[dataTag] else {
            throw FormatError(file: file, object: "Modality LUT Sequence \(sequence)",
                "has no \(item.elements[descriptorTag] == nil ? "LUT Descriptor \(descriptorTag)" : "LUT Data \(dataTag)")")
        }
        let values = words(descriptor.range)
        guard values.count == 3 else {
            throw FormatError(file: file, object: "LUT Descriptor \(descriptorTag)", "holds \(values.count) values, expected 3")
        }
        let entries = values[0] == 0 ? 65536 : values[0]
        let signedFirst = descriptor.vr == "SS" || (descriptor.vr.isEmpty && signedPixels)
        let first = signedFirst && values[1] >= 0x8000 ? values[1] - 0x10000 : values[1]
        let bits = values[2]
        guard bits == 8 || bits == 16 else {
            throw FormatError(file: file, object: "LUT Descriptor \(descriptorTag)", "gives \(bits) bits per entry, expected 8 or 16")
        }
        let table = words(data.range)
        guard table.count >= entries else {
            throw FormatError(file: file, object: "LUT Data \(dataTag)", "holds \(table.count) entries, but its descriptor promises \(entries)")
        }
        if let beyond = table.prefix(entries).first(where: { $0 >= 1 << bits }) {
            throw FormatError(file: file, object: "LUT Data \(dataTag)", "holds \(beyond), more than \(bits) bits")
        }
        return ModalityLUT(firstMapped: first, bits: bits, data: Array(table.prefix(entries)))
    }

    /// The geometry the data set states, in RAS+ (see `ImageGeometry`): column index i along
    /// the row direction (the orientation's first three numbers) times the column spacing (Pixel
    /// Spacing's second value), row index j along the column direction times the row spacing,
    /// frame index k along their cross product times the slice spacing; from the position of
    /// the first pixel. LPS becomes RAS by negating x and y.
    static func geometry(of dataSet: DICOMDataSet, file: String) throws -> ImageGeometry? {
        guard let pixelSpacing = try dataSet.numbers(Tag(group: 0x0028, element: 0x0030), "Pixel Spacing", count: 2, file: file) else {
            return nil
        }
        guard pixelSpacing.allSatisfy({ $0 > 0 }) else {
            throw FormatError(file: file, object: "Pixel Spacing (0028,0030)", "\(pixelSpacing) is not two sizes above 0")
        }
        var sliceSpacing = try dataSet.number(Tag(group: 0x0018, element: 0x0088), "Spacing Between Slices", file: file)
            ?? dataSet.number(Tag(group: 0x0018, element: 0x0050), "Slice Thickness", file: file) ?? 1
        if sliceSpacing == 0 { sliceSpacing = 1 }
        let orientation = try dataSet.numbers(Tag(group: 0x0020, element: 0x0037), "Image Orientation (Patient)", count: 6, file: file)
            ?? [1, 0, 0, 0, 1, 0]
        let position = try dataSet.numbers(Tag(group: 0x0020, element: 0x0032), "Image Position (Patient)", count: 3, file: file)
            ?? [0, 0, 0]
        let row = Array(orientation[0..<3]), column = Array(orientation[3..<6])
        let normal = [row[1] * column[2] - row[2] * column[1], row[2] * column[0] - row[0] * column[2], row[0] * column[1] - row[1] * column[0]]
        let lps = (0..<3).map { axis in
            [row[axis] * pixelSpacing[1], column[axis] * pixelSpacing[0], normal[axis] * sliceSpacing, position[axis]]
        }
        let ras = lps.enumerated().map { axis, values in axis < 2 ? values.map { $0 == 0 ? 0 : -$0 } : values }
        return ImageGeometry(
            spacing: [abs(sliceSpacing), abs(pixelSpacing[0]), abs(pixelSpacing[1])], affine: ras + [[0, 0, 0, 1]], source: "dicom")
    }
}
