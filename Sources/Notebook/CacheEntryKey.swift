import Formats
import Foundation

/// A cache key as the cache accepts it: exactly 64 lowercase hexadecimal digits (a SHA-256).
///
/// Keys come from `index.json`, which anyone who can write the cache folder can edit, and each
/// names a file (`entries/<key>.safetensors`). Only a key of this form is ever turned into a file name,
/// so no key can reach outside `entries/` (`../`, `/`, NUL) or name anything but an entry.
public struct CacheEntryKey: Hashable, Sendable, CustomStringConvertible {
    /// The 64 hexadecimal digits.
    public let hex: String

    /// Nil unless `text` is exactly 64 characters from 0-9 and a-f.
    public init?(_ text: String) {
        guard Self.isDigest(text) else { return nil }
        hex = text
    }

    /// Whether `text` is a SHA-256 digest as medsynth writes them: 64 digits from 0-9 and a-f.
    static func isDigest(_ text: String) -> Bool {
        let digits = text.utf8
        return digits.count == 64 && digits.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The key of the entry file named `name` (`<key>.safetensors`, or `<key>.h5` as the HDF5 entries
    /// of cache format 1 were named, so that the clean-up of files the index does not list
    /// removes those too), or nil for any other name.
    init?(entryFileName name: String) {
        guard let fileExtension = [Self.fileExtension, Self.formerFileExtension].first(where: name.hasSuffix) else { return nil }
        self.init(String(name.dropLast(fileExtension.count)))
    }

    /// The key of the entry whose temporary file is named `name`, as `AtomicWrite` names the
    /// file it is writing (`.<key>.safetensors.<pid>-<hex>.tmp`), with the writing process; nil for any
    /// other name.
    static func temporaryEntryFile(_ name: String) -> (key: CacheEntryKey, writer: pid_t)? {
        guard let writer = AtomicWrite.writerProcess(ofTemporary: name) else { return nil }
        let inner = name.dropFirst().dropLast(".tmp".count)
        guard let dot = inner.lastIndex(of: "."), let key = CacheEntryKey(entryFileName: String(inner[..<dot])) else { return nil }
        let tag = inner[inner.index(after: dot)...].drop { $0 != "-" }.dropFirst()
        guard !tag.isEmpty, tag.allSatisfy(\.isHexDigit) else { return nil }
        return (key, writer)
    }

    private static let fileExtension = ".safetensors"
    private static let formerFileExtension = ".h5"

    /// The entry's file name in `entries/`.
    var fileName: String { hex + Self.fileExtension }

    /// The name cache format 1 gave the entry's file (removed with the entry).
    var formerFileName: String { hex + Self.formerFileExtension }

    public var description: String { hex }
}
