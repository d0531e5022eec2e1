/// The top-level elements of a DICOM file (PS3.10 file format, PS3.5 encoding), as byte ranges.
///
/// ```
/// [128-byte preamble] "DICM"
/// file meta group (0002,xxxx), always Explicit VR Little Endian; (0002,0010) names the syntax
/// data set: elements in the transfer syntax, each
///   explicit: group(2) element(2) VR(2) length(2)          for most VRs
///             group(2) element(2) VR(2) 0(2) length(4)     for OB, OW, SQ, UN, UT, ...
///   implicit: group(2) element(2) length(4)
/// ```
/// A length of 0xFFFFFFFF ("undefined") is a sequence ended by a delimiter item; such
/// sequences are walked (to a bounded depth); their range covers their items, which
/// `items(of:)` reads when medsynth needs one (the Modality LUT Sequence). Every length is
/// checked against the bytes that remain.
struct DICOMDataSet {
    /// A (group, element) pair, written (gggg,eeee) in the standard.
    struct Tag: Hashable, CustomStringConvertible {
        let group: UInt16
        let element: UInt16
        var description: String {
            func hex(_ value: UInt16) -> String {
                let digits = String(value, radix: 16, uppercase: true)
                return String(repeating: "0", count: 4 - digits.count) + digits
            }
            return "(\(hex(group)),\(hex(element)))"
        }
    }

    /// The file's bytes.
    let bytes: [UInt8]
    /// Each top-level element's value, as a range of `bytes`.
    let values: [Tag: Range<Int>]
    /// The data set's transfer syntax.
    let syntax: DICOMTransferSyntax

    /// VRs whose explicit encoding has a 4-byte length after two reserved bytes (PS3.5 7.1.2).
    private static let longLengthVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
    private static let undefinedLength = 0xFFFF_FFFF
    private static let itemTag = Tag(group: 0xFFFE, element: 0xE000)
    private static let itemDelimiter = Tag(group: 0xFFFE, element: 0xE00D)
    private static let sequenceDelimiter = Tag(group: 0xFFFE, element: 0xE0DD)
    /// Deeper nesting than any real file has; a bound so a hostile file cannot exhaust the stack.
    private static let maximumDepth = 32

    /// Parses `bytes`, read from `file` (named in errors), up to and including the pixel data.
    init(bytes: [UInt8], file: String) throws {
        guard bytes.count >= 132, bytes[128..<132].elementsEqual("DICM".utf8) else {
            throw FormatError(file: file, "is not a DICOM file: no \"DICM\" after the 128-byte preamble")
        }
        var reader = Reader(bytes: bytes, offset: 132, file: file)
        var meta: [Tag: Range<Int>] = [:]
        while reader.offset + 2 <= bytes.count, reader.peekGroup() == 0x0002 {
            let (tag, range) = try reader.element(explicit: true, depth: 0)
            meta[tag] = range
        }
        guard let syntaxRange = meta[Tag(group: 0x0002, element: 0x0010)] else {
            throw FormatError(file: file, "has no Transfer Syntax UID (0002,0010) in its file meta group")
        }
        let uid = DICOMDataSet.trimmed(bytes[syntaxRange])
        let syntax = try DICOMTransferSyntax(uid: uid, file: file)

        var values = meta
        while reader.offset < bytes.count {
            let (tag, range) = try reader.element(explicit: syntax.isExplicit, depth: 0)
            values[tag] = range
            if tag == Tag(group: 0x7FE0, element: 0x0010) { break }
        }
        self.bytes = bytes
        self.values = values
        self.syntax = syntax
    }

    /// The walk over the bytes, one element at a time.
    private struct Reader {
        let bytes: [UInt8]
        var offset: Int
        let file: String

        func peekGroup() -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }

        mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
            guard count <= bytes.count - offset else {
                throw FormatError(file: file, "is truncated: \(what) needs \(count) bytes at offset \(offset), but the file has \(bytes.count - offset) left")
            }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        mutating func uint16(_ what: String) throws -> Int {
            let b = try take(2, what)
            return Int(b[b.startIndex]) | Int(b[b.startIndex + 1]) << 8
        }

        mutating func uint32(_ what: String) throws -> Int {
            let low = try uint16(what), high = try uint16(what)
            return low | high << 16
        }

        mutating func tag() throws -> Tag {
            let group = try uint16("a tag"), element = try uint16("a tag")
            return Tag(group: UInt16(group), element: UInt16(element))
        }

        /// Reads one element; returns its tag and the range of its value. A sequence of
        /// undefined length is walked to its delimiter and returned with an empty range.
        mutating func element(explicit: Bool, depth: Int) throws -> (Tag, Range<Int>) {
            let tag = try tag()
            var length: Int
            var vr = ""
            if explicit && tag.group != 0xFFFE {
                vr = String(decoding: try take(2, "the VR of \(tag)"), as: UTF8.self)
                if DICOMDataSet.longLengthVRs.contains(vr) {
                    _ = try take(2, "the reserved bytes of \(tag)")
                    length = try uint32("the length of \(tag)")
                } else {
                    length = try uint16("the length of \(tag)")
                }
            } else {
                length = try uint32("the length of \(tag)")
            }
            if length == DICOMDataSet.undefinedLength {
                if tag == Tag(group: 0x7FE0, element: 0x0010) {
                    throw FormatError(file: file, object: "Pixel Data \(tag)", "is encapsulated (compressed) although the transfer syntax is uncompressed")
                }
                guard depth < DICOMDataSet.maximumDepth else {
                    throw FormatError(file: file, object: "element \(tag)", "sequences nest more than \(DICOMDataSet.maximumDepth) deep; the file is corrupt")
                }
                let start = offset
                try skipSequence(explicit: explicit, depth: depth + 1, of: tag)
                return (tag, start..<offset)
            }
            let start = offset
            _ = try take(length, "the value of \(tag)")
            return (tag, start..<offset)
        }

        /// Reads one element as `element` does, with its VR ("" in implicit VR).
        mutating func elementWithVR(explicit: Bool, depth: Int) throws -> (Tag, String, Range<Int>) {
            let start = offset
            let tag = try tag()
            let vr = explicit && tag.group != 0xFFFE ? String(decoding: try take(2, "the VR of \(tag)"), as: UTF8.self) : ""
            offset = start
            let (_, range) = try element(explicit: explicit, depth: depth)
            return (tag, vr, range)
        }

        /// Skips the items of a sequence of undefined length, up to its delimiter.
        mutating func skipSequence(explicit: Bool, depth: Int, of sequence: Tag) throws {
            while true {
                let tag = try tag()
                let length = try uint32("an item length in \(sequence)")
                if tag == DICOMDataSet.sequenceDelimiter { return }
                guard tag == DICOMDataSet.itemTag else {
                    throw FormatError(file: file, object: "sequence \(sequence)", "holds \(tag) where an item was expected; the file is corrupt")
                }
                if length != DICOMDataSet.undefinedLength {
                    _ = try take(length, "an item of \(sequence)")
                    continue
                }
                while true {
                    let start = offset
                    if try self.tag() == DICOMDataSet.itemDelimiter { _ = try uint32("an item delimiter"); break }
                    offset = start
                    _ = try element(explicit: explicit, depth: depth)
                }
            }
        }
    }

    /// One item of a sequence: its elements' VRs ("" in implicit VR) and values, as ranges of
    /// `bytes`.
    struct Item {
        var elements: [Tag: (vr: String, range: Range<Int>)] = [:]
    }

    /// The items of the top-level sequence `tag` (empty when it is absent), each element checked
    /// to lie inside its item.
    func items(of tag: Tag, file: String) throws -> [Item] {
        guard let range = values[tag] else { return [] }
        var reader = Reader(bytes: bytes, offset: range.lowerBound, file: file)
        var items: [Item] = []
        while reader.offset + 8 <= range.upperBound {
            let itemTag = try reader.tag()
            let length = try reader.uint32("an item length in \(tag)")
            if itemTag == DICOMDataSet.sequenceDelimiter { break }
            guard itemTag == DICOMDataSet.itemTag else {
                throw FormatError(file: file, object: "sequence \(tag)", "holds \(itemTag) where an item was expected; the file is corrupt")
            }
            let end = length == DICOMDataSet.undefinedLength ? range.upperBound : reader.offset + length
            guard end <= range.upperBound else {
                throw FormatError(file: file, object: "sequence \(tag)", "has an item of \(length) bytes that runs past the sequence's end")
            }
            var item = Item()
            while reader.offset < end {
                if length == DICOMDataSet.undefinedLength {
                    let start = reader.offset
                    if try reader.tag() == DICOMDataSet.itemDelimiter { _ = try reader.uint32("an item delimiter"); break }
                    reader.offset = start
                }
                let (elementTag, vr, elementRange) = try reader.elementWithVR(explicit: syntax.isExplicit, depth: 1)
                guard reader.offset <= end else {
                    throw FormatError(file: file, object: "sequence \(tag)", "has element \(elementTag) running past the end of its item")
                }
                item.elements[elementTag] = (vr, elementRange)
            }
            items.append(item)
        }
        return items
    }

    /// The value of `tag` as bytes, or nil when the element is absent.
    func value(_ tag: Tag) -> ArraySlice<UInt8>? { values[tag].map { bytes[$0] } }

    /// An unsigned 16-bit (US) value.
    func unsignedShort(_ tag: Tag, _ name: String, file: String) throws -> Int? {
        guard let value = value(tag) else { return nil }
        guard value.count >= 2 else { throw FormatError(file: file, object: "\(name) \(tag)", "is \(value.count) bytes long, not a US value") }
        return Int(value[value.startIndex]) | Int(value[value.startIndex + 1]) << 8
    }

    /// A string value (CS, DS, IS, UI), with DICOM's space or NUL padding removed.
    func string(_ tag: Tag) -> String? {
        value(tag).map(DICOMDataSet.trimmed)
    }

    /// Text without DICOM's padding (spaces, and NUL after UIDs) at either end.
    static func trimmed(_ value: ArraySlice<UInt8>) -> String {
        let isPadding = { (byte: UInt8) in byte == 0x20 || byte == 0 }
        guard let first = value.firstIndex(where: { !isPadding($0) }), let last = value.lastIndex(where: { !isPadding($0) }) else { return "" }
        return String(decoding: value[first...last], as: UTF8.self)
    }

    /// A decimal string (DS) or integer string (IS); multi-valued strings give their first value.
    func number(_ tag: Tag, _ name: String, file: String) throws -> Double? {
        guard let text = string(tag), !text.isEmpty else { return nil }
        let first = text.split(separator: "\\").first.map { DICOMDataSet.trimmed(ArraySlice($0.utf8)) } ?? ""
        guard let number = Double(first), number.isFinite else {
            throw FormatError(file: file, object: "\(name) \(tag)", "\"\(text)\" is not a number")
        }
        return number
    }

    /// A multi-valued decimal string of exactly `count` numbers (PixelSpacing has 2,
    /// ImageOrientationPatient 6); nil when absent.
    func numbers(_ tag: Tag, _ name: String, count: Int, file: String) throws -> [Double]? {
        guard let text = string(tag), !text.isEmpty else { return nil }
        let values = text.split(separator: "\\", omittingEmptySubsequences: false).map { Double(DICOMDataSet.trimmed(ArraySlice($0.utf8))) }
        guard values.count == count, let numbers = values as? [Double], numbers.allSatisfy(\.isFinite) else {
            throw FormatError(file: file, object: "\(name) \(tag)", "\"\(text)\" is not \(count) numbers")
        }
        return numbers
    }
}
