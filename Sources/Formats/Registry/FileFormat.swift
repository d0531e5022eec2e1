import Engine
/// A kind of file medsynth reads or writes, described in one place: its name, the extensions
/// that name it, the first bytes that identify it, the kinds of value it reads and writes, and
/// how it reads and writes them.
///
/// `FormatRegistry.all` lists every format; `load` and `save` look formats up there, and their
/// messages and help come from there, so adding a format means one conforming type in the
/// format's own folder (`PNG/PNGFormat.swift`) and one line in the registry.
public protocol FileFormat: Sendable {
    /// The format's name in messages: "PNG", "NIfTI-1".
    var name: String { get }

    /// The extensions that name the format, in lower case, without the leading dot, the usual
    /// one first: `["nii", "nii.gz"]`. A path names the format when its last component ends in a
    /// dot and one of them, in any letter case (see `extension(naming:)`).
    var extensions: [String] { get }

    /// The kinds of value `read` gives and `write` takes.
    var capabilities: FormatCapabilities { get }

    /// What `read` gives, as a phrase for help texts: "[C, H, W] scaled to 0...1". Empty for a
    /// format that reads nothing.
    var reading: String { get }

    /// What `write` takes and how it stores it, as a phrase for help texts: "a tensor as one
    /// dataset, or a model checkpoint". Empty for a format that writes nothing.
    var writing: String { get }

    /// Whether `header`, the first bytes of a file, carry this format's signature (its magic
    /// number). `header` holds `FormatRegistry.headerLength` bytes, or the whole file when it is
    /// shorter, so it may be empty; a header too short to hold the signature does not match.
    func matches(header: [UInt8]) -> Bool

    /// Reads the file at `path`. A file that is not what the format expects (truncated, damaged,
    /// another format) is a `FormatError` naming it; options that do not fit the file (a slab
    /// outside its dataset) are a `FormatOptionError`.
    func read(_ path: String, options: ReadOptions) throws -> FormatValue

    /// Writes `value` to `path`, atomically (see `AtomicWrite`). A value the format cannot
    /// hold (a kind it does not write, a tensor of the wrong shape) is a `FormatError`.
    func write(_ value: FormatValue, to path: String, options: WriteOptions) throws

    /// Reads the file as `read` does, with where its voxels lie: the geometry, or why the
    /// file's statement of it cannot be read; (value, nil, nil) for a format that states none.
    func readWithGeometry(_ path: String, options: ReadOptions) throws -> (value: FormatValue, geometry: ImageGeometry?, problem: String?)

    /// Writes an image with where its voxels lie; a format that states no geometry writes the
    /// image alone.
    func write(_ image: Tensor, geometry: ImageGeometry, to path: String, options: WriteOptions) throws
}

extension FileFormat {
    public func write(_ image: Tensor, geometry: ImageGeometry, to path: String, options: WriteOptions) throws {
        try write(.tensor(image), to: path, options: options)
    }

    public func readWithGeometry(_ path: String, options: ReadOptions) throws -> (value: FormatValue, geometry: ImageGeometry?, problem: String?) {
        (try read(path, options: options), nil, nil)
    }

    /// Reads the file at `path` as a whole (see `ReadOptions.whole`).
    public func read(_ path: String) throws -> FormatValue {
        try read(path, options: .whole)
    }

    /// Writes `value` to `path` with the standard options (see `WriteOptions.standard`).
    public func write(_ value: FormatValue, to path: String) throws {
        try write(value, to: path, options: .standard)
    }

    /// Whether `read` can give a value of `kind`.
    public func reads(_ kind: FormatValue.Kind) -> Bool { capabilities.reads.contains(kind) }

    /// Whether `write` takes a value of `kind`.
    public func writes(_ kind: FormatValue.Kind) -> Bool { capabilities.writes.contains(kind) }

    /// The longest of the format's extensions that the last component of `path` ends in
    /// (after a dot, in any letter case), or nil if none does: "scan.NII.gz" gives "nii.gz".
    public func `extension`(naming path: String) -> String? {
        let name = PathName.lastComponent(of: path).lowercased()
        return extensions.filter { name.hasSuffix("." + $0) }.max { $0.count < $1.count }
    }

    /// The extensions with their dots, for messages: ".nii or .nii.gz".
    public var extensionList: String {
        FormatRegistry.list(extensions.map { "." + $0 }, conjunction: "or")
    }

    /// The error for a value of a kind this format does not write, naming what it does write.
    public func cannotWrite(_ value: FormatValue, to path: String) -> FormatError {
        let holds = FormatValue.Kind.allCases.filter(writes).map(\.description)
        return FormatError(file: path, "cannot write \(value.kind) as \(name), which holds "
            + (holds.isEmpty ? "nothing medsynth writes" : FormatRegistry.list(holds, conjunction: "or")))
    }
}
