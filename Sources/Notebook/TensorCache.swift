import Foundation
import Language

/// Values on disk, content-addressed by a statement's cache key. Each entry is one HDF5 file
/// (`entries/<key>.h5`, written atomically); `index.json` (also written atomically) records each
/// entry's size, checksum, last use and the parts of its key. An entry is trusted only if the
/// index lists it with the checksum its bytes still have, so a corrupted or half-written file
/// is never read: it is deleted and its statement recomputed. Past `capacity` bytes the least
/// recently used entries are evicted.
public final class TensorCache {
    /// What the index knows of an entry.
    public struct Entry: Codable, Sendable, Equatable {
        public var bytes: Int
        public var checksum: String
        public var lastUsed: Double
        /// Where the statement was: "notebook.medsynth#label", and the names it binds.
        public var origin: String
        public var parts: KeyParts
    }

    public let directory: String
    public let capacity: Int
    public private(set) var entries: [String: Entry] = [:]

    private var indexPath: String { (directory as NSString).appendingPathComponent("index.json") }
    private var entriesDirectory: String { (directory as NSString).appendingPathComponent("entries") }

    /// The default capacity: 2 GiB.
    public static let defaultCapacity = 2 << 30

    public init(directory: String, capacity: Int = TensorCache.defaultCapacity) throws {
        self.directory = directory
        self.capacity = capacity
        let manager = FileManager.default
        try manager.createDirectory(atPath: (directory as NSString).appendingPathComponent("entries"), withIntermediateDirectories: true)
        if let data = manager.contents(atPath: indexPath) {
            // An unreadable index loses the entries' records, not the run: they are recomputed.
            entries = (try? JSONDecoder().decode([String: Entry].self, from: data)) ?? [:]
        }
        removeStrays()
    }

    func path(of key: String) -> String {
        (entriesDirectory as NSString).appendingPathComponent("\(key).h5")
    }

    /// Files the index does not list: temporary files of a killed write, or entries whose
    /// index update never happened.
    private func removeStrays() {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: entriesDirectory)) ?? []
        for file in files where !(file.hasSuffix(".h5") && entries[String(file.dropLast(3))] != nil) {
            try? FileManager.default.removeItem(atPath: (entriesDirectory as NSString).appendingPathComponent(file))
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
        evict()
        try saveIndex()
        return true
    }

    public func remove(_ key: String) {
        entries[key] = nil
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

    /// Writes the index atomically: a temporary file, then a rename.
    public func saveIndex() throws {
        let data = try JSONEncoder().encode(entries)
        let temporary = indexPath + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw NotebookError(path: indexPath, line: nil, "cannot write the cache index (is the disk full?)")
        }
        guard rename(temporary, indexPath) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw NotebookError(path: indexPath, line: nil, "cannot replace the cache index: \(String(cString: strerror(errno)))")
        }
    }

    /// The most recent entry made for a statement at `origin`, for `medsynth why`.
    public func latestEntry(origin: String) -> (key: String, entry: Entry)? {
        entries.filter { $0.value.origin == origin }.max { $0.value.lastUsed < $1.value.lastUsed }.map { ($0.key, $0.value) }
    }
}
