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
/// object; `/` is the root group). Files are written in the HDF5 1.10 format, whose metadata
/// carry checksums, and datasets carry a Fletcher-32 checksum of their data, so a
/// damaged file written by medsynth is an error rather than wrong numbers. Every failure is a
/// `FormatError` naming the file, the object and the problem; HDF5 prints nothing to stderr.
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

    /// Creates a new HDF5 file at `path`, calls `body` to fill it, closes it, and only then puts
    /// it under `path`, replacing any file there. If `body` throws, or the file cannot be
    /// completed, nothing is left behind and an existing file at `path` is untouched.
    ///
    /// The file passed to `body` must not be used after `body` returns.
    @discardableResult
    public static func write<R>(to path: String, _ body: (HDF5File) throws -> R) throws -> R {
        try AtomicWrite.replace(path) { temporary in
            let handle: HDF5Handle = try HDF5Library.run {
                let access = try fileAccessProperties(path, forWriting: true)
                guard let file = HDF5Handle(
                    H5Fcreate(temporary, HDF5Library.createExclusive, HDF5Library.defaultProperties, access.id),
                    close: H5Fclose)
                else { throw failure(path, nil, "cannot be created") }
                return file
            }
            let file = HDF5File(path: path, handle: handle, isWritable: true)
            let result = try body(file)
            try file.close()
            return result
        }
    }

    /// Closes the file now (it is also closed when released). Reading or writing afterwards is
    /// an error. For a file being written, a failure to flush its contents is reported here.
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
        return Array(trimmed)
    }

    /// The absolute form of an object path, as HDF5 and messages show it: "/model/down/0".
    func absolutePath(_ objectPath: String) throws -> String {
        "/" + (try components(of: objectPath)).joined(separator: "/")
    }
}
