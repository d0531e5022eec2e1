import Formats
/// HMAC-SHA256 (RFC 2104, with SHA-256 from FIPS 180-4): a keyed checksum that only a holder of
/// the key can compute. The cache signs each index entry with one, under a secret of its own,
/// so that an entry edited by hand or copied from another cache is recognised and not trusted.
///
///     HMAC(K, m) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ m))
///
/// where K' is the key padded with zeros to SHA-256's 64-byte block (a longer key is hashed
/// first), ipad the byte 0x36 and opad the byte 0x5c repeated over the block.
public enum HMACSHA256 {
    /// SHA-256's block size in bytes.
    private static let blockSize = 64

    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticationCode(of message: some Sequence<UInt8>, key: [UInt8]) -> [UInt8] {
        var block = key
        if block.count > blockSize {
            var hash = SHA256()
            hash.update(block)
            block = hash.finalizeDigest()
        }
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalizeDigest())
        return outer.finalizeDigest()
    }

    /// Whether two codes are equal, comparing every byte whatever the first difference (so the
    /// time taken says nothing of how much of a forged code was right).
    public static func codesMatch(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
