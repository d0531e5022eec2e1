import Foundation
import XCTest
@testable import Engine
@testable import Formats

final class NIfTITests: XCTestCase {
    /// Compares a read image with nibabel's values: nibabel's array[x, y, z, t] is tensor[t, z, y, x].
    private func assertMatchesNibabel(_ path: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try ImageReference.entry(name)
        let image = try NIfTIImage(reading: path)
        XCTAssertEqual(image.header.dimensions, reference.shape, file: file, line: line)
        XCTAssertEqual(image.voxels.shape, reference.shape.reversed(), file: file, line: line)
        XCTAssertEqual(image.header.voxelSizes.map(Double.init), reference.pixdim, file: file, line: line)
        XCTAssertEqual(image.header.voxelOffset, reference.voxOffset, file: file, line: line)
        XCTAssertEqual(Double(image.header.sclSlope), reference.sclSlope, file: file, line: line)
        XCTAssertEqual(Double(image.header.sclInter), reference.sclInter, file: file, line: line)
        let sum = image.voxels.scalars.reduce(0) { $0 + Double($1) }
        XCTAssertEqual(sum, try XCTUnwrap(reference.sum), file: file, line: line)
        XCTAssertEqual(sum / Double(image.voxels.count), try XCTUnwrap(reference.mean), accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(Double(image.voxels.scalars.max()!), reference.max, file: file, line: line)
        for voxel in try XCTUnwrap(reference.voxels) {
            let index = Array(voxel.index.reversed())
            XCTAssertEqual(Double(try image.voxels.value(at: index)), voxel.value, "voxel \(voxel.index)", file: file, line: line)
        }
    }

    func testExample4DMatchesNibabel() throws {
        try assertMatchesNibabel(realScan("example4d.nii.gz"), "example4d.nii.gz")
        XCTAssertEqual(try NIfTIImage(reading: realScan("example4d.nii.gz")).header.dataType, .int16)
    }

    func testDiffusionB0MatchesNibabel() throws {
        try assertMatchesNibabel(realScan("S0_10slices.nii.gz"), "S0_10slices.nii.gz")
        XCTAssertEqual(try NIfTIImage(reading: realScan("S0_10slices.nii.gz")).header.dataType, .uint16)
    }

    func testBigEndianScaledFileMatchesNibabel() throws {
        try assertMatchesNibabel(fixture("nibabel-bigendian-scaled.nii"), "nibabel-bigendian-scaled.nii")
        let header = try NIfTIImage(reading: fixture("nibabel-bigendian-scaled.nii")).header
        XCTAssertTrue(header.isBigEndian)
        XCTAssertTrue(header.isScaled)
    }

    func testRoundTripsKeepValuesShapeAndVoxelSizes() throws {
        let directory = try TemporaryDirectory()
        let values = try Tensor.rand([2, 3, 4, 5], seed: 9) * 100 - 50
        for name in ["four.nii", "four.nii.gz"] {
            try NIfTIImage.write(values, to: directory.file(name), voxelSizes: [0.5, 0.75, 2, 1500])
            let back = try NIfTIImage(reading: directory.file(name))
            XCTAssertEqual(back.voxels, values, name)
            XCTAssertEqual(back.header.dimensions, [5, 4, 3, 2], name)
            XCTAssertEqual(back.header.voxelSizes, [0.5, 0.75, 2, 1500], name)
            XCTAssertEqual(back.header.dataType, .float32, name)
        }
        let slice = try Tensor(shape: [2, 3], scalars: [-40000, -1.5, 0.49, 2.5, 123.4, 40000])
        try NIfTIImage.write(slice, to: directory.file("slice.nii.gz"), dataType: .int16)
        let back = try NIfTIImage(reading: directory.file("slice.nii.gz"))
        XCTAssertEqual(back.voxels.shape, [2, 3])
        XCTAssertEqual(back.voxels.scalars, [-32768, -2, 0, 3, 123, 32767], "clamped and rounded half away from zero")

        let scan = try NIfTIImage(reading: realScan("example4d.nii.gz"))
        try NIfTIImage.write(scan.voxels, to: directory.file("scan.nii.gz"), dataType: .int16, voxelSizes: scan.header.voxelSizes)
        XCTAssertEqual(try NIfTIImage(reading: directory.file("scan.nii.gz")).voxels, scan.voxels)
        XCTAssertEqual(try directory.contents().filter { $0.hasSuffix(".tmp") }, [])
    }

    func testGzipIsRecognisedByContentNotName() throws {
        let directory = try TemporaryDirectory()
        try writeBytes(try bytes(of: realScan("S0_10slices.nii.gz")), to: directory.file("misnamed.nii"))
        XCTAssertEqual(try NIfTIImage(reading: directory.file("misnamed.nii")).voxels.shape, [1, 10, 128, 128])
    }

    func testInvalidHeadersNameTheFileAndTheField() throws {
        let directory = try TemporaryDirectory()
        try NIfTIImage.write(try Tensor.ones([3, 4]), to: directory.file("good.nii"))
        let good = try bytes(of: directory.file("good.nii"))
        func damaged(_ name: String, _ change: (inout [UInt8]) -> Void) throws -> String {
            var copy = good
            change(&copy)
            try writeBytes(copy, to: directory.file(name))
            return directory.file(name)
        }
        let sizes = try damaged("size.nii") { $0[0] = 0 }
        assertFormatError(mentions: ["size.nii", "sizeof_hdr"]) { try NIfTIImage(reading: sizes) }
        let magic = try damaged("magic.nii") { $0.replaceSubrange(344..<348, with: Array("ni1\0".utf8)) }
        assertFormatError(mentions: ["magic.nii", "ni1"]) { try NIfTIImage(reading: magic) }
        let type = try damaged("type.nii") { $0[70] = 99 }
        assertFormatError(mentions: ["type.nii", "datatype 99"]) { try NIfTIImage(reading: type) }
        let bits = try damaged("bits.nii") { $0[72] = 8 }
        assertFormatError(mentions: ["bits.nii", "bitpix 8"]) { try NIfTIImage(reading: bits) }
        let rank = try damaged("rank.nii") { $0[40] = 9 }
        assertFormatError(mentions: ["rank.nii", "dim[0] is 9"]) { try NIfTIImage(reading: rank) }
        let offset = try damaged("offset.nii") { $0.replaceSubrange(108..<112, with: [0, 0, 0, 0]) }
        assertFormatError(mentions: ["offset.nii", "vox_offset"]) { try NIfTIImage(reading: offset) }
        // dim[1] = 32767 claims far more voxels than the 400 bytes hold.
        let huge = try damaged("huge.nii") { $0.replaceSubrange(42..<44, with: [0xFF, 0x7F]) }
        assertFormatError(mentions: ["huge.nii", "truncated"]) { try NIfTIImage(reading: huge) }
        // Seven axes of 32767: a voxel count that would overflow 64 bits.
        let overflowing = try damaged("overflow.nii") {
            $0.replaceSubrange(40..<56, with: [7, 0] + Array(repeating: [0xFF, 0x7F], count: 7).flatMap { $0 })
        }
        assertFormatError(mentions: ["overflow.nii", "more voxels"]) { try NIfTIImage(reading: overflowing) }
        let hugeGzip = directory.file("huge.nii.gz")
        // 32767 x 32767 x 100 int16 voxels (200 GB) gzip-compressed into a few hundred bytes:
        // refused from the compressed size alone, before anything is allocated.
        var lying = try bytes(of: huge)
        lying.replaceSubrange(40..<48, with: [3, 0, 0xFF, 0x7F, 0xFF, 0x7F, 100, 0])
        try writeBytes(try Gzip.compress(lying, file: hugeGzip), to: hugeGzip)
        assertFormatError(mentions: ["huge.nii.gz", "more than"]) { try NIfTIImage(reading: hugeGzip) }
    }

    func testTruncatedAndCorruptedFilesThrow() throws {
        let directory = try TemporaryDirectory()
        let volume = try Tensor.rand([3, 8, 9], seed: 1) * 1000
        for name in ["damage.nii", "damage.nii.gz"] {
            let path = directory.file(name)
            try NIfTIImage.write(volume, to: path, dataType: .int16)
            let encoded = try bytes(of: path)
            let victim = directory.file("victim-" + name)
            let decoded = assertSurvivesDamage(encoded, stride: 3, flips: 300) { damaged in
                try writeBytes(damaged, to: victim)
                _ = try NIfTIImage(reading: victim)
            }
            XCTAssertEqual(decoded, [], "\(name): no truncated file may read as an image")
        }
        let scan = try bytes(of: realScan("example4d.nii.gz"))
        let victim = directory.file("example4d-cut.nii.gz")
        for length in stride(from: 0, to: scan.count, by: scan.count / 40) {
            try writeBytes(Array(scan.prefix(length)), to: victim)
            assertFormatError(mentions: ["example4d-cut.nii.gz"]) { try NIfTIImage(reading: victim) }
        }
        var flipped = scan
        flipped[scan.count / 2] ^= 0x5A
        try writeBytes(flipped, to: victim)
        assertFormatError(mentions: ["example4d-cut.nii.gz", "corrupt"]) { try NIfTIImage(reading: victim) }
    }
}
