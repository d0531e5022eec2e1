/// Every file format medsynth reads or writes, and how a file's format is found.
///
/// A path's extension names a format (`format(forPath:)`); a file's first bytes may carry a
/// format's signature (`format(forHeader:)`). To read a file, `detect(path:)` weighs the two:
///
/// 1. When the extension names a format, that format reads the file, provided the file's first
///    bytes are that format's or no other's. A file whose first bytes are another format's (a
///    PNG named `scan.dcm`) is refused with a message saying what it is: a known extension is a
///    claim, and a contradicted claim is more likely a mistake (the wrong file, a wrong name)
///    than something to guess around. First bytes that are nobody's are left to the named
///    format's reader, whose message says exactly what is wrong (an empty file, a truncated
///    header), and which reads a few files the signatures here do not recognise (an HDF5 file
///    with a user block past 2048 bytes, a zlib-wrapped `.nii.gz`).
/// 2. When the extension names no format (none, or `.ima`, `.bin`, `.img`), the first bytes
///    decide: scanners often write DICOM without an extension, and a renamed file is still what
///    it is. Bytes that are no format's are an error listing what medsynth reads.
///
/// Detection never trusts more than it reads: every signature is checked against the bytes
/// actually there, so an empty file or one shorter than a header matches nothing, and the
/// reader that follows checks everything else.
public enum FormatRegistry {
    /// Every format, one line each, in the order detection by first bytes tries them.
    public static let all: [any FileFormat] = [
        PNGFormat(),
        NIfTIFormat(),
        DICOMFormat(),
        HDF5Format(),
        SafetensorsFormat(),
        SVGFormat(),
    ]

    /// How many of a file's first bytes detection reads: enough for DICOM's "DICM" at 128 and
    /// for an HDF5 superblock after a user block of up to 2048 bytes.
    public static let headerLength = 2048 + 8

    /// The format the extension of `path` names, or nil. When the extensions of two formats
    /// both fit, the longer wins ("nii.gz" over a format of "gz").
    public static func format(forPath path: String) -> (any FileFormat)? {
        var best: (format: any FileFormat, length: Int)?
        for format in all {
            if let found = format.extension(naming: path), found.count > best?.length ?? -1 {
                best = (format, found.count)
            }
        }
        return best?.format
    }

    /// The first format, in the order of `all`, whose signature `header` carries, or nil.
    public static func format(forHeader header: [UInt8]) -> (any FileFormat)? {
        all.first { $0.matches(header: header) }
    }

    /// The first `headerLength` bytes of the regular file at `path`, or all of it when it is
    /// shorter. A missing file, a folder, a pipe or a device is a `FormatError`.
    public static func header(of path: String) throws -> [UInt8] {
        let file = try PosixFile.openForReading(path)
        return try file.read(at: 0, count: min(try file.size(), headerLength))
    }

    /// The format to read the file at `path` with, by the rule in the type's documentation.
    /// Throws a `FormatDetectionError` when the extension and the first bytes disagree, when
    /// neither names a format, or when the format found reads nothing (SVG); a `FormatError`
    /// when the file cannot be opened.
    public static func detect(path: String) throws -> any FileFormat {
        let header = try header(of: path)
        let found: any FileFormat
        if let named = format(forPath: path) {
            if !named.matches(header: header), let actual = format(forHeader: header) {
                let fileExtension = named.extension(naming: path) ?? ""
                throw FormatDetectionError(
                    file: path, "'\(path)' is \(actual.name) by its first bytes, but its extension .\(fileExtension) names \(named.name)",
                    hint: "rename it to end in .\(actual.extensions[0])")
            }
            found = named
        } else if let recognised = format(forHeader: header) {
            found = recognised
        } else {
            let fileExtension = PathName.fileExtension(of: path)
            throw FormatDetectionError(
                file: path, "cannot tell the format of '\(path)'"
                    + (fileExtension.isEmpty ? " from its first bytes (it has no extension)" : " from .\(fileExtension) or from its first bytes"),
                expected: readableFiles)
        }
        guard !found.capabilities.reads.isEmpty else {
            throw FormatDetectionError(
                file: path, "cannot read '\(path)': medsynth writes \(found.name) files but does not read them", expected: readableFiles)
        }
        return found
    }

    /// The formats whose `read` can give `kind`, in the order of `all`.
    public static func formats(reading kind: FormatValue.Kind) -> [any FileFormat] {
        all.filter { $0.reads(kind) }
    }

    /// The formats whose `write` takes `kind`, in the order of `all`.
    public static func formats(writing kind: FormatValue.Kind) -> [any FileFormat] {
        all.filter { $0.writes(kind) }
    }

    /// The extensions of `formats` with their dots, for messages: ".png, .nii, .nii.gz or .h5".
    public static func extensions(of formats: [any FileFormat], conjunction: String = "or") -> String {
        list(formats.flatMap { $0.extensions.map { "." + $0 } }, conjunction: conjunction)
    }

    /// What a file to read may be, for messages: "a .png, .nii, .nii.gz, .dcm, .dicom, .h5,
    /// .hdf5 or .safetensors file".
    public static var readableFiles: String {
        "a " + extensions(of: readable) + " file"
    }

    /// The formats medsynth reads something from, in the order of `all`.
    public static var readable: [any FileFormat] { all.filter { !$0.capabilities.reads.isEmpty } }

    /// The formats medsynth writes something to, in the order of `all`.
    public static var writable: [any FileFormat] { all.filter { !$0.capabilities.writes.isEmpty } }

    /// What medsynth reads and writes, a line per format, for help and messages:
    ///
    ///     PNG (.png): reads a tensor; writes a tensor
    ///     DICOM (.dcm or .dicom): reads a tensor
    public static var supported: String {
        all.map { format in
            let reads = FormatValue.Kind.allCases.filter(format.reads).map(\.description)
            let writes = FormatValue.Kind.allCases.filter(format.writes).map(\.description)
            return "\(format.name) (\(format.extensionList)): "
                + [reads.isEmpty ? nil : "reads " + list(reads, conjunction: "or"),
                   writes.isEmpty ? nil : "writes " + list(writes, conjunction: "or")].compactMap { $0 }.joined(separator: "; ")
        }.joined(separator: "\n")
    }

    /// "a", "a or b", "a, b or c".
    public static func list(_ items: [String], conjunction: String) -> String {
        guard let last = items.last else { return "" }
        return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}

/// The format of a file to read cannot be settled: its extension and first bytes disagree,
/// neither names a format, or the format they name is one medsynth only writes. `expected` and
/// `hint`, when given, say what would do, so that `load` can show them as it shows its own.
public struct FormatDetectionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path of the file, as the caller gave it.
    public var file: String
    /// What is wrong, naming the file.
    public var message: String
    /// What a file to read may be: "a .png, .nii, ... file".
    public var expected: String?
    /// What to do about it: "rename it to end in .png".
    public var hint: String?

    /// An error about `file`: `message`, with what would do and what to do when known.
    public init(file: String, _ message: String, expected: String? = nil, hint: String? = nil) {
        self.file = file
        self.message = message
        self.expected = expected
        self.hint = hint
    }

    /// The message, then what was expected and the hint, each in parentheses.
    public var description: String {
        message + (expected.map { " (expected \($0))" } ?? "") + (hint.map { " (\($0))" } ?? "")
    }
}
