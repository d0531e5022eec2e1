@preconcurrency import CHDF5
import Foundation
import TestSupport
import XCTest
@testable import Engine
@testable import Formats

/// Tiny files, crafted by hand, that declare huge contents, lie about their sizes or are not
/// files at all. Each must give a clear error quickly, without allocating what it declares.
final class HostileFileTests: XCTestCase {
    private var budget: MemoryBudgetOverride!
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        budget = MemoryBudgetOverride(64 << 20)
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        budget.restore()
        directory = nil
    }

    // MARK: - Not regular files

    func testAFIFONamedLikeAnImageIsRefusedAtOnce() throws {
        let readers: [(name: String, read: (String) throws -> Any)] = [
            ("x.png", { try PNGImage(reading: $0).pixels }), ("x.nii.gz", { try NIfTIImage(reading: $0) }),
            ("x.dcm", { try DICOMImage(reading: $0) }), ("x.safetensors", { try SafetensorsFile(reading: $0) }),
            ("x.h5", { try HDF5File(reading: $0) }), ("y.h5", { try Checkpoint(reading: $0) }),
            ("y.safetensors", { try Checkpoint(reading: $0) }),
        ]
        for (name, read) in readers {
            let path = directory.file(name)
            XCTAssertEqual(mkfifo(path, 0o600), 0)
            let start = Date()
            _ = assertFormatError(mentions: [name, "is a named pipe (FIFO), not a regular file"]) { try read(path) }
            XCTAssertLessThan(Date().timeIntervalSince(start), 2, name)
        }
        _ = assertFormatError(mentions: ["is a directory"]) { try PNGImage(reading: directory.path).pixels }
        _ = assertFormatError(mentions: ["/dev/null", "device or socket"]) { try NIfTIImage(reading: "/dev/null") }
    }

    // MARK: - NIfTI

    private func niftiHeader(_ dimensions: [Int]) -> [UInt8] {
        NIfTIHeader(dimensions: dimensions, dataType: .float32, voxelSizes: dimensions.map { _ in 1 }, qfac: 1, sclSlope: 1,
                    sclInter: 0, voxelOffset: NIfTIHeader.minimumVoxelOffset, isBigEndian: false).encoded()
    }

    func testANIfTIHeaderPromisingMoreThanItsGzipCanHoldIsRefused() throws {
        // 2^31 voxels of float32 (8 GiB) from a gzip of the header alone.
        let path = directory.file("bomb.nii.gz")
        try writeBytes(try Gzip.compress(niftiHeader([32768 - 1, 32768 - 1, 2]), file: path), to: path)
        _ = assertFormatError(mentions: ["bomb.nii.gz", "more than", "gzip-compressed bytes can hold"]) { try NIfTIImage(reading: path) }
    }

    func testANIfTIImageOverTheBudgetIsRefusedBeforeDecompressing() throws {
        // 2^25 voxels (128 MiB of float32): padding makes the file large enough to be plausible.
        let path = directory.file("large.nii.gz")
        let padding = [UInt8](repeating: 0, count: 200_000)
        try writeBytes(try Gzip.compress(niftiHeader([4096, 4096, 2]), file: path) + padding, to: path)
        assertOverBudget(mentions: ["NIfTI image", "large.nii.gz", "dim [4096, 4096, 2]", "over the memory budget of 64.0 MiB"]) {
            try NIfTIImage(reading: path)
        }
    }

    func testAGzipStreamThatRunsFarPastItsHeaderStopsEarly() throws {
        // The header declares 8 x 8 voxels; the stream goes on for 16 MiB of zeros.
        let path = directory.file("long.nii.gz")
        let voxels = [UInt8](repeating: 0, count: 16 << 20)
        try writeBytes(try Gzip.compress(niftiHeader([8, 8]) + voxels, file: path), to: path)
        _ = assertFormatError(mentions: ["long.nii.gz", "decompresses to more than the 608 bytes its header declares"]) {
            try NIfTIImage(reading: path)
        }
    }

    // MARK: - PNG

    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    private func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        func bigEndian(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        let typed = Array(type.utf8) + body
        return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }

    func testAPNGOf20000By20000PixelsIsRefusedBeforeDecoding() throws {
        // An 8-bit grey IHDR of 20000 x 20000 (400 MB of samples, 3.2 GB as tensors), a private
        // chunk that makes the file large enough to be plausible, and an IDAT of one byte.
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let side: [UInt8] = [0, 0, 0x4E, 0x20]
        let header = chunk("IHDR", side + side + [8, 0, 0, 0, 0])
        let png = signature + header + chunk("prVt", [UInt8](repeating: 0, count: 400_000))
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
        let path = directory.file("huge.png")
        try writeBytes(png, to: path)
        let start = Date()
        assertOverBudget(mentions: ["PNG image", "huge.png", "(20000 x 20000, 1 channel)", "over the memory budget"]) {
            try PNGImage(reading: path).pixels
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    // MARK: - safetensors

    func testASafetensorsShapeWhoseNonZeroExtentsOverflowIsRefusedAtLoad() throws {
        let json = #"{"t":{"dtype":"F32","shape":[0,4611686018427387904,4611686018427387904],"data_offsets":[0,0]}}"#
        let header = Array(json.utf8) + [UInt8](repeating: 0x20, count: (8 - json.utf8.count % 8) % 8)
        let path = directory.file("empty-but-huge.safetensors")
        try writeBytes(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header, to: path)
        _ = assertFormatError(mentions: ["empty-but-huge.safetensors", "tensor \"t\"", "too large to be real"]) {
            try SafetensorsFile(reading: path)
        }
    }

    func testASafetensorsTensorOverTheBudgetIsRefusedBeforeReading() throws {
        let count = 20 << 20  // 80 MiB of float32, stored as a sparse file
        let json = #"{"big":{"dtype":"F32","shape":[\#(count)],"data_offsets":[0,\#(4 * count)]}}"#
        let header = Array(json.utf8) + [UInt8](repeating: 0x20, count: (8 - json.utf8.count % 8) % 8)
        let path = directory.file("big.safetensors")
        try writeBytes(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header, to: path)
        XCTAssertEqual(truncate(path, off_t(8 + header.count + 4 * count)), 0)
        let file = try SafetensorsFile(reading: path)
        assertOverBudget(mentions: ["safetensors tensor", "\"big\" of shape [20971520]"]) { try file.tensor(named: "big") }
    }

    // MARK: - HDF5

    /// Writes an HDF5 file holding one chunked float32 dataset "data" that is never written
    /// (so no chunk is allocated and the file stays tiny), with `deflate` when asked.
    private func writeUnwrittenDataset(_ path: String, shape: [UInt64], maximum: [UInt64]? = nil, chunk: [UInt64],
                                       deflate: Bool) throws {
        HDF5Library.run {
            let file = H5Fcreate(path, HDF5Library.createExclusive, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            XCTAssertGreaterThanOrEqual(file, 0)
            let space = H5Screate_simple(Int32(shape.count), shape, maximum)
            let creation = H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g)
            XCTAssertGreaterThanOrEqual(H5Pset_chunk(creation, Int32(chunk.count), chunk), 0)
            if deflate { XCTAssertGreaterThanOrEqual(H5Pset_deflate(creation, 9), 0) }
            let dataset = H5Dcreate2(file, "data", H5T_NATIVE_FLOAT_g, space, hid_t(H5P_DEFAULT), creation, hid_t(H5P_DEFAULT))
            XCTAssertGreaterThanOrEqual(dataset, 0)
            H5Dclose(dataset)
            H5Pclose(creation)
            H5Sclose(space)
            H5Fclose(file)
        }
    }

    func testALazilyAllocatedCompressedHDF5DatasetIsNotInflated() throws {
        // 2^30 floats (4 GiB) behind gzip, in a file of a few kilobytes.
        MemoryBudget.limit = budget.saved
        let path = directory.file("lazy.h5")
        try writeUnwrittenDataset(path, shape: [1 << 30], chunk: [1 << 20], deflate: true)
        XCTAssertLessThan(try bytes(of: path).count, 16 << 10)
        let start = Date()
        _ = assertFormatError(mentions: ["lazy.h5", "/data", "decompression bomb"]) { try HDF5File(reading: path).readTensor("data") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    func testHDF5DatasetsOfUncountableShapesGiveAMessageNotATrap() throws {
        // 2^62 floats: the byte count overflows.
        let huge = directory.file("huge.h5")
        try writeUnwrittenDataset(huge, shape: [1 << 31, 1 << 31], chunk: [1, 1024], deflate: false)
        _ = assertFormatError(mentions: ["huge.h5", "[2147483648, 2147483648]", "too large to be real"]) {
            try HDF5File(reading: huge).readTensor("data")
        }
        // No values, but extents whose product overflows.
        let empty = directory.file("empty.h5")
        try writeUnwrittenDataset(empty, shape: [0, 1 << 62, 1 << 62], maximum: [.max, 1 << 62, 1 << 62], chunk: [1, 1, 1], deflate: false)
        _ = assertFormatError(mentions: ["empty.h5", "too large to be real"]) { try HDF5File(reading: empty).readTensor("data") }
    }

    func testAHyperslabOfADatasetLargerThanTheBudgetIsRead() throws {
        let path = directory.file("slabs.h5")
        try HDF5File.write(to: path) { try $0.write(try Tensor.arange(Double(1 << 19)), to: "values") }
        MemoryBudget.limit = 1 << 20  // the dataset's 2 MiB do not fit; a slab does
        let file = try HDF5File(reading: path)
        XCTAssertEqual(try file.readTensor("values", hyperslab: HDF5Hyperslab(start: [1000], count: [3])).scalars, [1000, 1001, 1002])
        assertOverBudget(mentions: ["/values of shape [524288] (float32) needs 2.0 MiB"]) { try file.readTensor("values") }
    }

    func testDeeplyNestedHDF5GroupsAreRefusedQuickly() throws {
        // A checkpoint whose /parameters holds a chain of 1,000 nested groups.
        let path = directory.file("nested.h5")
        HDF5Library.run {
            let file = H5Fcreate(path, HDF5Library.createExclusive, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            var group = H5Gcreate2(file, "parameters", hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            for _ in 0..<1000 {
                let inner = H5Gcreate2(group, "g", hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
                XCTAssertGreaterThanOrEqual(inner, 0)
                H5Gclose(group)
                group = inner
            }
            H5Gclose(group)
            H5Fclose(file)
        }
        let start = Date()
        _ = assertFormatError(mentions: ["nested.h5", "is nested 65 groups deep; medsynth reads at most 64 levels"]) {
            try Checkpoint(reading: path)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        // 64 levels are still read.
        let file = try HDF5File(reading: path)
        XCTAssertEqual(try file.kind(of: "parameters" + String(repeating: "/g", count: 63)), .group)
    }
}
