@preconcurrency import CHDF5

/// An HDF5 file: a tree of groups (like directories) holding datasets (n-dimensional arrays), with
/// attributes (small named values) on the file, its groups and its datasets.
///
/// Open a file for reading with `HDF5File(reading:)`. Write one with `HDF5File.write(to:_:)`,
/// which hands a new, empty file to a closure and puts it under its name only once the closure
/// has finished and the file is complete (see `AtomicWrite`):
///
/// ```swift
/// try HDF5File.write(to: "run.h5") { file in
///     try file.write(weights, to: "model/down/0/weight")
///     try file.setAttribute("step", to: .integer(1000), on: "/")
/// }
/// let file = try HDF5File(reading: "run.h5")
/// let weights = try file.readTensor("model/down/0/weight")
/// ```
///
/// Objects are named by paths such as `model/down/0` or `/model/down/0` (both name the same
/// object; `/` is the root group). Every failure is a `FormatError` naming the file, the object
/// and the problem; HDF5 prints nothing to stderr.
///
/// Files are written in the HDF5 1.10 format, whose metadata carry checksums, and every value
/// is covered by a checksum too (see `write(_:to:as:)`), so a damaged file written by medsynth
/// is an error rather than wrong numbers. Files in the older format most tools write have no
/// checksums: damage there can go unnoticed, and some damaged metadata crash or hang the HDF5
/// 1.10 library itself, inside the C code, where no Swift check can intervene.
public final class HDF5File {
    /// The file's path, as the caller gave it.
    public let path: String
    /// True inside `HDF5File.write(to:_:)`; a file opened for reading refuses every change.
    public let isWritable: Bool
    private let handle: HDF5Handle

    private init(path: String, handle: HDF5Handle, isWritable: Bool) {
        self.path = path
        self.handle = handle
        self.isWritable = isWritable
    }

    /// Opens an existing HDF5 file for reading. A missing file, a file that is not HDF5 and a
    /// file HDF5 cannot make sense of (truncated, damaged) are errors naming the file.
    public convenience init(reading path: String) throws {
        // libhdf5 opens the file by name; opening it here first refuses anything but a regular
        // file (a FIFO would block HDF5's open forever).
        let size = try PosixFile.openForReading(path).size()
        guard size > 0 else { throw FormatError(file: path, "is empty, not an HDF5 file") }
        let handle: HDF5Handle = try HDF5Library.run {
            switch H5Fis_hdf5(path) {
            case let answer where answer > 0: break
            case 0: throw FormatError(file: path, "is not an HDF5 file (it has no HDF5 signature)")
            default: throw HDF5File.failure(path, nil, "cannot be read as HDF5")
            }
            let access = try HDF5File.fileAccessProperties(path, forWriting: false)
            guard let file = HDF5Handle(H5Fopen(path, HDF5Library.readOnly, access.id), close: H5Fclose) else {
                throw HDF5File.failure(path, nil, "cannot be opened as HDF5; it may be truncated or damaged")
            }
            return file
        }
        self.init(path: path, handle: handle, isWritable: false)
    }

    /// Creates a new HDF5 file, calls `body` to fill it, and only then writes it to `path`,
    /// replacing any file there. If `body` throws, or the file cannot be written (a full disk),
    /// nothing is left behind and an existing file at `path` is untouched.
    ///
    /// No object records when it was written (HDF5 stores times by default), so writing the same
    /// groups, datasets and attributes gives the same bytes: a retrained checkpoint that did not
    /// change does not show up as a change in version control.
    ///
    /// The file is built in memory (HDF5's "core" driver) and its finished image written with
    /// `AtomicWrite`. HDF5 thus never meets a failing disk: when its own close fails for want
    /// of space, HDF5 1.10 keeps a broken file in its tables and crashes when the process exits.
    /// The cost is memory: at the end, twice the file's size (HDF5's copy and the image), the
    /// file being about the size of the tensors written into it.
    ///
    /// The file passed to `body` must not be used after `body` returns. `durable: false` does
    /// not wait for the file to reach the disk: only for files whose contents are checked
    /// before use (see `AtomicWrite.replace`).
    @discardableResult
    public static func write<R>(to path: String, durable: Bool = true, _ body: (HDF5File) throws -> R) throws -> R {
        let handle: HDF5Handle = try HDF5Library.run {
            let access = try fileAccessProperties(path, forWriting: true)
            guard H5Pset_fapl_core(access.id, 4 << 20, false) >= 0 else { throw failure(path, nil, "cannot set up an in-memory file") }
            // A unique name: HDF5 refuses two open in-memory files of the same name.
            let name = AtomicWrite.temporaryPath(for: path)
            // No modification times on the root group: the same contents give the same bytes.
            guard let creation = HDF5Handle(H5Pcreate(H5P_CLS_FILE_CREATE_ID_g), close: H5Pclose),
                  H5Pset_obj_track_times(creation.id, false) >= 0
            else { throw failure(path, nil, "cannot set up file-creation properties") }
            guard let file = HDF5Handle(
                H5Fcreate(name, HDF5Library.createExclusive, creation.id, access.id), close: H5Fclose)
            else { throw failure(path, nil, "cannot be created") }
            return file
        }
        let file = HDF5File(path: path, handle: handle, isWritable: true)
        defer { handle.close() }
        let result = try body(file)
        let image = try file.image()
        try file.close()
        // The file is held open through the rename, so its identity (taken after the rename,
        // which changes its inode's change time) is that of the file this process wrote.
        var written: PosixFile?
        try AtomicWrite.write(path, durable: durable) { output in
            try output.write(image)
            written = try output.duplicate()
        }
        if let written { HDF5Rehearsal.trust(try written.identity()) }
        return result
    }

    /// The bytes of a file built in memory, as they would be on disk.
    private func image() throws -> [UInt8] {
        try HDF5Library.run {
            let id = try fileID(for: nil)
            guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw failure(nil, "cannot be flushed") }
            let size = H5Fget_file_image(id, nil, 0)
            guard size > 0 else { throw failure(nil, "cannot be assembled") }
            var bytes = [UInt8](repeating: 0, count: size)
            guard H5Fget_file_image(id, &bytes, size) == size else { throw failure(nil, "cannot be assembled") }
            try HDF5File.repairSuperblockChecksum(&bytes, path)
            return bytes
        }
    }

    /// HDF5 1.10 (1.10.8 at least) hands out the image of a file open for writing with the
    /// superblock's "open for writing" flag cleared but its checksum still computed with the
    /// flag set, so the image fails its own checksum when read. This recomputes the checksum
    /// of a version 2 or 3 superblock (format specification, section II.A): signature (8 bytes),
    /// version, size of offsets, size of lengths, flags (1 byte each), four addresses, then
    /// the lookup3 checksum of everything before it. Recomputing is right whether or not the
    /// library has the bug.
    static func repairSuperblockChecksum(_ image: inout [UInt8], _ path: String) throws {
        guard image.count >= 12, image.starts(with: signature), image[8] >= 2 else {
            throw FormatError(file: path, "HDF5 assembled an image without the expected version 2 or 3 superblock")
        }
        let checksumOffset = 12 + 4 * Int(image[9])
        guard image.count >= checksumOffset + 4 else { throw FormatError(file: path, "HDF5 assembled a truncated image") }
        let checksum = JenkinsLookup3.hash(image[0..<checksumOffset])
        for k in 0..<4 { image[checksumOffset + k] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt32(k))) }
    }

    /// The 8 bytes a superblock starts with: \x89 H D F \r \n \x1A \n. A file's superblock
    /// lies at offset 0, or after a user block at 512, 1024, 2048, ... bytes.
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Closes a file opened for reading now, rather than when it is released; reading
    /// afterwards is an error. (A file being written is closed by `write(to:_:)` itself.)
    public func close() throws {
        guard handle.close() else { throw HDF5File.failure(path, nil, "could not be closed cleanly") }
    }

    /// File-access properties for every file medsynth opens or creates. Closing a file closes
    /// whatever is still open in it, so that closing really flushes and releases the file. New
    /// files are written in the HDF5 1.10 format: checksummed metadata and compact chunk
    /// indexes, readable by HDF5 1.10 and later (h5py included).
    private static func fileAccessProperties(_ path: String, forWriting: Bool) throws -> HDF5Handle {
        guard let access = HDF5Handle(H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g), close: H5Pclose),
              !forWriting || H5Pset_libver_bounds(access.id, H5F_LIBVER_V110, H5F_LIBVER_V110) >= 0,
              H5Pset_fclose_degree(access.id, H5F_CLOSE_STRONG) >= 0
        else { throw failure(path, nil, "cannot set up file-access properties") }
        return access
    }

    // MARK: - Shared by the operations

    /// The file's identifier, for use inside `HDF5Library.run`; an error once the file is closed.
    func fileID(for object: String?) throws -> hid_t {
        guard handle.isOpen else { throw FormatError(file: path, object: object, "the file has already been closed") }
        return handle.id
    }

    /// Checks that the file is open for writing before an operation that changes it.
    func requireWritable(_ object: String) throws {
        guard isWritable else { throw FormatError(file: path, object: object, "the file is open for reading only") }
    }

    /// A `FormatError` for a failed HDF5 call: `what` went wrong, with HDF5's own innermost
    /// reason appended when it gave one.
    func failure(_ object: String?, _ what: String) -> FormatError {
        HDF5File.failure(path, object, what)
    }

    static func failure(_ path: String, _ object: String?, _ what: String) -> FormatError {
        guard let reason = HDF5Library.takeErrorMessage() else { return FormatError(file: path, object: object, what) }
        return FormatError(file: path, object: object, "\(what) (HDF5: \(reason))")
    }

    /// The components of an object path: "model/down/0" and "/model/down/0" give
    /// ["model", "down", "0"]; "/" gives []. Empty components ("a//b"), "." and ".." are errors.
    func components(of objectPath: String) throws -> [String] {
        let parts = objectPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let inner = parts.first == "" ? parts.dropFirst() : parts[...]
        let trimmed = inner.last == "" ? inner.dropLast() : inner
        if trimmed.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.contains("\0") }) {
            throw FormatError(file: path, object: objectPath,
                "is not a valid object path (use names separated by single slashes, such as model/down/0)")
        }
        guard trimmed.count <= HDF5File.maximumDepth else {
            throw FormatError(file: path, object: String(objectPath.prefix(200)) + (objectPath.count > 200 ? "..." : ""),
                "is nested \(trimmed.count) groups deep; medsynth reads at most \(HDF5File.maximumDepth) levels")
        }
        return Array(trimmed)
    }

    /// The deepest object path medsynth looks up. Each lookup walks its path level by level
    /// (see `kind(of:)`), and a walk of a tree visits every level, so depth costs quadratic
    /// time: a file of 1,000 nested groups took minutes. Checkpoints nest about 8 deep.
    static let maximumDepth = 64

    /// The absolute form of an object path, as HDF5 and messages show it: "/model/down/0".
    func absolutePath(_ objectPath: String) throws -> String {
        "/" + (try components(of: objectPath)).joined(separator: "/")
    }
}
