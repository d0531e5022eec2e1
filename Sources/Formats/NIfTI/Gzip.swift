import CZlib

/// gzip compression for `.nii.gz`, over zlib's streaming inflate and deflate.
enum Gzip {
    /// How far a verified stream may run past the bytes its header declares: a stream that goes
    /// further undersells itself, and verifying a compression bomb to its end would take
    /// minutes of CPU for nothing.
    static let trailingLimit = 1 << 20

    /// The first `count` bytes of the decompressed `compressed` stream, or all of it if it is
    /// shorter, never more: a header that promises little cannot make the reader allocate much,
    /// and a stream that never ends cannot hang it (inflate stops when its input runs out).
    /// When `verifyToEnd` is set, the rest of the stream is decompressed into a scratch buffer so
    /// that gzip's CRC-32 and length check run: corruption anywhere is then an error. A stream
    /// that goes on for more than `trailingLimit` bytes past `count` is an error too, raised as
    /// soon as it does.
    static func decompress(_ compressed: [UInt8], upTo count: Int, verifyToEnd: Bool, file: String) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: a 32 KiB window, and accept a gzip or zlib header (detected automatically).
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FormatError(file: file, "cannot start zlib's inflate")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: count)
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var produced = 0
        var ended = false
        try compressed.withUnsafeBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while !ended {
                let filling = produced < count
                let result: Int32 = filling
                    ? output.withUnsafeMutableBytes { buffer in
                        stream.next_out = buffer.bindMemory(to: Bytef.self).baseAddress! + produced
                        stream.avail_out = uInt(count - produced)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    : scratch.withUnsafeMutableBytes { buffer in
                        stream.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
                        stream.avail_out = uInt(buffer.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                if filling { produced = count - Int(stream.avail_out) }
                if Int(stream.total_out) - count > trailingLimit {
                    throw FormatError(file: file, "decompresses to more than the \(count) bytes its header declares "
                        + "(over \(trailingLimit) bytes more); the file is corrupt or a decompression bomb")
                }
                switch result {
                case Z_STREAM_END: ended = true
                case Z_OK: break
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw FormatError(file: file, "is truncated: the gzip stream ends after \(stream.total_out) decompressed bytes")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(result)"
                    throw FormatError(file: file, "is corrupt: gzip decompression failed (\(reason))")
                }
                if produced == count && !verifyToEnd { break }
            }
        }
        return Array(output.prefix(produced))
    }

    /// `bytes` as a gzip stream (deflate level 6, zlib's default balance of size and speed).
    static func compress(_ bytes: [UInt8], file: String) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a 32 KiB window, with a gzip header and trailer rather than zlib's.
        guard deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FormatError(file: file, "cannot start zlib's deflate")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        let result = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { buffer in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(buffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { throw FormatError(file: file, "gzip compression failed (error \(result))") }
        return Array(output.prefix(Int(stream.total_out)))
    }
}
