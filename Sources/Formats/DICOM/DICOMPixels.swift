import Engine

/// A DICOM image's pixel bytes laid out for `DICOMImage`: little-endian samples of `sampleBytes`
/// bytes, interleaved or `planar`, frames one after another.
///
/// GDCM's codecs decode JPEG, JPEG-LS and JPEG 2000. Native and RLE pixel data are laid out here:
/// GDCM 3.0 swaps the 16-bit halves of 32-bit big-endian OW samples and scrambles the byte planes
/// of RLE colour with more than 8 bits (pydicom's SC_rgb_rle_16bit.dcm), and its image reader
/// stops on an assertion for some valid files (pydicom's rtdose_1frame.dcm), so medsynth reads
/// these simple encodings itself (PS3.5 8.1.1, 8.2.2 and Annex G) from the bytes GDCM parsed.
struct DICOMPixels {
    /// What the data set says the pixels are.
    struct Layout {
        let rows: Int
        let columns: Int
        let frames: Int
        /// 1, or 3 for colour (a palette image has 1).
        let samples: Int
        let bitsAllocated: Int
        /// Planar Configuration (0028,0006) is 1: each frame holds all reds, then greens, then blues.
        let planar: Bool
        let photometric: String

        var pixelsPerFrame: Int { rows * columns }
    }

    let bytes: [UInt8]
    let sampleBytes: Int
    let planar: Bool
    /// The samples are YBR_FULL, to be turned into RGB.
    let isYBRFull: Bool

    init(_ dicom: DICOMFile, stored layout: Layout) throws {
        let file = dicom.name
        switch dicom.pixels {
        case .none:
            throw FormatError(file: file, "has no Pixel Data (7FE0,0010)")
        case .failed(let why):
            throw FormatError(file: file, why)
        case .decoded(let decoded, let bytes):
            guard decoded.rows == layout.rows, decoded.columns == layout.columns, decoded.frames == layout.frames,
                  [1, 2, 4].contains(decoded.bitsAllocated / 8) else {
                throw FormatError(file: file, "states \(layout.frames) frames of \(layout.rows)x\(layout.columns), but GDCM decodes "
                    + "\(decoded.frames) of \(decoded.rows)x\(decoded.columns) at \(decoded.bitsAllocated) bits")
            }
            self.bytes = bytes
            sampleBytes = decoded.bitsAllocated / 8
            planar = decoded.planarConfiguration == 1
            // GDCM's JPEG codec leaves YBR_FULL and YBR_FULL_422 as YBR (4:2:2 upsampled) and says
            // so; JPEG 2000's YBR_RCT and YBR_ICT come out as RGB, as does RGB.
            isYBRFull = decoded.photometric == "YBR_FULL" || decoded.photometric == "YBR_FULL_422"
        case .native(let vr, let raw):
            let values = layout.frames * layout.pixelsPerFrame * layout.samples
            if layout.bitsAllocated == 1 {
                guard raw.count * 8 >= values else { throw Self.short(file, raw.count, needed: (values + 7) / 8, layout: layout) }
                bytes = Self.unpackBits(raw, count: values)
                sampleBytes = 1
                planar = false
                isYBRFull = false
                return
            }
            let size = layout.bitsAllocated / 8
            if layout.photometric == "YBR_FULL_422" {
                // Two pixels share one Cb and one Cr: Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2), 8 bits only.
                let needed = layout.frames * layout.rows * ((layout.columns + 1) / 2) * 4
                guard size == 1, !layout.planar else {
                    throw FormatError(file: file, "is YBR_FULL_422 with \(layout.bitsAllocated) bits or planar; medsynth reads it interleaved at 8 bits")
                }
                guard raw.count >= needed else { throw Self.short(file, raw.count, needed: needed, layout: layout) }
                bytes = Self.expand422(raw, layout: layout)
                sampleBytes = 1
                planar = false
                isYBRFull = true
                return
            }
            guard raw.count >= values * size else { throw Self.short(file, raw.count, needed: values * size, layout: layout) }
            bytes = dicom.isBigEndian ? Self.littleEndian(bigEndian: raw, sampleBytes: size, vr: vr) : raw
            sampleBytes = size
            planar = layout.planar
            isYBRFull = layout.photometric == "YBR_FULL"
        case .rle(let fragments):
            bytes = try Self.decodeRLE(fragments, layout: layout, file: file)
            sampleBytes = layout.bitsAllocated / 8
            planar = false
            isYBRFull = layout.photometric == "YBR_FULL"
        }
    }

    private static func short(_ file: String, _ count: Int, needed: Int, layout: Layout) -> FormatError {
        FormatError(file: file, object: "Pixel Data (7FE0,0010)", "holds \(count) bytes, but \(layout.frames) frames of "
            + "\(layout.rows)x\(layout.columns) at \(layout.bitsAllocated) bits need \(needed)")
    }

    /// Big-endian samples made little-endian. GDCM swaps the bytes of OW values (16-bit words) as it
    /// reads them, so OW's 16-bit samples arrive ready, its 32-bit ones with their halves swapped,
    /// and its 8-bit ones in their stored order; OB's arrive as stored.
    static func littleEndian(bigEndian raw: [UInt8], sampleBytes: Int, vr: String) -> [UInt8] {
        var bytes = raw
        switch (vr == "OW", sampleBytes) {
        case (true, 4):
            for start in stride(from: 0, to: bytes.count - 3, by: 4) {
                bytes.swapAt(start, start + 2)
                bytes.swapAt(start + 1, start + 3)
            }
        case (false, 2), (false, 4):
            for start in stride(from: 0, to: bytes.count - sampleBytes + 1, by: sampleBytes) {
                bytes[start..<start + sampleBytes].reverse()
            }
        default: break
        }
        return bytes
    }

    /// 1-bit pixels, packed eight to a byte from the least significant bit (PS3.5 8.1.1), as bytes of 0 or 1.
    static func unpackBits(_ raw: [UInt8], count: Int) -> [UInt8] {
        (0..<count).map { (raw[$0 >> 3] >> UInt8($0 & 7)) & 1 }
    }

    /// YBR_FULL_422 (Y1 Y2 Cb Cr for each pair of pixels in a row) as YBR_FULL, interleaved, as pydicom expands it.
    static func expand422(_ raw: [UInt8], layout: Layout) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: layout.frames * layout.pixelsPerFrame * 3)
        var input = 0
        for frame in 0..<layout.frames {
            for row in 0..<layout.rows {
                var column = 0
                while column < layout.columns {
                    let y1 = raw[input], y2 = raw[input + 1], cb = raw[input + 2], cr = raw[input + 3]
                    input += 4
                    for (offset, y) in [(0, y1), (1, y2)] where column + offset < layout.columns {
                        let pixel = (frame * layout.rows + row) * layout.columns + column + offset
                        out[3 * pixel] = y
                        out[3 * pixel + 1] = cb
                        out[3 * pixel + 2] = cr
                    }
                    column += 2
                }
            }
        }
        return out
    }

    /// RLE Lossless (PS3.5 Annex G): one fragment per frame, each a 64-byte header (the number of
    /// segments and their offsets) and one PackBits segment per byte of each sample, most
    /// significant byte first. Returns interleaved little-endian samples.
    static func decodeRLE(_ fragments: [[UInt8]], layout: Layout, file: String) throws -> [UInt8] {
        let size = layout.bitsAllocated / 8
        guard [1, 2, 4].contains(size) else {
            throw FormatError(file: file, "is RLE with \(layout.bitsAllocated) bits per sample; expected 8, 16 or 32")
        }
        guard fragments.count >= layout.frames else {
            throw FormatError(file: file, object: "Pixel Data (7FE0,0010)", "holds \(fragments.count) RLE fragments for \(layout.frames) frames")
        }
        let segments = layout.samples * size
        let pixels = layout.pixelsPerFrame
        // PackBits makes at most 128 bytes of 2: fragments too short for the image are refused
        // before its bytes are allocated.
        let compressed = fragments.prefix(layout.frames).reduce(0) { $0 + $1.count }
        guard compressed * 64 >= layout.frames * pixels * segments else {
            throw FormatError(file: file, object: "Pixel Data (7FE0,0010)",
                "holds \(compressed) bytes of RLE, too few for \(layout.frames) frames of \(layout.rows)x\(layout.columns) with \(segments) byte planes")
        }
        var out = [UInt8](repeating: 0, count: layout.frames * pixels * segments)
        for frame in 0..<layout.frames {
            let fragment = fragments[frame]
            func word(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(fragment[at + $1]) << (8 * $1) } }
            guard fragment.count >= 64 else {
                throw FormatError(file: file, object: "RLE frame \(frame + 1)", "is \(fragment.count) bytes, shorter than its 64-byte header")
            }
            guard word(0) == segments else {
                throw FormatError(file: file, object: "RLE frame \(frame + 1)", "has \(word(0)) segments where \(layout.samples) samples of \(size) bytes need \(segments)")
            }
            let offsets = (0..<segments).map { word(4 + 4 * $0) } + [fragment.count]
            for segment in 0..<segments {
                let start = offsets[segment], end = offsets[segment + 1]
                guard start >= 64, start <= end, end <= fragment.count else {
                    throw FormatError(file: file, object: "RLE frame \(frame + 1)", "has segment \(segment + 1) at bytes \(start)..<\(end) of \(fragment.count)")
                }
                let sample = segment / size, byte = size - 1 - segment % size
                var written = 0, at = start
                let base = frame * pixels * segments
                func put(_ value: UInt8) {
                    out[base + (written * layout.samples + sample) * size + byte] = value
                    written += 1
                }
                while written < pixels && at < end {
                    let header = Int(Int8(bitPattern: fragment[at]))
                    at += 1
                    if header >= 0 {
                        let count = min(header + 1, end - at, pixels - written)
                        for index in 0..<count { put(fragment[at + index]) }
                        at += header + 1
                    } else if header != -128, at < end {
                        let value = fragment[at]
                        at += 1
                        for _ in 0..<min(1 - header, pixels - written) { put(value) }
                    }
                }
                guard written == pixels else {
                    throw FormatError(file: file, object: "RLE frame \(frame + 1)", "segment \(segment + 1) decodes to \(written) bytes where \(pixels) are needed")
                }
            }
        }
        return out
    }
}

/// A PALETTE COLOR image's red, green and blue tables (PS3.3 C.7.6.3.1.5-6), plain or segmented
/// (C.7.9.2), read as pydicom's `apply_color_lut` reads them.
struct DICOMPalette {
    /// Red, green, blue; `entries` values each.
    let tables: [[Int]]
    let entries: Int
    let firstMapped: Int

    init(_ dicom: DICOMFile, signedPixels: Bool) throws {
        let file = dicom.name
        guard let descriptor = try dicom.numbers(.init(steps: [], tag: DICOMTag.paletteDescriptors[0]), "Red Palette Color LUT Descriptor", count: 3) else {
            throw FormatError(file: file, "is PALETTE COLOR but has no Red Palette Color LUT Descriptor (0028,1101)")
        }
        guard descriptor.allSatisfy({ $0 == $0.rounded() && abs($0) <= 65535 }) else {
            throw FormatError(file: file, object: "Red Palette Color LUT Descriptor (0028,1101)", "holds \(descriptor), expected 3 whole numbers")
        }
        let entries = descriptor[0] == 0 ? 65536 : Int(descriptor[0])
        let first = signedPixels && descriptor[1] >= 0x8000 ? Int(descriptor[1]) - 0x10000 : Int(descriptor[1])
        let nominalBits = Int(descriptor[2])
        guard entries > 0, entries <= 65536, nominalBits == 8 || nominalBits == 16 else {
            throw FormatError(file: file, object: "Red Palette Color LUT Descriptor (0028,1101)", "gives \(entries) entries of \(nominalBits) bits, expected 8 or 16")
        }
        var tables: [[Int]] = []
        for colour in 0..<3 {
            if let (vr, bytes) = dicom.table(DICOMTag.paletteData[colour]) {
                let words = Self.words(bytes, bigEndian: Self.needsSwap(dicom, vr))
                // The bytes per entry are what the table's length says (8-bit entries may sit in 16 bits).
                guard bytes.count == entries || bytes.count == 2 * entries || bytes.count == 2 * entries + 1 else {
                    throw FormatError(file: file, object: "palette table \(DICOMTag.paletteData[colour])",
                                      "holds \(bytes.count) bytes for \(entries) entries")
                }
                tables.append(bytes.count == entries ? bytes.map(Int.init) : Array(words.prefix(entries)))
            } else if let (vr, bytes) = dicom.table(DICOMTag.segmentedPaletteData[colour]) {
                let values = nominalBits == 8 ? bytes.map(Int.init) : Self.words(bytes, bigEndian: Self.needsSwap(dicom, vr))
                let expanded = try Self.expandSegmented(values[...], file: file)
                guard expanded.count >= entries else {
                    throw FormatError(file: file, object: "segmented palette \(DICOMTag.segmentedPaletteData[colour])",
                                      "expands to \(expanded.count) entries where its descriptor promises \(entries)")
                }
                tables.append(Array(expanded.prefix(entries)))
            } else {
                throw FormatError(file: file, "is PALETTE COLOR but has no table \(DICOMTag.paletteData[colour]) or \(DICOMTag.segmentedPaletteData[colour])")
            }
        }
        self.tables = tables
        self.entries = entries
        self.firstMapped = first
    }

    /// The table index of a stored value.
    func entry(_ stored: Int64) -> Int { Int(max(0, min(stored - Int64(firstMapped), Int64(entries - 1)))) }

    /// GDCM swaps a big-endian file's 16-bit values (US, SS, OW) as it reads them; OB and UN it
    /// leaves as stored.
    static func needsSwap(_ dicom: DICOMFile, _ vr: String) -> Bool {
        dicom.isBigEndian && (vr == "OB" || vr == "UN")
    }

    static func words(_ bytes: [UInt8], bigEndian: Bool) -> [Int] {
        stride(from: 0, to: bytes.count - 1, by: 2).map {
            bigEndian ? Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) : Int(bytes[$0]) | Int(bytes[$0 + 1]) << 8
        }
    }

    /// Expands a segmented table: discrete (opcode 0: `length` values), linear (1: `length` steps
    /// from the last value to the next, rounded half to even as numpy rounds) and indirect (2: a
    /// copy of `length` segments from an earlier offset), as pydicom's `_expand_segmented_lut`.
    /// At most 65536 entries, and indirect segments may not nest: a hostile table stays cheap.
    static func expandSegmented(_ data: ArraySlice<Int>, file: String, segments limit: Int? = nil, last: Int? = nil) throws -> [Int] {
        var lut: [Int] = []
        var offset = data.startIndex, read = 0
        func refuse(_ why: String) -> FormatError { FormatError(file: file, "has a segmented palette \(why)") }
        while offset + 1 < data.endIndex {
            let opcode = data[offset], length = data[offset + 1]
            offset += 2
            guard lut.count + length <= 65536 else { throw refuse("of more than 65536 entries") }
            switch opcode {
            case 0:
                guard offset + length <= data.endIndex else { throw refuse("whose discrete segment runs past its end") }
                lut += data[offset..<offset + length]
                offset += length
            case 1:
                guard let y0 = lut.last ?? last, offset < data.endIndex else { throw refuse("that starts with a linear segment") }
                let y1 = data[offset]
                offset += 1
                if y0 == y1 || length == 0 {
                    lut += Array(repeating: y1, count: length)
                } else {
                    let step = Double(y1 - y0) / Double(length)
                    let start = Double(y0) + step, stop = Double(y1)
                    let delta = length > 1 ? (stop - start) / Double(length - 1) : 0
                    lut += (0..<length).map { i in Int((i == length - 1 ? stop : start + Double(i) * delta).rounded(.toNearestOrEven)) }
                }
            case 2:
                guard limit == nil else { throw refuse("with an indirect segment inside an indirect one") }
                guard !lut.isEmpty, offset + 1 < data.endIndex else { throw refuse("with a misplaced indirect segment") }
                let target = data.startIndex + (data[offset] | data[offset + 1] << 16)
                offset += 2
                guard target < data.endIndex else { throw refuse("whose indirect segment points past its end") }
                lut += try expandSegmented(data[target...], file: file, segments: length, last: lut.last)
                guard lut.count <= 65536 else { throw refuse("of more than 65536 entries") }
            default:
                throw refuse("with opcode \(opcode); expected 0, 1 or 2")
            }
            read += 1
            if read == limit { break }
        }
        return lut
    }
}
