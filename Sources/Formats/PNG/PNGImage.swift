import CPNG
import Engine

/// A PNG image read into a tensor, and tensors written as PNG, through libpng's simplified API
/// (`png_image_*`), which reports errors by return value instead of longjmp, so a corrupt file
/// becomes a `FormatError` and never unwinds through Swift frames.
///
/// Layout: `pixels` is a tensor of shape `[C, H, W]`, channels first (one image of Engine's
/// NCHW), with C = 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA).
///
/// Values are the samples as libpng delivers them, as Float, not normalised: 0...255 when
/// `bitDepth` is `.eight` and 0...65535 when it is `.sixteen`; `intensities` scales them to
/// 0...1. Palette images are expanded to RGB (or RGBA when the palette has transparency),
/// except that a palette of greys only (R = G = B, no transparency), which scanners and ITK
/// write for grey images, gives one grey channel. Files of 1, 2 or 4 bits (grey or palette) are
/// widened to 8 bits, each level spread over 0...255 (a 1-bit file reads as 0 and 255), so
/// their `bitDepth` is `.eight`. libpng converts colour only when a file declares a gamma other
/// than sRGB's (8-bit) or linear (16-bit); files without a gAMA, sRGB or iCCP chunk, which is
/// what medical PNGs are, are read unchanged. 16-bit images with alpha are refused: libpng
/// delivers them premultiplied, which would silently change the colour values.
public struct PNGImage: Sendable, Equatable {
    /// The sample size of the pixels read, or of a file written.
    public enum BitDepth: Int, Sendable {
        case eight = 8
        case sixteen = 16

        /// The largest sample value: 255 or 65535.
        public var maximum: Float { self == .eight ? 255 : 65535 }
    }

    /// The samples, `[C, H, W]`, in 0...`bitDepth.maximum` (see the type's documentation).
    public var pixels: Tensor
    /// The depth of `pixels`: `.sixteen` for a 16-bit file, `.eight` for every other.
    public var bitDepth: BitDepth

    /// The pixels scaled to 0...1: each sample divided by `bitDepth.maximum`.
    public var intensities: Tensor { pixels / bitDepth.maximum }

    /// The 8 bytes every PNG file starts with: \x89 P N G \r \n \x1A \n.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Deflate expands at most 1032:1, so a file whose header promises more pixel bytes than
    /// that (plus slack for a tiny file) is lying, and is refused before any memory is allocated.
    static let maximumExpansion = 1032

    /// Reads the PNG file at `path` (see the type's documentation for what it gives).
    public init(reading path: String) throws {
        let file = try PosixFile.openForReading(path)
        try self.init(decoding: try file.read(at: 0, count: try file.size()), file: path)
    }

    /// Decodes the bytes of a PNG file; `file` names it in errors.
    public init(decoding encoded: [UInt8], file: String) throws {
        guard encoded.starts(with: PNGImage.signature) else {
            throw FormatError(file: file, "is not a PNG file (its first 8 bytes are not the PNG signature)")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let begun = encoded.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw PNGImage.failure(image, file: file, "cannot read the PNG header") }

        let hasAlpha = image.format & PNG_FORMAT_FLAG_ALPHA != 0
        let isColour = image.format & PNG_FORMAT_FLAG_COLOR != 0
        let isSixteenBit = image.format & PNG_FORMAT_FLAG_LINEAR != 0
        if isSixteenBit && hasAlpha {
            throw FormatError(file: file, "is a 16-bit PNG with alpha, which is not supported (libpng would premultiply the colours)")
        }
        // Ask for the file's own layout without the palette flag: libpng expands palettes.
        image.format = (hasAlpha ? PNG_FORMAT_FLAG_ALPHA : 0) | (isColour ? PNG_FORMAT_FLAG_COLOR : 0)
            | (isSixteenBit ? PNG_FORMAT_FLAG_LINEAR : 0)
        let channels = (isColour ? 3 : 1) + (hasAlpha ? 1 : 0)
        let width = Int(image.width), height = Int(image.height)
        let sampleBytes = isSixteenBit ? 2 : 1
        let (pixels, tooWide) = width.multipliedReportingOverflow(by: height)
        let (samples, tooMany) = pixels.multipliedReportingOverflow(by: channels)
        let overflow = tooWide || tooMany
        guard !overflow, samples * sampleBytes <= (encoded.count + 1024) * PNGImage.maximumExpansion else {
            throw FormatError(file: file, "header promises \(width)x\(height) pixels with \(channels) channels, more than its \(encoded.count) bytes can hold; the file is corrupt")
        }
        // At the peak, the decoded samples, their Float copy and the tensor in planar order.
        try MemoryBudget.check(count: samples, bytesPerValue: sampleBytes + 2 * MemoryLayout<Float>.stride,
                               for: "PNG image \(file) (\(width) x \(height), \(channels) channel\(channels == 1 ? "" : "s"))")

        let rowStride = Int32(width * channels)
        let interleaved: [Float]
        if isSixteenBit {
            var pixels = [UInt16](repeating: 0, count: samples)
            let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, rowStride, nil) }
            guard finished != 0 else { throw PNGImage.failure(image, file: file, "cannot decode the pixels") }
            interleaved = pixels.map { Float($0) }
        } else {
            var pixels = [UInt8](repeating: 0, count: samples)
            let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, rowStride, nil) }
            guard finished != 0 else { throw PNGImage.failure(image, file: file, "cannot decode the pixels") }
            interleaved = pixels.map { Float($0) }
        }
        bitDepth = isSixteenBit ? .sixteen : .eight
        if channels == 3 && PNGImage.greyPalette(encoded) {
            self.pixels = try Tensor(shape: [1, height, width], scalars: stride(from: 0, to: samples, by: 3).map { interleaved[$0] })
        } else {
            // PNG interleaves the channels of each pixel; the tensor holds one plane per channel.
            self.pixels = try Tensor(shape: [height, width, channels], scalars: interleaved).permuted([2, 0, 1])
        }
    }

    /// Whether the file is a palette image whose palette holds only greys and no transparency.
    /// Walks the chunks up to the first IDAT; libpng has already checked them, so a malformed
    /// chunk here simply means "no".
    static func greyPalette(_ encoded: [UInt8]) -> Bool {
        func bigEndian(_ at: Int) -> Int { encoded[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        var offset = 8
        var isPalette = false, palette: ArraySlice<UInt8>?
        while offset + 8 <= encoded.count {
            let length = bigEndian(offset), type = String(decoding: encoded[offset + 4..<offset + 8], as: UTF8.self)
            guard length <= encoded.count - offset - 8 else { return false }
            let body = encoded[offset + 8..<offset + 8 + length]
            switch type {
            case "IHDR": isPalette = body.count == 13 && body[body.startIndex + 9] == 3
            case "PLTE": palette = body
            case "tRNS": return false
            case "IDAT": offset = encoded.count
            default: break
            }
            offset += 12 + length
        }
        guard isPalette, let palette, palette.count % 3 == 0 else { return false }
        return stride(from: palette.startIndex, to: palette.endIndex, by: 3).allSatisfy { (entry: Int) -> Bool in
            let red = palette[entry], green = palette[entry + 1], blue = palette[entry + 2]
            return red == green && green == blue
        }
    }

    /// Writes a `[C, H, W]` (C = 1 grey or 3 RGB) or `[H, W]` (grey) tensor to `path`, atomically.
    ///
    /// Each value is clamped to 0...max (255 or 65535) and rounded to the nearest integer
    /// (halves away from zero); NaN is an error, since no pixel value stands for it.
    public static func write(_ tensor: Tensor, to path: String, bitDepth: BitDepth = .eight) throws {
        let encoded = try encode(tensor, bitDepth: bitDepth, file: path)
        try AtomicWrite.write(path) { try $0.write(encoded) }
    }

    /// The bytes of a PNG file holding `tensor` (see `write`); `file` names it in errors.
    public static func encode(_ tensor: Tensor, bitDepth: BitDepth, file: String) throws -> [UInt8] {
        let shape = tensor.rank == 2 ? [1] + tensor.shape : tensor.shape
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3, shape[1] > 0, shape[2] > 0 else {
            throw FormatError(file: file, "cannot write a tensor of shape \(tensor.shape) as PNG: expected [1, H, W], [3, H, W] or [H, W]")
        }
        guard !tensor.scalars.contains(where: \.isNaN) else {
            throw FormatError(file: file, "cannot write a tensor holding NaN as PNG")
        }
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        let maximum = bitDepth.maximum
        let samples = try tensor.reshaped(shape).permuted([1, 2, 0]).scalars.map { min(max($0, 0), maximum).rounded() }

        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = (channels == 3 ? PNG_FORMAT_FLAG_COLOR : 0) | (bitDepth == .sixteen ? PNG_FORMAT_FLAG_LINEAR : 0)
        defer { png_image_free(&image) }
        let rowStride = Int32(width * channels)
        if bitDepth == .sixteen {
            return try writeToMemory(&image, samples.map { UInt16($0) }, rowStride: rowStride, file: file)
        }
        return try writeToMemory(&image, samples.map { UInt8($0) }, rowStride: rowStride, file: file)
    }

    /// Runs png_image_write_to_memory twice: once to learn the size, once to fill the buffer.
    private static func writeToMemory<Sample>(
        _ image: inout png_image, _ pixels: [Sample], rowStride: Int32, file: String
    ) throws -> [UInt8] {
        try pixels.withUnsafeBytes { source in
            var size = 0
            guard png_image_write_to_memory(&image, nil, &size, 0, source.baseAddress, rowStride, nil) != 0 else {
                throw failure(image, file: file, "cannot encode the image")
            }
            var encoded = [UInt8](repeating: 0, count: size)
            let written = encoded.withUnsafeMutableBytes {
                png_image_write_to_memory(&image, $0.baseAddress, &size, 0, source.baseAddress, rowStride, nil)
            }
            guard written != 0 else { throw failure(image, file: file, "cannot encode the image") }
            return Array(encoded.prefix(size))
        }
    }

    /// A `FormatError` carrying libpng's own message (for example "IDAT: CRC error").
    private static func failure(_ image: png_image, file: String, _ what: String) -> FormatError {
        var message = image.message
        let text = withUnsafeBytes(of: &message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return FormatError(file: file, text.isEmpty ? what : "\(what): \(text)")
    }
}
