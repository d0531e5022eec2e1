import Foundation
import XCTest
import CZlib
@testable import Engine
@testable import Formats

/// Values recorded by Fixtures/make_image_fixtures.py (Pillow and nibabel), keyed by file name.
enum ImageReference {
    /// One image's recorded values; which fields are present depends on the format.
    struct Entry: Decodable {
        struct Sample: Decodable { let index: [Int]; let value: Double }
        let shape: [Int]
        let values: [Double]?
        let sum: Double?
        let mean: Double?
        let max: Double?
        let rowSums: [String: Double]?
        let pixels: [Sample]?
        let voxels: [Sample]?
        let dtype: String?
        let sclSlope: Double?
        let sclInter: Double?
        let pixdim: [Double]?
        let voxOffset: Int?
    }

    static func entry(_ name: String) throws -> Entry {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("image-formats-reference.json")))
        let all = try JSONDecoder().decode([String: Entry].self, from: data)
        return try XCTUnwrap(all[name], "no reference values for \(name)")
    }
}

/// A real scan of Tests/Scans (see its README for where each comes from and its licence).
func realScan(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Scans/\(name)").standardized.path
}

/// Decodes every prefix of `encoded` at `stride` and `flips` single-byte corruptions; each must
/// throw a FormatError or decode, never crash or hang. Returns the lengths of the prefixes that decoded.
func assertSurvivesDamage(_ encoded: [UInt8], stride step: Int, flips: Int, decode: ([UInt8]) throws -> Void) -> [Int] {
    var decodedPrefixes: [Int] = []
    for length in Swift.stride(from: 0, to: encoded.count, by: step) {
        do { try decode(Array(encoded.prefix(length))); decodedPrefixes.append(length) } catch is FormatError {} catch {
            XCTFail("prefix of \(length) bytes: expected a FormatError, got \(error)")
        }
    }
    var generator = SplitMix(seed: 42)
    for _ in 0..<flips {
        var damaged = encoded
        let at = Int(generator.next() % UInt64(encoded.count))
        damaged[at] ^= UInt8(1 + generator.next() % 255)
        do { try decode(damaged) } catch is FormatError {} catch {
            XCTFail("byte \(at) flipped: expected a FormatError, got \(error)")
        }
    }
    return decodedPrefixes
}

/// A tiny deterministic generator for the damage tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class PNGTests: XCTestCase {
    func testFatMRISliceMatchesPillow() throws {
        let reference = try ImageReference.entry("FatMRISlice.png")
        let image = try PNGImage(reading: realScan("FatMRISlice.png")).pixels
        // A palette of greys reads as one grey channel.
        XCTAssertEqual(image.shape, [1] + reference.shape)
        XCTAssertEqual(image.scalars.reduce(0) { $0 + Double($1) }, reference.sum)
        XCTAssertEqual(Double(image.scalars.max()!), reference.max)
        for (row, sum) in try XCTUnwrap(reference.rowSums) {
            let r = Int(row)!
            XCTAssertEqual(image.scalars[r * 256..<(r + 1) * 256].reduce(0) { $0 + Double($1) }, sum, "row \(r)")
        }
        for pixel in try XCTUnwrap(reference.pixels) {
            XCTAssertEqual(Double(try image.value(at: [0] + pixel.index)), pixel.value, "pixel \(pixel.index)")
        }
    }

    func testPillowLayoutsMatchValueForValue() throws {
        for name in ["pillow-grey16.png", "pillow-rgb8.png", "pillow-rgba8.png", "pillow-greyalpha8.png"] {
            let reference = try ImageReference.entry(name)
            let image = try PNGImage(reading: fixture(name)).pixels
            XCTAssertEqual(image.shape, reference.shape, name)
            XCTAssertEqual(image.scalars.map(Double.init), reference.values, name)
        }
    }

    func testRoundTripsAreBitExact() throws {
        let directory = try TemporaryDirectory()
        var generator = SplitMix(seed: 3)
        for (channels, depth) in [(1, PNGImage.BitDepth.eight), (1, .sixteen), (3, .eight), (3, .sixteen)] {
            let shape = [channels, 7, 11]
            let values = (0..<(channels * 77)).map { _ in Float(generator.next() % (UInt64(depth.maximum) + 1)) }
            let original = try Tensor(shape: shape, scalars: values)
            let path = directory.file("round-\(channels)-\(depth.rawValue).png")
            try PNGImage.write(original, to: path, bitDepth: depth)
            XCTAssertEqual(try PNGImage(reading: path).pixels, original, "\(channels) channels, \(depth.rawValue) bits")
        }
        let scan = try PNGImage(reading: realScan("FatMRISlice.png")).pixels
        try PNGImage.write(scan, to: directory.file("scan.png"))
        XCTAssertEqual(try PNGImage(reading: directory.file("scan.png")).pixels, scan)
        XCTAssertEqual(try directory.contents().filter { $0.hasSuffix(".tmp") }, [], "no temporary left behind")
    }

    /// The bit depth read is that of the samples delivered: files of 1, 2 or 4 bits are widened
    /// to 8 (each level spread over 0...255, as Pillow reads them; values from
    /// Fixtures/make_low_depth_fixtures.py), so that dividing by `bitDepth.maximum` gives 0...1.
    func testLowBitDepthsAreWidenedToEightBits() throws {
        let oneBit = try PNGImage(reading: fixture("pillow-grey1.png"))
        XCTAssertEqual(oneBit.bitDepth, .eight)
        XCTAssertEqual(oneBit.pixels, try Tensor(shape: [1, 3, 5], scalars: [0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0]))
        let palette = try PNGImage(reading: fixture("pillow-palette2.png"))
        XCTAssertEqual(palette.bitDepth, .eight)
        XCTAssertEqual(palette.pixels, try Tensor(shape: [1, 3, 5], scalars: [0, 85, 170, 255, 0, 255, 170, 85, 0, 85, 170, 170, 255, 255, 0]),
                       "a 2-bit palette of greys: one grey channel")
        XCTAssertEqual(palette.intensities.scalars.max(), 1)
        let sixteen = try PNGImage(reading: fixture("pillow-grey16.png"))
        XCTAssertEqual(sixteen.bitDepth, .sixteen)
        XCTAssertEqual(sixteen.intensities, sixteen.pixels / Float(65535))
        XCTAssertEqual(try PNGImage(reading: fixture("pillow-rgb8.png")).bitDepth, .eight)
    }

    func testWritingClampsAndRounds() throws {
        let directory = try TemporaryDirectory()
        let values: [Float] = [-3, 0.4, 0.5, 1.5, 254.6, 300]
        try PNGImage.write(try Tensor(shape: [1, 6], scalars: values), to: directory.file("eight.png"))
        XCTAssertEqual(try PNGImage(reading: directory.file("eight.png")).pixels.scalars, [0, 0, 1, 2, 255, 255])
        let wide: [Float] = [-1, 1000.5, 65534.6, 70000]
        try PNGImage.write(try Tensor(shape: [1, 1, 4], scalars: wide), to: directory.file("sixteen.png"), bitDepth: .sixteen)
        XCTAssertEqual(try PNGImage(reading: directory.file("sixteen.png")).pixels.scalars, [0, 1001, 65535, 65535])
        assertFormatError(mentions: ["nan.png", "NaN"]) {
            try PNGImage.write(try Tensor(shape: [1, 1, 2], scalars: [1, .nan]), to: directory.file("nan.png"))
        }
        assertFormatError(mentions: ["two.png", "[2, 3, 3]"]) {
            try PNGImage.write(try Tensor.zeros([2, 3, 3]), to: directory.file("two.png"))
        }
    }

    func testNotAPNGNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        try writeBytes(Array("hello, not an image".utf8), to: directory.file("fake.png"))
        assertFormatError(mentions: ["fake.png", "PNG signature"]) { try PNGImage(reading: directory.file("fake.png")).pixels }
        assertFormatError(mentions: ["missing.png"]) { try PNGImage(reading: directory.file("missing.png")).pixels }
    }

    func testTruncatedAndCorruptedFilesThrow() throws {
        let encoded = try bytes(of: realScan("FatMRISlice.png"))
        let original = try PNGImage(decoding: encoded, file: "FatMRISlice.png")
        let decoded = assertSurvivesDamage(encoded, stride: 7, flips: 400) { damaged in
            let image = try PNGImage(decoding: damaged, file: "damaged.png")
            XCTAssertEqual(image, original, "a damaged file that decodes must decode to the original pixels")
        }
        // libpng does not insist on the final IEND chunk (the last 12 bytes): a file cut inside
        // it still holds every pixel. Any shorter prefix is an error.
        XCTAssertEqual(decoded.filter { $0 < encoded.count - 12 }, [], "prefixes missing image data decoded")
        assertFormatError(mentions: ["cut.png"]) { try PNGImage(decoding: Array(encoded.prefix(encoded.count / 2)), file: "cut.png") }
    }

    func testLyingDimensionsAreRefusedBeforeAllocating() throws {
        var encoded = try bytes(of: fixture("pillow-rgb8.png"))
        // IHDR's width and height (big-endian at 16 and 20) claim 60000 x 60000; fix IHDR's CRC so
        // that only the size is a lie.
        encoded.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
        let crc = crc32(0, Array(encoded[12..<29]), 17)
        encoded.replaceSubrange(29..<33, with: [UInt8(crc >> 24 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        assertFormatError(mentions: ["liar.png", "60000x60000"]) { try PNGImage(decoding: encoded, file: "liar.png") }
    }
}
