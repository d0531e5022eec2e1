import Engine

/// A DICOM image, read and decoded by GDCM (`DICOMFile`) in any transfer syntax GDCM supports:
/// uncompressed (implicit or explicit VR, little or big endian, deflated), RLE, JPEG baseline,
/// extended and lossless, JPEG-LS and JPEG 2000.
///
/// Layout: a greyscale image is `[F, H, W]`: frames (1 unless Number of Frames says more),
/// Rows, Columns, row-major as stored. A colour image is `[3, H, W]` (red, green, blue), or
/// `[F, 3, H, W]` with several frames: RGB as stored, YBR_FULL and YBR_FULL_422 turned into RGB
/// as pydicom does (ITU-R BT.601 full range, rounded), YBR_RCT and YBR_ICT as their JPEG 2000
/// decoder returns them (RGB), PALETTE COLOR through its palette (values are the palette's, 8 or
/// 16 bits). An enhanced multi-frame image whose frames are planes of one stack (Per-frame
/// Functional Groups with Plane Positions) has its frames sorted along the slice normal, as a
/// series' slices are (`DICOMSeries`).
///
/// Greyscale values are the modality values, as pydicom's `apply_modality_lut` gives them:
/// `RescaleSlope * stored + RescaleIntercept` (slope 1 and intercept 0 when absent; an enhanced
/// image's Pixel Value Transformation functional group when the top level has none), so a CT
/// reads in Hounsfield units; or, when the file has a Modality LUT Sequence (0028,3000), its
/// first item's table instead of the rescale: `LUTData[clamp(stored - first, 0, entries - 1)]`
/// with (entries, first, bits) its LUT Descriptor (0028,3002) (0 entries meaning 65536; a first
/// value of 32768 or more is negative when the pixels are signed). Stored values are the low
/// BitsStored bits of each sample, sign-extended when PixelRepresentation is 1. MONOCHROME1
/// images (where 0 is white) are inverted before rescaling (or the table), `stored' = min + max -
/// stored` over BitsStored's range, so that larger values are brighter in every image medsynth
/// reads. The VOI LUT (the display window) is not applied: `windows` holds its centres and widths.
public struct DICOMImage: Sendable {
    /// The modality values `[F, H, W]`, or the colours `[3, H, W]` / `[F, 3, H, W]`.
    public var pixels: Tensor
    /// (0028,0004) as the file states it: "MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", ...
    public var photometricInterpretation: String
    /// Whether `pixels` holds colours (three channels) rather than modality values.
    public var isColour: Bool
    /// (0028,0100) and (0028,0101): bits per sample, and how many of them carry the value.
    public var bitsAllocated: Int
    /// See `bitsAllocated`.
    public var bitsStored: Int
    /// (0028,0103): 0 unsigned, 1 two's complement.
    public var pixelRepresentation: Int
    /// (0002,0010): the transfer syntax's UID.
    public var transferSyntax: String
    /// Where the pixels lie, from Pixel Spacing (0028,0030), Slice Thickness (0018,0050) or
    /// Spacing Between Slices (0018,0088), Image Orientation (0020,0037) and Image Position
    /// (Patient) (0020,0032), or an enhanced image's functional groups; nil without a pixel
    /// spacing, or when one of them is malformed (then `geometryProblem` says how: the pixels are
    /// still read).
    public var geometry: ImageGeometry?
    /// Why a geometry the file states cannot be read.
    public var geometryProblem: String?
    /// The rescale applied: (0028,1053) and (0028,1052), or the functional group's.
    public var rescaleSlope: Double
    /// See `rescaleSlope`.
    public var rescaleIntercept: Double
    /// The Modality LUT Sequence's table, when the file has one (it replaces the rescale).
    public var modalityLUT: ModalityLUT?
    /// The display windows the file suggests, (0028,1050) centre and (0028,1051) width, in
    /// modality values; empty when it states none.
    public var windows: [Window]
    /// Whether the file has a VOI LUT Sequence (0028,3010), which medsynth does not apply.
    public var hasVOILUT: Bool

    /// A display window: values from centre - width/2 to centre + width/2 span black to white.
    public struct Window: Sendable, Equatable {
        public var center: Double
        public var width: Double
    }

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

    /// Reads the DICOM file at `path`.
    public init(reading path: String) throws {
        try self.init(try DICOMFile(reading: path))
    }

    /// Decodes the bytes of a DICOM file; `file` names it in errors.
    public init(decoding bytes: [UInt8], file: String) throws {
        try self.init(try DICOMFile(decoding: bytes, name: file))
    }

    init(_ dicom: DICOMFile) throws {
        let file = dicom.name
        func required(_ tag: DICOMTag, _ name: String) throws -> Int {
            guard let value = try dicom.unsignedShort(tag, name) else { throw FormatError(file: file, "has no \(name) \(tag)") }
            return value
        }
        guard dicom.text(.pixelData) != nil || dicom.itemCount(.init(steps: [], tag: .pixelData)) != nil else {
            throw FormatError(file: file, "has no Pixel Data \(DICOMTag.pixelData): it is not an image (Modality \(dicom.string(.modality) ?? "not stated"))")
        }
        let rows = try required(.rows, "Rows"), columns = try required(.columns, "Columns")
        let bitsAllocated = try required(.bitsAllocated, "Bits Allocated")
        let bitsStored = try dicom.unsignedShort(.bitsStored, "Bits Stored") ?? bitsAllocated
        let representation = try required(.pixelRepresentation, "Pixel Representation")
        let samples = try dicom.unsignedShort(.samplesPerPixel, "Samples per Pixel") ?? 1
        let photometric = dicom.string(.photometricInterpretation) ?? "MONOCHROME2"
        let frameCount = try dicom.number(.numberOfFrames, "Number of Frames") ?? 1
        guard frameCount >= 1, frameCount < 0x1p20, frameCount == frameCount.rounded() else {
            throw FormatError(file: file, "Number of Frames (0028,0008) is \(frameCount), expected a whole number from 1 to 2^20")
        }
        let frames = Int(frameCount)
        guard rows > 0, columns > 0 else {
            throw FormatError(file: file, "has \(rows)x\(columns) pixels per frame: nothing to read")
        }
        guard [8, 16, 32].contains(bitsAllocated) || (bitsAllocated == 1 && photometric.hasPrefix("MONOCHROME")),
              (1...bitsAllocated).contains(bitsStored), representation <= 1 else {
            throw FormatError(file: file, "has Bits Allocated \(bitsAllocated), Bits Stored \(bitsStored), Pixel Representation \(representation) "
                + "for \(photometric); expected 8, 16 or 32 bits (1 for MONOCHROME), at most that many stored, representation 0 or 1")
        }
        let greyscale = photometric == "MONOCHROME1" || photometric == "MONOCHROME2"
        let colours = ["RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT", "PALETTE COLOR"]
        guard (greyscale && samples == 1) || (colours.contains(photometric) && samples == (photometric == "PALETTE COLOR" ? 1 : 3)) else {
            throw FormatError(file: file, "is \(photometric) with \(samples) samples per pixel; medsynth reads MONOCHROME1 and MONOCHROME2 "
                + "with 1 sample, RGB, YBR_FULL, YBR_FULL_422, YBR_RCT and YBR_ICT with 3, and PALETTE COLOR with 1")
        }

        // The sizes the file states, checked before anything is decoded or unpacked.
        let values = frames * rows * columns
        let outputValues = greyscale ? values : 3 * values
        try MemoryBudget.check(count: outputValues, bytesPerValue: MemoryLayout<Float>.stride + max(1, bitsAllocated / 8),
                               for: "DICOM image \(file) (\(frames) frames of \(rows) x \(columns)\(greyscale ? "" : ", colour"))")
        let stored = DICOMPixels.Layout(rows: rows, columns: columns, frames: frames,
                                        samples: photometric == "PALETTE COLOR" ? 1 : samples, bitsAllocated: bitsAllocated,
                                        planar: (try dicom.unsignedShort(.planarConfiguration, "Planar Configuration") ?? 0) == 1,
                                        photometric: photometric)
        let pixelBytes = try DICOMPixels(dicom, stored: stored)
        let bytes = pixelBytes.bytes
        let sampleBytes = pixelBytes.sampleBytes
        let sampleCount = stored.samples * values
        guard bytes.count >= sampleCount * sampleBytes else {
            throw FormatError(file: file, object: "Pixel Data (7FE0,0010)",
                "decodes to \(bytes.count) bytes of \(sampleBytes * 8)-bit samples, but \(frames) frames of \(rows)x\(columns) need \(sampleCount * sampleBytes)")
        }

        self.photometricInterpretation = photometric
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.pixelRepresentation = representation
        self.transferSyntax = dicom.transferSyntax
        self.isColour = !greyscale
        self.windows = Self.windows(of: dicom)
        self.hasVOILUT = dicom.itemCount(.init(steps: [], tag: .voiLUTSequence)).map { $0 > 0 } ?? false
        let rescale = try Self.rescale(of: dicom)
        self.rescaleSlope = rescale.slope
        self.rescaleIntercept = rescale.intercept
        self.modalityLUT = greyscale ? try Self.modalityLUT(of: dicom, signedPixels: representation == 1) : nil

        let format = SampleFormat(bytes: sampleBytes, bitsStored: min(bitsStored, sampleBytes * 8), signed: representation == 1 && bitsAllocated > 1)
        if greyscale {
            self.pixels = try Self.greyscale(bytes, count: values, format: format, invert: photometric == "MONOCHROME1",
                                             lut: modalityLUT, slope: rescale.slope, intercept: rescale.intercept, shape: [frames, rows, columns])
        } else {
            let shape = frames == 1 ? [3, rows, columns] : [frames, 3, rows, columns]
            if photometric == "PALETTE COLOR" {
                let palette = try DICOMPalette(dicom, signedPixels: representation == 1)
                self.pixels = try Self.palette(bytes, count: values, format: format, palette: palette, shape: shape)
            } else {
                self.pixels = try Self.colour(bytes, frames: frames, pixelsPerFrame: rows * columns, format: format,
                                              planar: pixelBytes.planar, ybr: pixelBytes.isYBRFull, shape: shape)
            }
        }

        do {
            let stack = try DICOMFrames(of: dicom, frames: frames)
            self.geometry = try stack?.geometry ?? Self.geometry(of: dicom)
            if let order = stack?.order, order != Array(0..<frames) { self.pixels = try Self.reorder(pixels, frames: order) }
            if let problem = stack?.problem { self.geometryProblem = problem }
        } catch {
            self.geometry = nil
            self.geometryProblem = "\(error)"
        }
    }

    // MARK: Samples

    /// How a decoded sample is stored: `bytes` little-endian bytes, whose low `bitsStored` bits
    /// hold the value, in two's complement when `signed`.
    struct SampleFormat {
        let bytes: Int
        let bitsStored: Int
        let signed: Bool

        var lowest: Int64 { signed ? -(1 << (bitsStored - 1)) : 0 }
        var highest: Int64 { signed ? (1 << (bitsStored - 1)) - 1 : (1 << bitsStored) - 1 }

        /// The stored value of sample `index` of `raw`.
        func value(_ raw: UnsafeRawBufferPointer, _ index: Int) -> Int64 {
            var sample: UInt64 = 0
            for byte in 0..<bytes { sample |= UInt64(raw[index * bytes + byte]) << (8 * UInt64(byte)) }
            let mask: UInt64 = (1 << UInt64(bitsStored)) - 1
            sample &= mask
            var stored = Int64(sample)
            if signed && stored > highest { stored -= Int64(mask) + 1 }
            return stored
        }
    }

    private static func greyscale(_ bytes: [UInt8], count: Int, format: SampleFormat, invert: Bool, lut: ModalityLUT?,
                                  slope: Double, intercept: Double, shape: [Int]) throws -> Tensor {
        var values = [Float](repeating: 0, count: count)
        let lowest = format.lowest, highest = format.highest
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                var stored = format.value(raw, i)
                if invert { stored = lowest + highest - stored }
                values[i] = lut.map { Float($0.map(stored)) } ?? Float(slope * Double(stored) + intercept)
            }
        }
        return try Tensor(shape: shape, scalars: values)
    }

    /// Colour samples to `[3, H, W]` planes per frame, from interleaved (RGBRGB...) or planar
    /// (all R, then G, then B) frames; YBR_FULL to RGB as pydicom's `convert_color_space` does.
    private static func colour(_ bytes: [UInt8], frames: Int, pixelsPerFrame: Int, format: SampleFormat, planar: Bool, ybr: Bool,
                               shape: [Int]) throws -> Tensor {
        var values = [Float](repeating: 0, count: 3 * frames * pixelsPerFrame)
        bytes.withUnsafeBytes { raw in
            for frame in 0..<frames {
                let base = 3 * frame * pixelsPerFrame
                for pixel in 0..<pixelsPerFrame {
                    var sample = (0..<3).map { channel in
                        Float(format.value(raw, base + (planar ? channel * pixelsPerFrame + pixel : 3 * pixel + channel)))
                    }
                    if ybr { sample = ybrFullToRGB(sample) }
                    for channel in 0..<3 { values[base + channel * pixelsPerFrame + pixel] = sample[channel] }
                }
            }
        }
        return try Tensor(shape: shape, scalars: values)
    }

    /// pydicom's YBR_FULL to RGB in float32 (PS3.3 C.7.6.3.1.2): a matrix product of (Y, Cb - 128,
    /// Cr - 128), plus 0.5, floored, clipped to 0-255.
    static func ybrFullToRGB(_ ybr: [Float]) -> [Float] {
        let y = ybr[0], cb = ybr[1] - 128, cr = ybr[2] - 128
        let greenFromBlue = Float(-0.114 * 1.772 / 0.587), greenFromRed = Float(-0.299 * 1.402 / 0.587)
        let rgb: [Float] = [y + cb * 0 + cr * Float(1.402), y + cb * greenFromBlue + cr * greenFromRed, y + cb * Float(1.772) + cr * 0]
        return rgb.map { min(255, max(0, ($0 + 0.5).rounded(.down))) }
    }

    /// A PALETTE COLOR image through its palette: each stored value picks an entry of the red, green
    /// and blue tables (values below the first mapped one take the first entry, beyond the table its last).
    private static func palette(_ bytes: [UInt8], count: Int, format: SampleFormat, palette: DICOMPalette, shape: [Int]) throws -> Tensor {
        let pixelsPerFrame = shape.suffix(2).reduce(1, *)
        var values = [Float](repeating: 0, count: 3 * count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                let entry = palette.entry(format.value(raw, i))
                let frame = i / pixelsPerFrame, pixel = i % pixelsPerFrame
                for channel in 0..<3 {
                    values[(3 * frame + channel) * pixelsPerFrame + pixel] = Float(palette.tables[channel][entry])
                }
            }
        }
        return try Tensor(shape: shape, scalars: values)
    }

    /// The frames of `pixels` in the order `frames` gives.
    static func reorder(_ pixels: Tensor, frames order: [Int]) throws -> Tensor {
        let frameSize = pixels.count / order.count
        var values = [Float](repeating: 0, count: pixels.count)
        let scalars = pixels.scalars
        for (to, from) in order.enumerated() {
            values.replaceSubrange(to * frameSize..<(to + 1) * frameSize, with: scalars[from * frameSize..<(from + 1) * frameSize])
        }
        return try Tensor(shape: pixels.shape, scalars: values)
    }

    // MARK: Value transforms

    private static func windows(of dicom: DICOMFile) -> [Window] {
        guard let centres = try? dicom.numbers(.init(steps: [], tag: .windowCenter), "Window Center"),
              let widths = try? dicom.numbers(.init(steps: [], tag: .windowWidth), "Window Width") else { return [] }
        return zip(centres, widths).filter { $0.1 > 0 }.map { Window(center: $0.0, width: $0.1) }
    }

    /// The top level's rescale, else the shared or first frame's Pixel Value Transformation
    /// functional group (an enhanced CT states it only there), else slope 1 and intercept 0.
    private static func rescale(of dicom: DICOMFile) throws -> (slope: Double, intercept: Double) {
        if let slope = try dicom.number(.rescaleSlope, "Rescale Slope") {
            return (slope, try dicom.number(.rescaleIntercept, "Rescale Intercept") ?? 0)
        }
        if let intercept = try dicom.number(.rescaleIntercept, "Rescale Intercept") { return (1, intercept) }
        for group in [DICOMTag.sharedFunctionalGroups, .perFrameFunctionalGroups] {
            let steps = [(sequence: group, item: 0), (sequence: DICOMTag.pixelValueTransformationSequence, item: 0)]
            let slope = try dicom.numbers(.init(steps: steps, tag: .rescaleSlope), "Rescale Slope")?.first
            let intercept = try dicom.numbers(.init(steps: steps, tag: .rescaleIntercept), "Rescale Intercept")?.first
            if slope != nil || intercept != nil { return (slope ?? 1, intercept ?? 0) }
        }
        return (1, 0)
    }

    /// The first item of the Modality LUT Sequence (0028,3000), or nil without one.
    private static func modalityLUT(of dicom: DICOMFile, signedPixels: Bool) throws -> ModalityLUT? {
        guard let items = dicom.itemCount(.init(steps: [], tag: .modalityLUTSequence)), items > 0 else { return nil }
        let item = [(sequence: DICOMTag.modalityLUTSequence, item: 0)]
        let file = dicom.name
        guard let descriptor = try dicom.numbers(.init(steps: item, tag: .lutDescriptor), "LUT Descriptor") else {
            throw FormatError(file: file, object: "Modality LUT Sequence (0028,3000)", "has no LUT Descriptor (0028,3002)")
        }
        guard descriptor.count == 3, descriptor.allSatisfy({ $0 == $0.rounded() && abs($0) <= 65535 }) else {
            throw FormatError(file: file, object: "LUT Descriptor (0028,3002)", "holds \(descriptor), expected 3 whole numbers")
        }
        let entries = descriptor[0] == 0 ? 65536 : Int(descriptor[0])
        let first = signedPixels && descriptor[1] >= 0x8000 ? Int(descriptor[1]) - 0x10000 : Int(descriptor[1])
        let bits = Int(descriptor[2])
        guard bits == 8 || bits == 16, entries > 0 else {
            throw FormatError(file: file, object: "LUT Descriptor (0028,3002)", "gives \(entries) entries of \(bits) bits, expected 8 or 16 bits")
        }
        guard let (vr, bytes) = dicom.table(.init(steps: item, tag: .lutData)) else {
            throw FormatError(file: file, object: "Modality LUT Sequence (0028,3000)", "has no LUT Data (0028,3006)")
        }
        // 8-bit entries may come one per byte; otherwise they are 16-bit words (GDCM has made a
        // big-endian file's US and OW words little-endian).
        let table = bits == 8 && bytes.count == entries ? bytes.map(Int.init) : DICOMPalette.words(bytes, bigEndian: DICOMPalette.needsSwap(dicom, vr))
        guard table.count >= entries else {
            throw FormatError(file: file, object: "LUT Data (0028,3006)", "holds \(table.count) entries, but its descriptor promises \(entries)")
        }
        if let beyond = table.prefix(entries).first(where: { $0 >= 1 << bits }) {
            throw FormatError(file: file, object: "LUT Data (0028,3006)", "holds \(beyond), more than \(bits) bits")
        }
        return ModalityLUT(firstMapped: first, bits: bits, data: Array(table.prefix(entries)))
    }

    // MARK: Geometry

    /// The geometry the data set states, in RAS+ (see `ImageGeometry`): column index i along
    /// the row direction (the orientation's first three numbers) times the column spacing (Pixel
    /// Spacing's second value), row index j along the column direction times the row spacing,
    /// frame index k along their cross product times the slice spacing; from the position of
    /// the first pixel. LPS becomes RAS by negating x and y.
    static func geometry(of dicom: DICOMFile) throws -> ImageGeometry? {
        guard let pixelSpacing = try dicom.numbers(.pixelSpacing, "Pixel Spacing", count: 2) else { return nil }
        guard pixelSpacing.allSatisfy({ $0 > 0 }) else {
            throw FormatError(file: dicom.name, object: "Pixel Spacing (0028,0030)", "\(pixelSpacing) is not two sizes above 0")
        }
        var sliceSpacing = try dicom.number(.spacingBetweenSlices, "Spacing Between Slices")
            ?? dicom.number(.sliceThickness, "Slice Thickness") ?? 1
        if sliceSpacing == 0 { sliceSpacing = 1 }
        let orientation = try dicom.numbers(.imageOrientation, "Image Orientation (Patient)", count: 6) ?? [1, 0, 0, 0, 1, 0]
        let position = try dicom.numbers(.imagePosition, "Image Position (Patient)", count: 3) ?? [0, 0, 0]
        let plane = SlicePlane(orientation: orientation, pixelSpacing: pixelSpacing)
        return plane.geometry(origin: position, sliceStep: plane.normal.map { $0 * sliceSpacing }, sliceSpacing: sliceSpacing)
    }
}
