import Formats
import Foundation
import Language

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TensorCache {
    /// The cache's files of partial results: the state a long statement (training) keeps while
    /// it runs, so that a run stopped or killed part-way continues from it next time.
    ///
    /// They live in the cache's `partial/` folder (mode 0700, never a link), named after the
    /// statement's key and the call's order in it, and each is sealed like an entry: beside it,
    /// `<name>.mac` holds the HMAC (under the cache's secret) of its name and SHA-256, so a file
    /// put in the folder by anyone else is never taken for one. When the statement finishes, its
    /// files go; `cache clear` removes them all.
    public final class PartialFiles: PartialResults {
        private let cache: TensorCache
        private let key: String
        private var calls = 0

        init(cache: TensorCache, key: String) {
            self.cache = cache
            self.key = key
        }

        public func path(for verb: String) -> String? {
            calls += 1
            guard let folder = cache.partialFolder() else { return nil }
            return folder + "/\(key)-\(calls)-\(verb).safetensors"
        }

        /// Seals the checkpoint staged at `staged` for the place `path` it is about to take. The
        /// seal lists the codes of the last two checkpoints, so that whichever of them `path`
        /// holds when a run is killed (before or after the staged one is renamed into place) is
        /// vouched for.
        public func seal(_ staged: String, for path: String) throws {
            let name = (path as NSString).lastPathComponent
            let checksum = try Self.checksum(of: staged)
            let entry = checksum + " " + cache.authenticator.code(forPartial: name, checksum: checksum)
            let previous = Self.sealEntries(path + ".mac").suffix(1).filter { $0 != entry }
            try AtomicWrite.write(Array((previous + [entry]).joined(separator: "\n").utf8), to: path + ".mac")
        }

        public func vouchesFor(_ path: String) -> Bool {
            let name = (path as NSString).lastPathComponent
            guard let checksum = try? Self.checksum(of: path) else { return false }
            let expected = Array((checksum + " " + cache.authenticator.code(forPartial: name, checksum: checksum)).utf8)
            return Self.sealEntries(path + ".mac").contains { HMACSHA256.codesMatch(Array($0.utf8), expected) }
        }

        /// The entries of a seal file, "checksum code" each (at most two; a file of another
        /// shape has none).
        static func sealEntries(_ path: String) -> [String] {
            guard let text = smallFile(path, limit: 2 * 129 + 1) else { return [] }
            return text.split(separator: "\n").map(String.init).filter { $0.utf8.count == 129 }
        }

        /// Removes the statement's files: it finished, and its values are the cache's entry.
        /// A checkpoint being written when its run was killed stays behind as the temporary file
        /// `AtomicWrite` names `.<file>.<pid>-<hex>.tmp`; it goes too, unless its writer still runs.
        func discard() {
            guard let folder = cache.partialFolder() else { return }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                if name.hasPrefix("\(key)-") {
                    unlink(folder + "/" + name)
                } else if name.hasPrefix(".\(key)-"), let writer = AtomicWrite.writerProcess(ofTemporary: name),
                          writer == getpid() || (kill(writer, 0) != 0 && errno == ESRCH) {
                    unlink(folder + "/" + name)
                }
            }
        }

        /// The SHA-256 of the regular file at `path` (never through a link, never a FIFO or a
        /// device, which could block), read a piece at a time.
        private static func checksum(of path: String) throws -> String {
            var hash = SHA256()
            try RegularFile.readPieces(path, followingLinks: false) { piece in
                hash.update(piece)
                return true
            }
            return hash.finalize()
        }

        /// The text of the regular file at `path` (as `checksum` reads), if it holds at most
        /// `limit` bytes.
        static func smallFile(_ path: String, limit: Int) -> String? {
            var bytes: [UInt8] = []
            let whole = try? RegularFile.readPieces(path, followingLinks: false) { piece in
                bytes += piece
                return bytes.count <= limit
            }
            guard whole == true else { return nil }
            return String(validating: bytes, as: UTF8.self)
        }
    }

    /// The files of partial results of the statement whose key is `key`.
    public func partialFiles(for key: String) -> PartialFiles {
        PartialFiles(cache: self, key: key)
    }

    /// The `partial/` folder, created when missing; nil (and no partial results) when it is
    /// a link, not a folder, or not this user's.
    func partialFolder() -> String? {
        let path = directory + "/partial"
        if mkdir(path, 0o700) != 0, errno != EEXIST { return nil }
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, status.st_uid == geteuid() else { return nil }
        if status.st_mode & 0o077 != 0 { chmod(path, 0o700) }
        return path
    }

    /// How long a file of partial results is kept after it was last written: a statement edited
    /// after it stopped leaves its checkpoint under a key no run will ask for again.
    static let partialFileLifetime: TimeInterval = 30 * 24 * 3600

    /// Removes the files of partial results not written for `partialFileLifetime`, when no
    /// other run has the cache open (the caller knows).
    static func removeStalePartialFiles(in directory: String, now: Date = Date()) {
        let folder = directory + "/partial"
        var status = stat()
        guard lstat(folder, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            var file = stat()
            guard lstat(folder + "/" + name, &file) == 0, file.st_mode & S_IFMT != S_IFDIR else { continue }
            #if canImport(Darwin)
            let modified = TimeInterval(file.st_mtimespec.tv_sec)
            #else
            let modified = TimeInterval(file.st_mtim.tv_sec)
            #endif
            if now.timeIntervalSince1970 - modified > partialFileLifetime { unlink(folder + "/" + name) }
        }
    }

    /// Removes every file of partial results: `cache clear`.
    func clearPartialFiles() {
        guard let folder = partialFolder() else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] { unlink(folder + "/" + name) }
    }
}
