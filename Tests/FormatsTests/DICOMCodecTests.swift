import Foundation
import XCTest
@testable import Engine
@testable import Formats

/// A file of pydicom's test set for each transfer syntax and colour model (Fixtures/dicom-codecs,
/// made by make_dicom_fixtures_gdcm.py): medsynth's values equal pydicom's, bit for bit (the SHA-256
/// of the float32 values). The whole test sets are compared by DICOMSweepTests (scripts/dicom-sweep.sh).
final class DICOMCodecTests: XCTestCase {
    private struct Reference: Decodable {
        let shape: [Int]
        let sha256: String
        let sum: Double
        let min: Double
        let max: Double
        let transferSyntax: String
        let photometric: String
    }

    private func references() throws -> [String: Reference] {
        try JSONDecoder().decode([String: Reference].self, from: Data(contentsOf: URL(fileURLWithPath: fixture("dicom-codecs.json"))))
    }

    func testEveryCodecFileEqualsPydicom() throws {
        let references = try references()
        XCTAssertEqual(references.count, 22)
        var syntaxes = Set<String>()
        for (name, expected) in references.sorted(by: { $0.key < $1.key }) {
            let image = try DICOMImage(reading: fixture("dicom-codecs/\(name)"))
            XCTAssertEqual(image.pixels.shape, expected.shape, name)
            XCTAssertEqual(image.transferSyntax, expected.transferSyntax, name)
            let scalars = image.pixels.scalars
            var hash = SHA256()
            scalars.withUnsafeBytes { hash.update($0) }
            XCTAssertEqual(hash.finalize(), expected.sha256,
                           "\(name) (\(expected.photometric)): sum \(scalars.reduce(0) { $0 + Double($1) }) against \(expected.sum), "
                               + "range \(scalars.min() ?? 0)...\(scalars.max() ?? 0) against \(expected.min)...\(expected.max)")
            syntaxes.insert(expected.transferSyntax)
        }
        // Implicit, explicit, big endian, deflated, RLE, JPEG baseline and lossless, JPEG-LS both, JPEG 2000 both.
        XCTAssertEqual(syntaxes.count, 11, "\(syntaxes.sorted())")
    }

    func testColourIsThreePlanesAndGreyscaleOne() throws {
        let rgb = try DICOMImage(reading: fixture("dicom-codecs/pydicom-SC_rgb_rle.dcm"))
        XCTAssertTrue(rgb.isColour)
        XCTAssertEqual(rgb.pixels.shape, [3, 100, 100])
        // SC_rgb's first rows are pure red: 255, 0, 0.
        XCTAssertEqual(try [0, 1, 2].map { try rgb.pixels.value(at: [$0, 0, 0]) }, [255, 0, 0])
        let palette = try DICOMImage(reading: fixture("dicom-codecs/pydicom-data-OBXXXX1A_rle.dcm"))
        XCTAssertEqual(palette.pixels.shape, [3, 600, 800])
        XCTAssertEqual(palette.photometricInterpretation, "PALETTE COLOR")
        let grey = try DICOMImage(reading: fixture("dicom-codecs/pydicom-MR_small_jp2klossless.dcm"))
        XCTAssertFalse(grey.isColour)
        XCTAssertEqual(grey.pixels, try DICOMImage(reading: realScan("MR_small.dcm")).pixels, "JPEG 2000 lossless gives the uncompressed file's values")
    }

    /// pydicom's rtdose_1frame.dcm is valid, but GDCM 3.0's image reader stops on an assertion for it
    /// (Debian builds GDCM with assertions on). medsynth reads native pixel data itself, so it loads.
    func testAFileThatStopsGDCMsImageReaderStillLoads() throws {
        let image = try DICOMImage(reading: fixture("dicom-codecs/pydicom-rtdose_1frame.dcm"))
        XCTAssertEqual(image.pixels.shape, [1, 10, 10])
    }

    /// A crash inside GDCM ends its child process, not medsynth: the file is refused with how it ended.
    func testACrashInGDCMIsAnError() throws {
        // pydicom's DICOMDIR-nooffset makes GDCM 3.0 abort() while it reads the file meta group.
        var bytes = Array(repeating: UInt8(0), count: 128) + Array("DICM".utf8)
        // A file meta group whose group length promises more than there is.
        bytes += [0x02, 0x00, 0x00, 0x00, 0x55, 0x4C, 0x04, 0x00, 0xFF, 0xFF, 0x00, 0x00]
        bytes += [0x02, 0x00, 0x01, 0x00, 0x4F, 0x42, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
        do {
            _ = try DICOMImage(decoding: bytes, file: "broken.dcm")
            XCTFail("a broken file meta group decoded")
        } catch let error as FormatError {
            XCTAssertTrue("\(error)".contains("broken.dcm"), "\(error)")
        }
    }

    func testTheSizeCapIsCheckedBeforeDecoding() throws {
        let saved = MemoryBudget.limit
        defer { MemoryBudget.limit = saved }
        // The file (5.9 KiB) fits; its 8 KiB of decoded pixels do not fit a fifth of the budget (each
        // byte may become a 4-byte float), so GDCM's child refuses to decode them...
        MemoryBudget.limit = 8000
        let file = try DICOMFile(reading: fixture("dicom-codecs/pydicom-MR_small_jp2klossless.dcm"))
        guard case .failed(let why) = file.pixels else { return XCTFail("decoded over the budget: \(file.pixels)") }
        XCTAssertTrue(why.contains("would decode to 8192 bytes"), why)
        // ...and the image says what it would have needed.
        XCTAssertThrowsError(try DICOMImage(reading: fixture("dicom-codecs/pydicom-MR_small_jp2klossless.dcm"))) {
            XCTAssertTrue("\($0)".contains("memory budget"), "\($0)")
        }
    }
}
