#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that its name never points at a half-written file.
///
/// The contents go to a temporary file in the same directory (so that both are on one file
/// system), which is flushed to disk and then renamed over the target. rename(2) replaces the
/// directory entry in one step: a reader, or the machine after a crash, sees either the old file
/// or the complete new one. If producing the contents fails (an error, a full disk), the
/// temporary file is removed and the existing file is left untouched.
public enum AtomicWrite {
    /// Calls `produce` with the path of a temporary file that does not exist yet, then renames
    /// that file over `path`. `produce` must create the file and close it before returning.
    ///
    /// `durable: false` skips flushing the file and the rename to disk (two waits for the
    /// device, milliseconds each): the name still never points at a half-written file while the
    /// machine runs, but after a power cut the file may be empty or torn. Only for files whose
    /// contents are checked before use, such as cache entries (checked against their checksum).
    static func replace<R>(_ path: String, durable: Bool = true, _ produce: (_ temporaryPath: String) throws -> R) throws -> R {
        let temporary = temporaryPath(for: path)
        do {
            let result = try produce(temporary)
            if durable { try PosixFile.openForReading(temporary).synchronize() }
            guard rename(temporary, path) == 0 else {
                throw PosixFile.systemError(path, "cannot replace with the newly written file")
            }
            if durable { synchronizeDirectory(of: path) }
            return result
        } catch let error as FormatError where error.file == temporary {
            unlink(temporary)
            // Name the file the caller asked for, not the temporary it never heard of.
            throw FormatError(file: path, object: error.object, error.message)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes the bytes `produce` hands to its writer to `path`, atomically (see `replace` for
    /// `durable`).
    static func write(_ path: String, durable: Bool = true, _ produce: (PosixFile) throws -> Void) throws {
        try replace(path, durable: durable) { temporary in
            let file = try PosixFile.createExclusive(temporary)
            try produce(file)
            try file.close()
        }
    }

    /// Writes `bytes` to `path` atomically (see `replace` for `durable`).
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws {
        try write(path, durable: durable) { file in try file.write(bytes) }
    }

    /// Writes `text`, as UTF-8, to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Replaces the file `name` in the open directory `directory` with `bytes`, reaching both
    /// names relative to the directory and never through a link (for folders whose contents
    /// may be hostile, such as a cache). The temporary file `temporaryName` is created afresh
    /// (O_EXCL | O_NOFOLLOW; a stale one of the same name, from a killed writer, is removed
    /// first), so the caller must be the only writer of that name: a cache holds its lock.
    /// `path` is the file's path for messages.
    public static func replace(
        inDirectory directory: Int32, name: String, temporaryName: String, with bytes: [UInt8],
        mode: mode_t = 0o644, path: String
    ) throws {
        unlinkat(directory, temporaryName, 0)
        let descriptor = retryingInterrupts {
            openat(directory, temporaryName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        guard descriptor >= 0 else { throw PosixFile.systemError(path, "cannot open") }
        do {
            let file = PosixFile(path: path, descriptor: descriptor)
            try file.write(bytes)
            try file.synchronize()
            try file.close()
            guard renameat(directory, temporaryName, directory, name) == 0 else {
                throw PosixFile.systemError(path, "cannot replace with the newly written file")
            }
        } catch {
            unlinkat(directory, temporaryName, 0)
            throw error
        }
    }

    /// `.name.<pid>-<random>.tmp` next to `path`: hidden, and unique enough that two writers
    /// of the same file (or a stale temporary left by a killed process) never collide.
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tag = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return "\(directory).\(name).\(getpid())-\(tag).tmp"
    }

    /// The process that is writing (or was, before it was killed) the temporary file named
    /// `name` (a file name as `temporaryPath(for:)` makes them); nil for another name.
    public static func writerProcess(ofTemporary name: String) -> pid_t? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
        let stem = name.dropLast(".tmp".count)
        guard let dot = stem.lastIndex(of: "."), let dash = stem[dot...].firstIndex(of: "-") else { return nil }
        return pid_t(stem[stem.index(after: dot)..<dash])
    }

    /// Flushes the directory entry of the rename, so that it too survives a crash. A file
    /// system that cannot do this still has the file, so failure is not an error here.
    private static func synchronizeDirectory(of path: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
