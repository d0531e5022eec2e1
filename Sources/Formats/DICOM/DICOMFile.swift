import CDICOM
import Engine

/// A DICOM file as GDCM read it (`medsynth_dicom_read`, in a child process): its elements'
/// values by path, and its pixels, decoded. medsynth's one way into DICOM: `DICOMImage` and
/// `DICOMSeries` read through it.
///
/// Files must have the 128-byte preamble and "DICM" (PS3.10 7.1), as pydicom requires by default:
/// older headerless files are refused rather than guessed at.
final class DICOMFile {
    /// The file's name in messages.
    let name: String
    /// The transfer syntax UID ("" when the file names none).
    let transferSyntax: String
    /// Every element GDCM read (but bulk binary values), by its path's codes: text for values.
    private var values: [[UInt32]: String] = [:]
    /// Sequences' item counts, by path.
    private var sequences: [[UInt32]: Int] = [:]
    /// Palette tables' VR and bytes, by path.
    private var tables: [[UInt32]: (vr: String, bytes: [UInt8])] = [:]
    /// The pixels as the child sent them.
    let pixels: PixelSource

    /// Where the pixel bytes come from.
    enum PixelSource {
        /// Read headers only, or the file has no Pixel Data.
        case none
        /// Decoded by GDCM's codecs (JPEG, JPEG-LS, JPEG 2000), little-endian samples.
        case decoded(PixelLayout, [UInt8])
        /// Why they cannot be read.
        case failed(String)
        /// Native pixel data as GDCM holds it: `vr` "OB", "OW" or "??" (implicit).
        case native(vr: String, bytes: [UInt8])
        /// RLE Lossless fragments, one per frame.
        case rle([[UInt8]])
    }

    /// The pixels as GDCM gives them (PixelFormat, dimensions, photometric interpretation).
    struct PixelLayout {
        var columns = 0, rows = 0, frames = 0
        var samplesPerPixel = 0, bitsAllocated = 0, bitsStored = 0, pixelRepresentation = 0
        /// 0 interleaved (RGBRGB...), 1 one plane per sample.
        var planarConfiguration = 0
        var photometric = ""
        /// Bytes of the decoded pixels.
        var bufferLength: UInt64 = 0
    }

    /// Reads the file at `path`; with `headersOnly`, up to the pixel data only (for sorting a
    /// series). Pixels that would decode to more than the memory budget are not decoded.
    convenience init(reading path: String, headersOnly: Bool = false) throws {
        let file = try PosixFile.openForReading(path)
        let size = try file.size()
        try Self.checkPreamble(try file.read(at: 0, count: min(size, 132)), file: path)
        // GDCM holds the whole file in memory while it reads it.
        if !headersOnly { try MemoryBudget.check(bytes: size, for: "DICOM file \(path) (\(MemoryBudget.formatSize(size)))") }
        try self.init(name: path, headersOnly: headersOnly) { read in path.withCString { read($0, nil, 0) } }
    }

    /// Reads a file's `bytes`; `name` names it in messages.
    convenience init(decoding bytes: [UInt8], name: String) throws {
        try Self.checkPreamble(bytes.prefix(132), file: name)
        try self.init(name: name, headersOnly: false) { read in bytes.withUnsafeBytes { read(nil, $0.baseAddress, $0.count) } }
    }

    private init(name: String, headersOnly: Bool,
                 source: ((UnsafePointer<CChar>?, UnsafeRawPointer?, Int) -> Int32) -> Int32) throws {
        self.name = name
        var answer: UnsafeMutableRawPointer?
        var length = 0
        var error = [CChar](repeating: 0, count: 1024)
        // Each decoded byte may become a 4-byte Float: decoding stops short of the budget.
        let limit = UInt64(max(0, MemoryBudget.limit / 5))
        let status = error.withUnsafeMutableBufferPointer { errorBuffer in
            source { path, bytes, count in
                medsynth_dicom_read(path, bytes, count, headersOnly ? 1 : 0, limit, &answer, &length, errorBuffer.baseAddress, errorBuffer.count)
            }
        }
        guard status == 0, let answer else {
            throw FormatError(file: name, String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { medsynth_dicom_free(answer) }
        var reader = AnswerReader(bytes: UnsafeRawBufferPointer(start: answer, count: length), file: name)
        guard try reader.bytes(4).elementsEqual("MSD1".utf8) else { throw reader.damaged() }
        for _ in 0..<(try reader.u32()) {
            let pathLength = Int(try reader.u32())
            guard pathLength % 2 == 1, pathLength <= 64 else { throw reader.damaged() }
            let path = try (0..<pathLength).map { _ in try reader.u32() }
            switch try reader.u8() {
            case 1: sequences[path] = Int(try reader.u32())
            case 2:
                let table = Array(try reader.bytes(Int(try reader.u32())))
                guard table.count >= 2 else { throw reader.damaged() }
                tables[path] = (String(decoding: table.prefix(2), as: UTF8.self), Array(table.dropFirst(2)))
            default: values[path] = try reader.text()
            }
        }
        transferSyntax = try reader.text()
        switch try reader.u8() {
        case 1:
            let layout = try reader.pixels()
            let count = try reader.u64()
            guard count <= UInt64(Int.max) else { throw reader.damaged() }
            pixels = .decoded(layout, Array(try reader.bytes(Int(count))))
        case 2: pixels = .failed(try reader.text())
        case 3:
            let vr = try reader.text()
            let count = try reader.u64()
            guard count <= UInt64(Int.max) else { throw reader.damaged() }
            pixels = .native(vr: vr, bytes: Array(try reader.bytes(Int(count))))
        case 4:
            var fragments: [[UInt8]] = []
            for _ in 0..<(try reader.u32()) {
                let count = try reader.u64()
                guard count <= UInt64(Int.max) else { throw reader.damaged() }
                fragments.append(Array(try reader.bytes(Int(count))))
            }
            pixels = .rle(fragments)
        default: pixels = .none
        }
    }

    /// Reads `medsynth_dicom_read`'s answer; anything out of place is an error, not a trap.
    private struct AnswerReader {
        let bytes: UnsafeRawBufferPointer
        let file: String
        var offset = 0

        func damaged() -> FormatError { FormatError(file: file, "could not be read: GDCM's process gave a damaged answer") }

        mutating func bytes(_ count: Int) throws -> Slice<UnsafeRawBufferPointer> {
            guard count >= 0, count <= bytes.count - offset else { throw damaged() }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }
        mutating func u8() throws -> UInt8 { try bytes(1).first! }
        mutating func u32() throws -> UInt32 { try bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        mutating func u64() throws -> UInt64 { try bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        mutating func text() throws -> String { String(decoding: try bytes(Int(try u32())), as: UTF8.self) }
        mutating func pixels() throws -> PixelLayout {
            var pixels = PixelLayout()
            pixels.columns = Int(try u32()); pixels.rows = Int(try u32()); pixels.frames = Int(try u32())
            pixels.samplesPerPixel = Int(try u32()); pixels.bitsAllocated = Int(try u32()); pixels.bitsStored = Int(try u32())
            _ = try u32()   // the high bit
            pixels.pixelRepresentation = Int(try u32()); pixels.planarConfiguration = Int(try u32())
            pixels.photometric = String(decoding: try bytes(32).prefix { $0 != 0 }, as: UTF8.self)
            pixels.bufferLength = try u64()
            return pixels
        }
    }

    private static func checkPreamble<C: Collection<UInt8>>(_ header: C, file: String) throws where C.Index == Int {
        guard header.count >= 132, header.dropFirst(128).prefix(4).elementsEqual("DICM".utf8) else {
            throw FormatError(file: file, "is not a DICOM file: no \"DICM\" after the 128-byte preamble")
        }
    }

    // MARK: Elements

    /// A path to an element: the sequences and items leading to it (item indices from 0), then its tag.
    struct Path: CustomStringConvertible {
        var steps: [(sequence: DICOMTag, item: Int)]
        var tag: DICOMTag

        var codes: [UInt32] { steps.flatMap { [$0.sequence.code, UInt32(clamping: $0.item)] } + [tag.code] }
        var description: String { (steps.map { "\($0.sequence)[\($0.item)]" } + ["\(tag)"]).joined(separator: " ") }
    }

    /// An element's value as text (numbers of binary VRs in decimal, values separated by "\"),
    /// trimmed of padding; nil when the element is absent.
    func text(_ path: Path) -> String? { values[path.codes] }

    func text(_ tag: DICOMTag) -> String? { text(Path(steps: [], tag: tag)) }

    /// A non-empty value as text, or nil.
    func string(_ tag: DICOMTag) -> String? { text(tag).flatMap { $0.isEmpty ? nil : $0 } }

    /// The number of items of a sequence, or nil without it.
    func itemCount(_ path: Path) -> Int? { sequences[path.codes] }

    /// All values of an element as numbers; nil when it is absent or empty. `name` names it in errors.
    func numbers(_ path: Path, _ name: String) throws -> [Double]? {
        guard let text = text(path), !text.isEmpty else { return nil }
        let values = text.split(separator: "\\", omittingEmptySubsequences: false).map { Double($0.trimmingSpaces) }
        guard let numbers = values as? [Double], numbers.allSatisfy(\.isFinite) else {
            throw FormatError(file: self.name, object: "\(name) \(path)", "\"\(text.prefix(80))\" is not a list of numbers")
        }
        return numbers
    }

    /// Exactly `count` numbers, or nil when the element is absent or empty.
    func numbers(_ path: Path, _ name: String, count: Int) throws -> [Double]? {
        guard let numbers = try numbers(path, name) else { return nil }
        guard numbers.count == count else {
            throw FormatError(file: self.name, object: "\(name) \(path)", "holds \(numbers.count) numbers, expected \(count)")
        }
        return numbers
    }

    func numbers(_ tag: DICOMTag, _ name: String, count: Int) throws -> [Double]? {
        try numbers(Path(steps: [], tag: tag), name, count: count)
    }

    /// The first value as a number; nil when absent or empty.
    func number(_ tag: DICOMTag, _ name: String) throws -> Double? {
        try numbers(Path(steps: [], tag: tag), name)?.first
    }

    /// A whole number in 0...65535 (a US element), nil when absent.
    func unsignedShort(_ tag: DICOMTag, _ name: String) throws -> Int? {
        guard let value = try number(tag, name) else { return nil }
        guard value >= 0, value <= 65535, value == value.rounded() else {
            throw FormatError(file: self.name, object: "\(name) \(tag)", "\(value) is not a whole number from 0 to 65535")
        }
        return Int(value)
    }

    /// A palette table's VR ("??" when implicit) and bytes, nil without it.
    func table(_ tag: DICOMTag) -> (vr: String, bytes: [UInt8])? { tables[[tag.code]] }

    func table(_ path: Path) -> (vr: String, bytes: [UInt8])? { tables[path.codes] }

    /// Whether the data set is big-endian (Explicit VR Big Endian).
    var isBigEndian: Bool { transferSyntax == "1.2.840.10008.1.2.2" }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
