import Formats
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of a cache folder, reached without following symbolic links.
///
/// The folder's contents are input like any other: a shared or downloaded notebook folder can
/// bring a `.medsynth-cache` in which `entries` is a link to the user's home, or `index.json` a
/// link to a file elsewhere. So the folder (which the user named, and may be a link) is opened
/// once, and everything inside it is opened relative to it with `O_NOFOLLOW` (`openat`), listed
/// from the opened `entries/`, and deleted with `unlinkat`, which removes a name and never a
/// folder or what a link points at. A link or a file of the wrong kind where the cache expects
/// its own files is refused with a message that says which.
final class CacheFolder {
    let path: String
    /// The cache folder and its `entries/` folder, open for the lifetime of the cache.
    private let folder: Int32
    private let entries: Int32
    /// The file `runs`, on which every open cache holds a shared `flock` for its lifetime
    /// (released by the kernel when the process ends, however it ends); -1 until
    /// `joinRuns` opens it.
    private var runs: Int32 = -1

    /// Opens the cache folder at `path`, creating it and its `entries/` when missing.
    init(path: String) throws(NotebookError) {
        self.path = path
        try Self.createFolders(path)
        folder = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw Self.failure(path, "cannot open the cache folder", errno) }
        if mkdirat(folder, "entries", 0o755) != 0, errno != EEXIST {
            let error = errno
            close(folder)
            throw Self.failure(path + "/entries", "cannot create the cache's entries folder", error)
        }
        do {
            entries = try Self.openExisting(folder, "entries", O_RDONLY | O_DIRECTORY, path: path + "/entries")
        } catch {
            close(folder)
            throw error
        }
    }

    deinit {
        if runs >= 0 { close(runs) }
        close(entries)
        close(folder)
    }

    /// Joins the runs that have this cache open (a shared `flock` on `runs`, held until the
    /// cache is released) and says whether there was none before: only then may files that
    /// the index does not list be cleared away, since a live run may have written an entry it
    /// has not listed yet (it lists entries at most once a second, and a long statement can
    /// come in between). Call with the cache's lock held, so that two runs do not ask at once.
    func joinRuns() throws(NotebookError) -> Bool {
        let descriptor = try Self.openExisting(folder, "runs", O_RDWR | O_CREAT, mode: 0o644, path: runsPath)
        runs = descriptor
        let alone = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        while flock(descriptor, LOCK_SH) != 0 {
            guard errno == EINTR else { throw Self.failure(runsPath, "cannot join the runs using the cache", errno) }
        }
        return alone
    }

    private var runsPath: String { (path as NSString).appendingPathComponent("runs") }

    /// The path of an entry's file, for the entry writer (which take paths). Its
    /// folder was checked to be a real folder when the cache was opened.
    func entryPath(_ key: CacheEntryKey) -> String {
        (path as NSString).appendingPathComponent("entries/\(key.fileName)")
    }

    /// Runs `body` holding the cache's lock: an exclusive `flock` on the file `lock`, released
    /// when its descriptor closes, so a killed run never leaves it held.
    func withLock<R>(_ body: () throws -> R) throws -> R {
        let descriptor = try Self.openExisting(folder, "lock", O_RDWR | O_CREAT, mode: 0o644, path: lockPath)
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw Self.failure(lockPath, "cannot lock the cache", errno) }
        }
        return try body()
    }

    private var lockPath: String { (path as NSString).appendingPathComponent("lock") }

    /// The regular file `name` in the cache folder: what `fstat` says of it (its owner and
    /// mode), and its contents. Nil when there is none; refused when it is a link or not a
    /// regular file, or larger than `limit` bytes.
    func readFile(_ name: String, limit: Int) throws(NotebookError) -> (status: stat, bytes: [UInt8])? {
        let filePath = (path as NSString).appendingPathComponent(name)
        guard let descriptor = try Self.openInside(folder, name, O_RDONLY, path: filePath) else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.failure(filePath, "cannot read", errno) }
        return (status, try Self.readAll(descriptor, limit: limit, path: filePath))
    }

    /// The bytes of an entry's file if it is a regular file of at most `limit` bytes, else nil.
    func readEntry(_ key: CacheEntryKey, limit: Int) -> [UInt8]? {
        guard let descriptor = try? Self.openInside(entries, key.fileName, O_RDONLY, path: entryPath(key)) else { return nil }
        defer { close(descriptor) }
        return try? Self.readAll(descriptor, limit: limit, path: entryPath(key))
    }

    /// Replaces the file `name` in the cache folder with `bytes` (see `AtomicWrite.replace(inDirectory:…)`):
    /// written and flushed to `name.tmp-<pid>`, created afresh and never through a link, then
    /// renamed over `name`, so the name never holds a partial file. The caller holds the lock,
    /// so no other medsynth process writes that temporary name.
    func replaceFile(_ name: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(NotebookError) {
        let filePath = (path as NSString).appendingPathComponent(name)
        do {
            try AtomicWrite.replace(inDirectory: folder, name: name, temporaryName: "\(name).tmp-\(getpid())", with: bytes,
                                    mode: mode, path: filePath)
        } catch let error as FormatError {
            throw NotebookError(path: filePath, line: nil, error.message)
        } catch {
            throw NotebookError(path: filePath, line: nil, "cannot write: \(error)")
        }
    }

    /// The names in `entries/`.
    func entryFolderNames() -> [String] {
        let listing = dup(entries)
        guard listing >= 0, let stream = fdopendir(listing) else { return [] }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { String(cString: $0) }
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// The last modification of `name` in `entries/` if it is a regular file (not a link, not
    /// a folder), else nil.
    func regularEntryFileModified(_ name: String) -> Date? {
        var status = stat()
        guard fstatat(entries, name, &status, AT_SYMLINK_NOFOLLOW) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Darwin)
        return Date(timeIntervalSince1970: TimeInterval(status.st_mtimespec.tv_sec))
        #else
        return Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec))
        #endif
    }

    /// Removes the name `name` from `entries/` if it is a regular file. unlinkat without
    /// AT_REMOVEDIR never removes a folder, and removes a link itself, never its target.
    func removeEntryFile(_ name: String) {
        guard regularEntryFileModified(name) != nil else { return }
        unlinkat(entries, name, 0)
    }

    // MARK: - System calls, with the cache's messages

    /// Opens `name` inside the folder `parent` without following a link, and checks that it is
    /// what `flags` asks for (a folder with O_DIRECTORY, else a regular file); nil when there is
    /// no such name.
    private static func openInside(
        _ parent: Int32, _ name: String, _ flags: Int32, mode: mode_t = 0, path: String
    ) throws(NotebookError) -> Int32? {
        // O_NONBLOCK: a FIFO planted under a cache file's name must not block the run.
        let descriptor = openat(parent, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let error = errno
            if error == ELOOP || (error == ENOTDIR && isLink(parent, name)) {
                throw NotebookError(path: path, line: nil,
                    "is a symbolic link; the cache does not follow links inside its folder (remove it, or use another --cache folder)")
            }
            if error == ENOENT { return nil }
            if error == ENOTDIR {
                throw NotebookError(path: path, line: nil, "is not a folder, where the cache keeps one (remove it, or use another --cache folder)")
            }
            throw failure(path, "cannot open", error)
        }
        var status = stat()
        let wantsFolder = flags & O_DIRECTORY != 0
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == (wantsFolder ? S_IFDIR : S_IFREG) else {
            close(descriptor)
            throw NotebookError(path: path, line: nil,
                "is not a \(wantsFolder ? "folder" : "regular file"), where the cache keeps one (remove it, or use another --cache folder)")
        }
        return descriptor
    }

    /// `openInside` for a name that must be there (or that `flags` creates).
    private static func openExisting(
        _ parent: Int32, _ name: String, _ flags: Int32, mode: mode_t = 0, path: String
    ) throws(NotebookError) -> Int32 {
        guard let descriptor = try openInside(parent, name, flags, mode: mode, path: path) else {
            throw NotebookError(path: path, line: nil, "is missing")
        }
        return descriptor
    }

    private static func isLink(_ parent: Int32, _ name: String) -> Bool {
        var status = stat()
        return fstatat(parent, name, &status, AT_SYMLINK_NOFOLLOW) == 0 && (status.st_mode & S_IFMT) == S_IFLNK
    }

    /// The whole file behind `descriptor`; refused past `limit` bytes (checked before reading).
    private static func readAll(_ descriptor: Int32, limit: Int, path: String) throws(NotebookError) -> [UInt8] {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(path, "cannot read", errno) }
        guard status.st_size <= limit else {
            throw NotebookError(path: path, line: nil, "is \(status.st_size) bytes, more than the cache reads (\(limit))")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure(path, "cannot read", errno) }
            if count == 0 { break }
            offset += count
        }
        return Array(bytes[..<offset])
    }

    /// Creates the folder at `path` and its missing parents (mkdir -p), with the system's
    /// reason when it cannot.
    private static func createFolders(_ path: String) throws(NotebookError) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw NotebookError(path: path, line: nil, "is not a folder; the cache needs one here") }
            return
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        var prefix = ""
        for (index, component) in components.enumerated() {
            prefix += (index == 0 ? "" : "/") + component
            guard !component.isEmpty, component != ".", component != ".." else { continue }
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw failure(path, "cannot create the cache folder", errno)
            }
        }
    }

    private static func failure(_ path: String, _ what: String, _ error: Int32) -> NotebookError {
        NotebookError(path: path, line: nil, "\(what): \(String(cString: strerror(error)))")
    }
}
