import Formats
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Signs and checks the cache's index entries, so that the cache uses only entries it wrote.
///
/// Anyone who can write the cache folder can edit an entry's values and put their new SHA-256
/// in `index.json`, or copy entries from another cache. What they cannot do is compute an
/// HMAC-SHA256 under a secret they do not have: each cache makes its own 32 random bytes when
/// it is created (the file `secret`, mode 0600, created exclusively, never through a link), and
/// every entry carries the HMAC of its key, its file's SHA-256, the names it binds and the
/// rest of its record. An entry whose code does not verify is not used.
///
/// The code's key is derived from the secret and from the identity of the `secret` file itself
/// (its device and inode): a whole cache folder copied elsewhere (downloaded with a notebook,
/// unpacked from an archive) has a new `secret` file, so none of its entries verify there.
struct CacheAuthenticator {
    private let key: [UInt8]

    /// The secret's length in bytes.
    static let secretLength = 32
    static let secretName = "secret"

    /// Reads the cache's secret, creating it first when the cache has none. The caller holds
    /// the cache's lock. A secret that others may read, or that is not this user's, is refused.
    init(folder: CacheFolder) throws(NotebookError) {
        if try folder.readFile(Self.secretName, limit: Self.secretLength) == nil {
            var generator = SystemRandomNumberGenerator()
            let secret = (0..<Self.secretLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try folder.replaceFile(Self.secretName, with: secret, mode: 0o600)
        }
        guard let (status, secret) = try folder.readFile(Self.secretName, limit: Self.secretLength) else {
            throw NotebookError(path: folder.path + "/" + Self.secretName, line: nil, "the cache's secret vanished while it was being read")
        }
        let path = folder.path + "/" + Self.secretName
        guard status.st_uid == geteuid() else {
            throw NotebookError(path: path, line: nil, "belongs to another user; the cache trusts only a secret of its own (remove the cache folder)")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw NotebookError(path: path, line: nil,
                "may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); the cache's secret must be mode 0600 (remove the cache folder)")
        }
        guard secret.count == Self.secretLength else {
            throw NotebookError(path: path, line: nil, "holds \(secret.count) bytes, not the \(Self.secretLength) of a cache's secret (remove the cache folder)")
        }
        key = HMACSHA256.authenticationCode(of: Array("medsynth cache \(status.st_dev):\(status.st_ino)".utf8), key: secret)
    }

    /// The authentication code of the entry stored under `key`, in hex.
    func code(for key: CacheEntryKey, _ entry: TensorCache.Entry) -> String {
        SHA256.hex(digest: HMACSHA256.authenticationCode(of: Self.message(for: key, entry), key: self.key))
    }

    /// Whether `entry` carries the code this cache gives it.
    func verifies(_ key: CacheEntryKey, _ entry: TensorCache.Entry) -> Bool {
        HMACSHA256.codesMatch(Array(entry.mac.utf8), Array(code(for: key, entry).utf8))
    }

    /// The authentication code of a file of partial results (`TensorCache.PartialFiles`) named
    /// `name` whose contents have the SHA-256 `checksum`, in hex.
    func code(forPartial name: String, checksum: String) -> String {
        let message = ["medsynth partial result 1", name, checksum].flatMap { Array("\($0.utf8.count):".utf8) + Array($0.utf8) }
        return SHA256.hex(digest: HMACSHA256.authenticationCode(of: message, key: key))
    }

    /// What the code covers: every field of the record but its last use (which every run that
    /// uses the entry updates), each preceded by its length so that no two records give the
    /// same message.
    private static func message(for key: CacheEntryKey, _ entry: TensorCache.Entry) -> [UInt8] {
        let fields = ["medsynth cache entry 1", key.hex, String(entry.bytes), entry.checksum, entry.origin, entry.parts.key,
                      String(entry.names.count)] + entry.names
            + (entry.filesRead.map { ["files read", String($0.count)] + $0 } ?? ["values"])
        return fields.flatMap { Array("\($0.utf8.count):".utf8) + Array($0.utf8) }
    }
}
