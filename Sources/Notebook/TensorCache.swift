import Formats
import Foundation
import Language

/// Values on disk, content-addressed by a statement's cache key. Each entry is one safetensors file
/// (`entries/<key>.safetensors`, written atomically); `index.json` (also written atomically) records each
/// entry's size, checksum, last use, the names it binds and the parts of its key. An entry is
/// trusted only if the index lists it with the checksum its bytes still have, so a corrupted or
/// half-written file is never read: it is deleted and its statement recomputed. Past `capacity`
/// bytes the least recently used entries are evicted.
///
/// The folder is untrusted input: anyone may have written it (a cache shipped with a downloaded
/// notebook, a hand edit). So a key is used only if it is a SHA-256 in hex (`CacheEntryKey`),
/// and every path is built from such a key; nothing inside the folder is reached through a
/// symbolic link (`CacheFolder`); sizes are bounded; and each entry carries an authentication
/// code under the cache's own secret (`CacheAuthenticator`), so an entry this cache did not
/// write (edited, or copied from another cache) is never used: looking it up removes it and
/// says why (`Lookup.rejected`).
///
/// Several runs may share a cache at once (two notebooks in two terminals). The index is only
/// read and replaced under an exclusive lock on `lock`, and a run does not overwrite it with
/// its own view: it merges what it stored, used and removed into the index on disk. Files the
/// index does not list are cleared away only when no live run can still be writing them, and
/// only if their names are an entry's or an entry's temporary file: nothing else in the folder
/// is ever deleted.
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
        /// The names the entry binds, in the order they are stored ("#display" and "#expect"
        /// for what a statement shows and what its expectation found).
        public var names: [String]
        /// The entry's HMAC-SHA256 under the cache's secret, in hex (see `CacheAuthenticator`).
        public var mac: String

        var isRecordOnly: Bool { filesRead != nil }

        /// The record with its last use cleared: what its code covers.
        var withoutLastUse: Entry {
            var entry = self
            entry.lastUsed = 0
            return entry
        }
    }

    /// What looking up a key found.
    public enum Lookup {
        /// The entry's values, by name.
        case found([(name: String, value: Value)])
        /// No entry under the key.
        case absent
        /// An entry the cache does not trust, now removed: why (for a warning that completes
        /// "the cache entry for cell 'x' ...").
        case rejected(String)
    }

    /// The names a statement's entry may bind: exactly those of a binding, a display or an
    /// expectation; some of those a loop assigns (a loop that never ran binds none).
    public enum ExpectedNames: Sendable {
        /// These names, in this order.
        case exactly([String])
        /// Any of these names, each at most once.
        case someOf(Set<String>)

        func admits(_ names: [String]) -> Bool {
            switch self {
            case .exactly(let expected): return names == expected
            case .someOf(let allowed): return Set(names).count == names.count && Set(names).isSubset(of: allowed)
            }
        }
    }

    public let directory: String
    public let capacity: Int
    /// The entries the index lists that are well formed and carry this cache's authentication
    /// code, by key.
    public private(set) var entries: [String: Entry] = [:]
    /// Keys the index lists with an authentication code that does not verify: edited, or
    /// copied from another cache. Never used; removed when looked up.
    private var forged: Set<String> = []
    /// What this run did since the index was last merged: entries it stored (merged in),
    /// entries it only used (their last use raised, if they are still there) and entries it
    /// removed (taken out).
    private var stored: Set<String> = []
    private var used: Set<String> = []
    private var removed: Set<String> = []

    private let folder: CacheFolder
    let authenticator: CacheAuthenticator
    /// The records whose code was verified, by key, with their last use cleared: the index is
    /// read again at every store (to merge), and a record seen before need not be verified again.
    private var verified: [String: Entry] = [:]

    /// How long after the last write of the index a stored entry may wait to be listed on
    /// disk (in memory it is listed at once, and the run's end writes the index): a run killed
    /// in between recomputes at most about this much work next time. Writing the index at
    /// every store made a cell of many quick statements quadratic, since each write merges and
    /// rewrites the whole index (a cell of 1,000 statements took 20 s). Settable for tests.
    var indexSaveInterval: Duration = .seconds(1)
    /// When this run last wrote the index.
    private var lastIndexSave: ContinuousClock.Instant?

    /// The default capacity: 2 GiB.
    public static let defaultCapacity = 2 << 30

    /// The largest entry the index may list: 1 TiB. A larger size is not a real entry's, and
    /// bounding each keeps the sum of all sizes far from overflowing.
    public static let maximumEntryBytes = 1 << 40

    /// The largest index read: 64 MiB (tens of thousands of entries).
    static let maximumIndexBytes = 64 << 20

    static let indexName = "index.json"

    /// How old a finished entry file the index does not list must be before it is removed
    /// (and that only when no other run has the cache open: see `CacheFolder.joinRuns`).
    static let strayAge: TimeInterval = 600

    /// Opens the cache at `directory`, creating it (with its secret) when missing. Throws when
    /// the folder cannot be created, opened or locked, or holds a link or a file of the wrong
    /// kind where the cache keeps its own files.
    public init(directory: String, capacity: Int = TensorCache.defaultCapacity) throws {
        self.directory = directory
        self.capacity = capacity
        let folder = try CacheFolder(path: directory)
        self.folder = folder
        var verified: [String: Entry] = [:]
        let (authenticator, trusted, forged) = try folder.withLock {
            let authenticator = try CacheAuthenticator(folder: folder)
            let (trusted, forged) = try Self.readIndex(folder, authenticator, verified: &verified)
            if try folder.joinRuns() {
                Self.removeStrays(from: folder, listed: trusted)
                Self.removeStalePartialFiles(in: directory)
            }
            return (authenticator, trusted, forged)
        }
        self.authenticator = authenticator
        self.verified = verified
        entries = trusted
        self.forged = forged
        // Records whose file is gone (deleted by hand, or an entry of cache format 1, whose
        // files were HDF5) are dropped, so that they neither count towards the capacity nor
        // keep a former entry's file.
        for (key, entry) in trusted where !entry.isRecordOnly {
            if let validKey = CacheEntryKey(key), folder.regularEntryFileModified(validKey.fileName) == nil { remove(key) }
        }
    }

    /// The index on disk: its well-formed entries that carry this cache's code, and the keys
    /// of those that do not. An unreadable index loses the entries' records, not the run: they
    /// are recomputed.
    private static func readIndex(
        _ folder: CacheFolder, _ authenticator: CacheAuthenticator, verified: inout [String: Entry]
    ) throws -> (trusted: [String: Entry], forged: Set<String>) {
        guard let (_, bytes) = try folder.readFile(indexName, limit: maximumIndexBytes) else { return ([:], []) }
        var trusted: [String: Entry] = [:]
        var forged: Set<String> = []
        for (key, entry) in wellFormedRecords(ofIndex: bytes) {
            let seen = entry.withoutLastUse
            if verified[key.hex] == seen || authenticator.verifies(key, entry) {
                trusted[key.hex] = entry
                verified[key.hex] = seen
            } else {
                forged.insert(key.hex)
            }
        }
        return (trusted, forged)
    }

    /// The records of an `index.json` that are well formed, whether or not they are authentic.
    /// A malformed record (a key that is not 64 hexadecimal digits, a size out of range, a
    /// record of an older cache without a code) is left out; text that is not an index gives
    /// none. Any bytes are safe to give it (it is the cache index's fuzz target).
    public static func wellFormedRecords(ofIndex bytes: [UInt8]) -> [CacheEntryKey: Entry] {
        guard let decoded = try? JSONDecoder().decode([String: DecodedIfValid<Entry>].self, from: Data(bytes)) else { return [:] }
        var records: [CacheEntryKey: Entry] = [:]
        for (text, record) in decoded {
            guard let key = CacheEntryKey(text), let entry = record.value, isWellFormed(entry) else { continue }
            records[key] = entry
        }
        return records
    }

    /// Whether an entry's fields are in range: a size within 0...maximumEntryBytes, a SHA-256
    /// for its checksum (a record of files read has neither), distinct names.
    private static func isWellFormed(_ entry: Entry) -> Bool {
        guard entry.lastUsed.isFinite, Set(entry.names).count == entry.names.count else { return false }
        if entry.isRecordOnly { return entry.bytes == 0 && entry.checksum.isEmpty && entry.names.isEmpty }
        return (0...maximumEntryBytes).contains(entry.bytes) && CacheEntryKey.isDigest(entry.checksum)
    }

    /// Files in `entries/` the index does not list: temporary files of a killed write (their
    /// name carries the writer's process id), and entries whose index update never happened.
    /// A temporary file of a live process and a recent entry file may belong to a run sharing
    /// the cache, and stay. Any other name is not the cache's and stays too.
    private static func removeStrays(from folder: CacheFolder, listed: [String: Entry]) {
        let now = Date()
        for name in folder.entryFolderNames() {
            if let key = CacheEntryKey(entryFileName: name) {
                guard listed[key.hex] == nil, let modified = folder.regularEntryFileModified(name),
                      now.timeIntervalSince(modified) >= strayAge else { continue }
            } else if let (_, writer) = CacheEntryKey.temporaryEntryFile(name) {
                guard writer == getpid() || (kill(writer, 0) != 0 && errno != EPERM) else { continue }
            } else {
                continue
            }
            folder.removeEntryFile(name)
        }
    }

    /// The values stored under `key` for a statement that binds `names`. An entry the cache
    /// does not trust (its code does not verify, its file no longer matches its checksum, it
    /// binds other names than the statement) is removed, and the lookup says why.
    public func values(for key: String, binding names: ExpectedNames) -> Lookup {
        guard let validKey = CacheEntryKey(key) else { return .absent }
        if forged.contains(key) {
            remove(key)
            return .rejected("failed its authenticity check (it was edited, or copied from another cache)")
        }
        guard var entry = entries[key], !entry.isRecordOnly else { return .absent }
        guard names.admits(entry.names) else {
            remove(key)
            return .rejected("binds \(Self.list(entry.names)), not what the statement binds")
        }
        guard let bytes = folder.readEntry(validKey, limit: entry.bytes), bytes.count == entry.bytes,
              SHA256.hex(bytes: bytes) == entry.checksum
        else {
            remove(key)
            return .rejected("is missing or damaged (its file does not match its checksum)")
        }
        let values: [(name: String, value: Value)]
        do {
            values = try ValueCodec.read(bytes: bytes, path: folder.entryPath(validKey))
        } catch {
            // Genuine and intact, yet not readable: a value this version of medsynth no longer
            // accepts (a model's configuration checked more strictly, say).
            remove(key)
            return .rejected("cannot be read back (\(error))")
        }
        guard values.map(\.name) == entry.names else {
            remove(key)
            return .rejected("holds other names than its record")
        }
        entry.lastUsed = Date().timeIntervalSince1970
        entries[key] = entry
        used.insert(key)
        return .found(values)
    }

    /// The values in the bytes of an entry file, as a lookup decodes them once they verify.
    /// Any bytes are safe to give it (it is the cache entry's fuzz target).
    public static func decodeEntry(_ bytes: [UInt8]) throws -> [(name: String, value: Value)] {
        try ValueCodec.read(bytes: bytes, path: "entry")
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "nothing" : names.map { "'\($0)'" }.joined(separator: ", ")
    }

    /// Stores values under `key`; false (and nothing stored) when a value cannot be stored.
    @discardableResult
    public func store(_ values: [(name: String, value: Value)], for key: String, origin: String, parts: KeyParts) throws -> Bool {
        guard let validKey = CacheEntryKey(key) else {
            throw NotebookError(path: directory, line: nil, "'\(key)' is not a cache key (64 hexadecimal digits)")
        }
        // Size and checksum are those of the bytes written (hashed as they went out): a file
        // swapped in after the rename does not match them, and is never read.
        let size: Int
        let checksum: String
        do {
            (size, checksum) = try ValueCodec.write(values, to: folder.entryPath(validKey))
        } catch is ValueCodec.Unstorable {
            return false
        } catch {
            // The run stops storing (a full disk, say): what it stored since the index was
            // last written is listed now, or it would be lost with the run.
            try? saveIndex()
            throw error
        }
        guard size <= Self.maximumEntryBytes else {
            folder.removeEntryFile(validKey.fileName)
            return false
        }
        var entry = Entry(
            bytes: size, checksum: checksum, lastUsed: Date().timeIntervalSince1970,
            origin: origin, parts: parts, names: values.map(\.name), mac: "")
        entry.mac = authenticator.code(for: validKey, entry)
        entries[key] = entry
        verified[key] = entry.withoutLastUse
        forged.remove(key)
        stored.insert(key)
        removed.remove(key)
        if let last = lastIndexSave, ContinuousClock.now - last < indexSaveInterval {
            evict()
        } else {
            try saveIndex()
        }
        return true
    }

    /// Records which files the statement keyed `key` read when it ran (its values are not
    /// stored: such a statement always runs). Saved with the index.
    /// Only the newest record of a statement is kept.
    public func noteFilesRead(_ paths: [String], for key: String, origin: String, parts: KeyParts) {
        guard let validKey = CacheEntryKey(key) else { return }
        for (other, entry) in entries where entry.isRecordOnly && entry.origin == origin && other != key { remove(other) }
        var entry = Entry(
            bytes: 0, checksum: "", lastUsed: Date().timeIntervalSince1970, origin: origin, parts: parts, filesRead: paths,
            names: [], mac: "")
        entry.mac = authenticator.code(for: validKey, entry)
        entries[key] = entry
        verified[key] = entry.withoutLastUse
        forged.remove(key)
        stored.insert(key)
        removed.remove(key)
    }

    /// The entries that hold values (not records of files read).
    public var valueEntries: [String: Entry] { entries.filter { !$0.value.isRecordOnly } }

    /// Removes the entry under `key` and its file (only ever `entries/<key>.safetensors`, and only if it
    /// is a regular file).
    public func remove(_ key: String) {
        entries[key] = nil
        forged.remove(key)
        stored.remove(key)
        used.remove(key)
        removed.insert(key)
        if let validKey = CacheEntryKey(key) {
            folder.removeEntryFile(validKey.fileName)
            folder.removeEntryFile(validKey.formerFileName)
        }
    }

    /// Removes every entry the index lists (trusted or not) and saves the index: `:cache clear`.
    /// Files in the folder that are not entries stay.
    public func clear() throws {
        for key in Array(entries.keys) + Array(forged) { remove(key) }
        clearPartialFiles()
        try saveIndex()
    }

    /// The entries' sizes added up; each is at most `maximumEntryBytes`, and the sum saturates
    /// rather than overflow.
    public var totalBytes: Int {
        entries.values.reduce(0) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry.bytes)
            return overflow ? Int.max : sum
        }
    }

    /// Drops least recently used entries until the total fits the capacity.
    private func evict() {
        var total = totalBytes
        guard total > capacity else { return }
        for (key, entry) in entries.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }) where total > capacity {
            remove(key)
            total -= entry.bytes
        }
    }

    /// Merges this run's changes into the index on disk (which other runs may have changed
    /// since), evicts past the capacity, and writes the index atomically: a temporary file,
    /// then a rename.
    public func saveIndex() throws {
        try folder.withLock {
            var merged = try Self.readIndex(folder, authenticator, verified: &verified).trusted
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
            try folder.replaceFile(Self.indexName, with: Array(try JSONEncoder().encode(entries)))
            // Merged and written: nothing of this run's is left to merge.
            stored = []
            used = []
            removed = []
            lastIndexSave = ContinuousClock.now
        }
    }

    /// The most recent entry made for a statement at `origin`, for `medsynth why`.
    public func latestEntry(origin: String) -> (key: String, entry: Entry)? {
        entries.filter { $0.value.origin == origin }.max { $0.value.lastUsed < $1.value.lastUsed }.map { ($0.key, $0.value) }
    }
}

/// A value decoded if it can be, else nil: one malformed entry of the index does not lose the
/// others.
private struct DecodedIfValid<Wrapped: Decodable>: Decodable {
    let value: Wrapped?

    init(from decoder: Decoder) throws {
        value = try? Wrapped(from: decoder)
    }
}
