import Foundation
import XCTest
@testable import Engine
@testable import Formats

final class DICOMTests: XCTestCase {
    /// Values recorded by Fixtures/make_dicom_fixtures.py with pydicom.
    private struct Reference: Decodable {
        struct Pixel: Decodable { let index: [Int]; let value: Double }
        let transferSyntax: String
        let shape: [Int]
        let bitsAllocated: Int
        let bitsStored: Int
        let pixelRepresentation: Int
        let photometric: String
        let rescaleSlope: Double
        let rescaleIntercept: Double
        let sum: Double
        let min: Double
        let max: Double
        let pixels: [Pixel]
    }

    private func reference(_ name: String) throws -> Reference {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("dicom-reference.json")))
        return try XCTUnwrap(try JSONDecoder().decode([String: Reference].self, from: data)[name])
    }

    private func assertMatchesPydicom(_ path: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try reference(name)
        let image = try DICOMImage(reading: path)
        XCTAssertEqual(image.pixels.shape, expected.shape, file: file, line: line)
        XCTAssertEqual(image.bitsAllocated, expected.bitsAllocated, file: file, line: line)
        XCTAssertEqual(image.bitsStored, expected.bitsStored, file: file, line: line)
        XCTAssertEqual(image.pixelRepresentation, expected.pixelRepresentation, file: file, line: line)
        XCTAssertEqual(image.photometricInterpretation, expected.photometric, file: file, line: line)
        XCTAssertEqual(image.rescaleSlope, expected.rescaleSlope, file: file, line: line)
        XCTAssertEqual(image.rescaleIntercept, expected.rescaleIntercept, file: file, line: line)
        XCTAssertEqual(image.pixels.scalars.reduce(0) { $0 + Double($1) }, expected.sum, file: file, line: line)
        XCTAssertEqual(Double(image.pixels.scalars.min()!), expected.min, file: file, line: line)
        XCTAssertEqual(Double(image.pixels.scalars.max()!), expected.max, file: file, line: line)
        for pixel in expected.pixels {
            XCTAssertEqual(Double(try image.pixels.value(at: [0] + pixel.index)), pixel.value, "pixel \(pixel.index)", file: file, line: line)
        }
    }

    func testMRMatchesPydicom() throws {
        try assertMatchesPydicom(realScan("MR_small.dcm"), "MR_small.dcm")
    }

    func testCTIsInHounsfieldUnitsAsPydicomGives() throws {
        try assertMatchesPydicom(realScan("CT_small.dcm"), "CT_small.dcm")
    }

    func testImplicitVRMatchesPydicom() throws {
        try assertMatchesPydicom(fixture("pydicom-implicit-mr.dcm"), "pydicom-implicit-mr.dcm")
        XCTAssertEqual(try DICOMImage(reading: fixture("pydicom-implicit-mr.dcm")).pixels,
                       try DICOMImage(reading: realScan("MR_small.dcm")).pixels)
    }

    /// pydicom-data's mlut_18 (cut to 128 rows): 12-bit signed values through a Modality LUT
    /// Sequence of 4096 entries from -2048, as pydicom's apply_modality_lut maps them.
    func testModalityLUTSequenceIsApplied() throws {
        try assertMatchesPydicom(fixture("pydicom-mlut_18-cropped.dcm"), "pydicom-mlut_18-cropped.dcm")
        let image = try DICOMImage(reading: fixture("pydicom-mlut_18-cropped.dcm"))
        let lut = try XCTUnwrap(image.modalityLUT)
        XCTAssertEqual(lut.firstMapped, -2048)
        XCTAssertEqual(lut.bits, 16)
        XCTAssertEqual(lut.data.count, 4096)
        XCTAssertEqual(lut.map(-5000), lut.data[0])
        XCTAssertEqual(lut.map(5000), lut.data[4095])
    }

    func testAMissingElementIsNamedByItsTag() throws {
        var encoded = try bytes(of: realScan("MR_small.dcm"))
        let rows: [UInt8] = [0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00]
        let at = try XCTUnwrap((0...(encoded.count - rows.count)).first { encoded[$0..<$0 + rows.count].elementsEqual(rows) })
        encoded[at + 2] = 0x12   // (0028,0010) becomes (0028,0012), which medsynth does not read
        assertFormatError(mentions: ["Rows (0028,0010)"]) { try DICOMImage(decoding: encoded, file: "norows.dcm") }
    }

    func testMonochrome1IsInverted() throws {
        try assertMatchesPydicom(fixture("pydicom-monochrome1-mr.dcm"), "pydicom-monochrome1-mr.dcm")
        let normal = try DICOMImage(reading: realScan("MR_small.dcm")).pixels
        let inverted = try DICOMImage(reading: fixture("pydicom-monochrome1-mr.dcm")).pixels
        // Signed 16-bit: stored' = -32768 + 32767 - stored = -1 - stored.
        XCTAssertEqual(inverted.scalars, normal.scalars.map { -1 - $0 })
    }

    /// A transfer syntax GDCM cannot decode is named in the error (here a made-up UID).
    func testAnUnknownTransferSyntaxIsRefused() throws {
        var encoded = try bytes(of: realScan("MR_small.dcm"))
        let explicit = Array("1.2.840.10008.1.2.1\0".utf8), unknown = Array("1.2.840.10008.9.9\0\0\0".utf8)
        let at = try XCTUnwrap((0...(encoded.count - explicit.count)).first { encoded[$0..<$0 + explicit.count].elementsEqual(explicit) })
        encoded.replaceSubrange(at..<at + unknown.count, with: unknown)
        assertFormatError(mentions: ["unknown.dcm"]) { try DICOMImage(decoding: encoded, file: "unknown.dcm") }
    }

    func testLyingRowsAreRefusedBeforeAllocating() throws {
        var encoded = try bytes(of: realScan("MR_small.dcm"))
        // Rows (0028,0010), US, length 2, value 64: claim 65535 rows.
        let rows: [UInt8] = [0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00, 64, 0]
        let at = try XCTUnwrap((0...(encoded.count - rows.count)).first { encoded[$0..<$0 + rows.count].elementsEqual(rows) })
        encoded.replaceSubrange(at + 8..<at + 10, with: [0xFF, 0xFF])
        assertFormatError(mentions: ["liar.dcm", "Pixel Data", "65535x64"]) { try DICOMImage(decoding: encoded, file: "liar.dcm") }
    }

    func testNotDICOMNamesTheFile() throws {
        assertFormatError(mentions: ["plain.dcm", "DICM"]) { try DICOMImage(decoding: Array(repeating: 7, count: 300), file: "plain.dcm") }
    }

    func testTruncatedAndCorruptedFilesThrow() throws {
        for (name, path) in [("MR_small.dcm", realScan("MR_small.dcm")), ("CT_small.dcm", realScan("CT_small.dcm")),
                             ("implicit.dcm", fixture("pydicom-implicit-mr.dcm"))] {
            let encoded = try bytes(of: path)
            let original = try DICOMImage(decoding: encoded, file: name).pixels
            let decoded = assertSurvivesDamage(encoded, stride: 61, flips: 120) { damaged in
                let image = try DICOMImage(decoding: damaged, file: name)
                if damaged.count < encoded.count { XCTAssertEqual(image.pixels, original, "\(name): a prefix that decodes must hold every pixel") }
            }
            // The files end with padding (FFFC,FFFC) after the pixels; a cut there loses nothing.
            // A cut anywhere before the end of the pixel data is an error.
            let pixelDataEnd = try XCTUnwrap(Self.pixelDataEnd(encoded), name)
            XCTAssertEqual(decoded.filter { $0 < pixelDataEnd }, [], "\(name): prefixes missing pixels decoded")
        }
    }

    /// Where the Pixel Data element's value ends in a little-endian file: after its tag (7FE0,0010),
    /// "OW" or "OB" and two reserved bytes in explicit VR, then a 4-byte length.
    private static func pixelDataEnd(_ bytes: [UInt8]) -> Int? {
        let tag: [UInt8] = [0xE0, 0x7F, 0x10, 0x00]
        guard let at = (0...(bytes.count - 12)).last(where: { bytes[$0..<$0 + 4].elementsEqual(tag) }) else { return nil }
        let explicit = bytes[at + 4] == UInt8(ascii: "O")
        let lengthAt = at + (explicit ? 8 : 4)
        let length = (0..<4).reduce(0) { $0 | Int(bytes[lengthAt + $1]) << (8 * $1) }
        return lengthAt + 4 + length
    }
}
