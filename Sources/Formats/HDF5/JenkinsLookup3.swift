/// Bob Jenkins' lookup3 hash (`hashlittle`, 2006), the checksum HDF5 puts on its metadata
/// (superblock, object headers, B-trees, heaps since the 1.8 format).
///
/// The bytes are consumed 12 at a time as three little-endian 32-bit words, each block stirred
/// by `mix`; the last 1 to 12 bytes, zero-padded, go through `final`. Reference values from
/// lookup3.c: an empty input hashes to 0xdeadbeef, "Four score and seven years ago" to 0x17770551.
enum JenkinsLookup3 {
    static func hash(_ bytes: ArraySlice<UInt8>, initialValue: UInt32 = 0) -> UInt32 {
        var a = 0xDEAD_BEEF &+ UInt32(truncatingIfNeeded: bytes.count) &+ initialValue
        var b = a, c = a
        guard !bytes.isEmpty else { return c }
        var index = bytes.startIndex
        var remaining = bytes.count
        func word(_ at: Int) -> UInt32 {
            // Little-endian, with zeros past the end of the input.
            (0..<4).reduce(UInt32(0)) { value, k in
                at + k < bytes.endIndex ? value | UInt32(bytes[at + k]) << (8 * UInt32(k)) : value
            }
        }
        while remaining > 12 {
            a &+= word(index); b &+= word(index + 4); c &+= word(index + 8)
            mix(&a, &b, &c)
            index += 12
            remaining -= 12
        }
        a &+= word(index); b &+= word(index + 4); c &+= word(index + 8)
        final(&a, &b, &c)
        return c
    }

    private static func rotate(_ x: UInt32, _ k: UInt32) -> UInt32 { x << k | x >> (32 - k) }

    private static func mix(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32) {
        a &-= c; a ^= rotate(c, 4); c &+= b
        b &-= a; b ^= rotate(a, 6); a &+= c
        c &-= b; c ^= rotate(b, 8); b &+= a
        a &-= c; a ^= rotate(c, 16); c &+= b
        b &-= a; b ^= rotate(a, 19); a &+= c
        c &-= b; c ^= rotate(b, 4); b &+= a
    }

    private static func final(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32) {
        c ^= b; c &-= rotate(b, 14)
        a ^= c; a &-= rotate(c, 11)
        b ^= a; b &-= rotate(a, 25)
        c ^= b; c &-= rotate(b, 16)
        a ^= c; a &-= rotate(c, 4)
        b ^= a; b &-= rotate(a, 14)
        c ^= b; c &-= rotate(b, 24)
    }
}
