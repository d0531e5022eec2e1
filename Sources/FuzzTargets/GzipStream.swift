import CZlib

/// A valid gzip stream around bytes, for the `nifti-gz` target.
enum GzipStream {
    /// `bytes` in a gzip stream of stored (uncompressed) deflate blocks (RFC 1951 §3.2.4,
    /// RFC 1952 §2.3). Stored blocks keep each byte of the input at one place in the file, so
    /// the fuzzer's mutations of the NIfTI header and voxels land where it made them, and
    /// cost no compression time; damaged compressed streams are the `nifti` target's part.
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        // Magic, deflate, no flags, no modification time, no extra flags, unknown OS.
        var stream: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        var start = 0
        repeat {
            let end = min(start + 0xFFFF, bytes.count)
            let length = UInt16(end - start)
            stream.append(end == bytes.count ? 1 : 0)  // BFINAL, BTYPE 00 (stored)
            stream += littleEndian(length) + littleEndian(~length)
            stream += bytes[start..<end]
            start = end
        } while start < bytes.count
        let checksum = bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        stream += littleEndian(UInt32(checksum)) + littleEndian(UInt32(truncatingIfNeeded: bytes.count))
        return stream
    }

    private static func littleEndian<Integer: FixedWidthInteger>(_ value: Integer) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian, Array.init)
    }
}
