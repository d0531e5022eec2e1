import Formats
import Foundation
import Language

/// Values on disk, content-addressed by a statement's cache key. Each entry is one HDF5 file
/// (`entries/<key>.h5`, written atomically); `index.json` (also written atomically) records each
/// entry's size, checksum, last use and the parts of its key. An entry is trusted only if the
/// index lists it with the checksum its bytes still have, so a corrupted or half-written file
/// is never read: it is deleted and its statement recomputed. Past `capacity` bytes the least
/// recently used entries are evicted.
///
/// Several runs may share a cache at once (two notebooks in two terminals). The index is only
/// read and replaced under an exclusive lock on `lock`, and a run does not overwrite it with
/// its own view: it merges what it stored, used and removed into the index on disk. Files the
/// index does not list are cleared away only when no live run can still be writing them.
public final class TensorCache {
    /// What the index knows of an entry.
    public struct Entry: Codable, Sendable, Equatable {
        public var bytes: Int
        public var checksum: String
        public var lastUsed: Double
        /// Where the statement was: "notebook.medsynth#label", and the names it binds.
        public var origin: String
        public var parts: KeyParts
        /// For a statement whose file paths are known only when it runs (a record with no
        /// values, `bytes` 0): the files it read, in order, so that `medsynth why` can key what
        /// depends on it as a run would, without running it.
        public var filesRead: [String]?

        var isRecordOnly: Bool { filesRead != nil }
    }

    public let directory: String
    public let capacity: Int
    public private(set) var entries: [String: Entry] = [:]
    /// What this run did since the index was last merged: entries it stored (merged in),
    /// entries it only used (their last use raised, if they are still there) and entries it
    /// removed (taken out).
    private var stored: Set<String> = []
    private var used: Set<String> = []
    private var removed: Set<String> = []

    private var indexPath: String { (directory as NSString).appendingPathComponent("index.json") }
    private var lockPath: String { (directory as NSString).appendingPathComponent("lock") }
    private var entriesDirectory: String { (directory as NSString).appendingPathComponent("entries") }

    /// The default capacity: 2 GiB.
    public static let defaultCapacity = 2 << 30

    /// How old a finished entry file the index does not list must be before it is removed: a
    /// run sharing the cache writes the file first and lists it a moment later.
    static let strayAge: TimeInterval = 600

    public init(directory: String, capacity: Int = TensorCache.defaultCapacity) throws {
        self.directory = directory
        self.capacity = capacity
        try FileManager.default.createDirectory(atPath: entriesDirectory, withIntermediateDirectories: true)
        try withLock {
            entries = readIndex()
            removeStrays()
        }
    }

    /// The index on disk; an unreadable one loses the entries' records, not the run: they are
    /// recomputed.
    private func readIndex() -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: indexPath) else { return [:] }
        return (try? JSONDecoder().decode([String: Entry].self, from: data)) ?? [:]
    }

    /// Runs `body` holding the cache's lock (flock, released when the descriptor closes, so a
    /// killed run never leaves it held).
    private func withLock<R>(_ body: () throws -> R) throws -> R {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw NotebookError(path: lockPath, line: nil, "cannot open the cache's lock: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw NotebookError(path: lockPath, line: nil, "cannot lock the cache: \(String(cString: strerror(errno)))")
            }
        }
        return try body()
    }

    func path(of key: String) -> String {
        (entriesDirectory as NSString).appendingPathComponent("\(key).h5")
    }

    /// Files the index does not list: temporary files of a killed write (their name carries
    /// the writer's process id), and entries whose index update never happened. A temporary
    /// file of a live process and a recent entry file may belong to a run sharing the cache,
    /// and stay.
    private func removeStrays() {
        let manager = FileManager.default
        let files = (try? manager.contentsOfDirectory(atPath: entriesDirectory)) ?? []
        let now = Date()
        for file in files where !(file.hasSuffix(".h5") && entries[String(file.dropLast(3))] != nil) {
            let path = (entriesDirectory as NSString).appendingPathComponent(file)
            if file.hasSuffix(".tmp") {
                if let writer = AtomicWrite.writerProcess(ofTemporary: file), writer != getpid(), kill(writer, 0) == 0 || errno == EPERM {
                    continue
                }
            } else if let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                      now.timeIntervalSince(modified) < Self.strayAge {
                continue
            }
            try? manager.removeItem(atPath: path)
        }
    }

    /// The values stored under `key`, or nil when there are none or the entry is damaged (then
    /// it is removed).
    public func values(for key: String) -> [(name: String, value: Value)]? {
        guard var entry = entries[key] else { return nil }
        let path = path(of: key)
        guard let data = FileManager.default.contents(atPath: path), SHA256.hex(bytes: data) == entry.checksum,
              let values = try? ValueCodec.read(from: path) else {
            remove(key)
            return nil
        }
        entry.lastUsed = Date().timeIntervalSince1970
        entries[key] = entry
        used.insert(key)
        return values
    }

    /// Stores values under `key`; false (and nothing stored) when a value cannot be stored.
    @discardableResult
    public func store(_ values: [(name: String, value: Value)], for key: String, origin: String, parts: KeyParts) throws -> Bool {
        let path = path(of: key)
        do {
            try ValueCodec.write(values, to: path)
        } catch is ValueCodec.Unstorable {
            return false
        }
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        entries[key] = Entry(
            bytes: data.count, checksum: SHA256.hex(bytes: data), lastUsed: Date().timeIntervalSince1970,
            origin: origin, parts: parts)
        stored.insert(key)
        removed.remove(key)
        try saveIndex()
        return true
    }

    /// Records which files the statement keyed `key` read when it ran (its values are not
    /// stored: such a statement always runs). Saved with the index.
    /// Only the newest record of a statement is kept.
    public func noteFilesRead(_ paths: [String], for key: String, origin: String, parts: KeyParts) {
        for (other, entry) in entries where entry.isRecordOnly && entry.origin == origin && other != key { remove(other) }
        entries[key] = Entry(bytes: 0, checksum: "", lastUsed: Date().timeIntervalSince1970, origin: origin, parts: parts, filesRead: paths)
        stored.insert(key)
        removed.remove(key)
    }

    /// The entries that hold values (not records of files read).
    public var valueEntries: [String: Entry] { entries.filter { !$0.value.isRecordOnly } }

    public func remove(_ key: String) {
        entries[key] = nil
        stored.remove(key)
        used.remove(key)
        removed.insert(key)
        try? FileManager.default.removeItem(atPath: path(of: key))
    }

    public var totalBytes: Int { entries.values.reduce(0) { $0 + $1.bytes } }

    /// Drops least recently used entries until the total fits the capacity.
    private func evict() {
        var total = totalBytes
        for (key, entry) in entries.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }) where total > capacity {
            remove(key)
            total -= entry.bytes
        }
    }

    /// Merges this run's changes into the index on disk (which other runs may have changed
    /// since), evicts past the capacity, and writes the index atomically: a temporary file,
    /// then a rename.
    public func saveIndex() throws {
        try withLock {
            var merged = readIndex()
            for key in removed { merged[key] = nil }
            // What this run stored goes in, unless another run stored the same key later (its
            // file is the one on disk now).
            for key in stored {
                guard let mine = entries[key] else { continue }
                if let theirs = merged[key], theirs.checksum != mine.checksum, theirs.lastUsed > mine.lastUsed { continue }
                merged[key] = mine
            }
            // What it only used stays gone if another run removed it meanwhile.
            for key in used where !stored.contains(key) {
                guard let mine = entries[key], var theirs = merged[key], theirs.checksum == mine.checksum else { continue }
                theirs.lastUsed = max(theirs.lastUsed, mine.lastUsed)
                merged[key] = theirs
            }
            entries = merged
            evict()
            let data = try JSONEncoder().encode(entries)
            let temporary = indexPath + ".tmp-\(getpid())"
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                throw NotebookError(path: indexPath, line: nil, "cannot write the cache index (is the disk full?)")
            }
            guard rename(temporary, indexPath) == 0 else {
                try? FileManager.default.removeItem(atPath: temporary)
                throw NotebookError(path: indexPath, line: nil, "cannot replace the cache index: \(String(cString: strerror(errno)))")
            }
            // Merged and written: nothing of this run's is left to merge.
            stored = []
            used = []
            removed = []
        }
    }

    /// The most recent entry made for a statement at `origin`, for `medsynth why`.
    public func latestEntry(origin: String) -> (key: String, entry: Entry)? {
        entries.filter { $0.value.origin == origin }.max { $0.value.lastUsed < $1.value.lastUsed }.map { ($0.key, $0.value) }
    }
}
