import TestSupport
import XCTest
@testable import Engine
@testable import Formats

final class HDF5DatasetTests: XCTestCase {
    func testFloat32RoundTripIsBitExact() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("values.h5")
        let awkward = try Tensor(shape: [3, 6], scalars: awkwardFloats)
        try HDF5File.write(to: path) { file in
            try file.write(awkward, to: "awkward")
            try file.write(Tensor(42), to: "scalar")
            try file.write(Tensor.zeros([2, 0, 3]), to: "empty")
        }
        let file = try HDF5File(reading: path)
        assertBitIdentical(try file.readTensor("awkward"), awkward)
        assertBitIdentical(try file.readTensor("/scalar"), Tensor(42))
        assertBitIdentical(try file.readTensor("empty"), try Tensor.zeros([2, 0, 3]))
        XCTAssertEqual(try file.datasetInfo("awkward"), HDF5DatasetInfo(shape: [3, 6], elementType: .float32))
        XCTAssertEqual(try file.datasetInfo("scalar").shape, [])
    }

    func testEveryElementTypeRoundTrips() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("types.h5")
        // Per type: values it holds exactly, the edges of its range included.
        let cases: [(HDF5ElementType, [Float])] = [
            (.float32, [1.5, -2.25, .leastNonzeroMagnitude, 3.4e38]),
            (.float64, [0.1, -1e30, 16_777_216, .infinity]),
            (.int8, [-128, -1, 0, 127]),
            (.int16, [-32768, 12345, 32767]),
            (.int32, [-2_147_483_648, 16_777_216, 65536, 2_147_483_520]),
            (.int64, [-1e18, 5]),
            (.uint8, [0, 200, 255]),
            (.uint16, [0, 40000, 65535]),
            (.uint32, [0, 4e9]),
            (.uint64, [0, 1e19]),
        ]
        try HDF5File.write(to: path) { file in
            for (type, values) in cases { try file.write(Tensor(values), to: "typed/\(type)", as: type) }
        }
        let file = try HDF5File(reading: path)
        XCTAssertEqual(try file.children(of: "typed"), cases.map(\.0.rawValue).sorted())
        for (type, values) in cases {
            XCTAssertEqual(try file.datasetInfo("typed/\(type)").elementType, type)
            XCTAssertEqual(try file.readTensor("typed/\(type)").scalars, values, "\(type)")
        }
    }

    func testIntegerWritesRoundToNearestEven() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("rounded.h5")
        try HDF5File.write(to: path) { file in
            try file.write(Tensor([0.5, 1.5, 2.5, -0.5, -1.7, 254.6]), to: "u", as: .int16)
        }
        XCTAssertEqual(try HDF5File(reading: path).readTensor("u").scalars, [0, 2, 2, 0, -2, 255])
    }

    func testIntegerWritesRefuseValuesThatDoNotFit() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("refused.h5")
        assertFormatError(mentions: ["refused.h5", "/labels", "256.0", "flat index 2", "UInt8"]) {
            try HDF5File.write(to: path) { file in try file.write(Tensor([0, 255, 256]), to: "labels", as: .uint8) }
        }
        assertFormatError(mentions: ["nan", "flat index 1", "Int32"]) {
            try HDF5File.write(to: path) { file in try file.write(Tensor([0, .nan]), to: "x", as: .int32) }
        }
        assertFormatError(mentions: ["-1.0", "UInt16"]) {
            try HDF5File.write(to: path) { file in try file.write(Tensor([-1]), to: "x", as: .uint16) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "a failed write must leave no file")
        XCTAssertEqual(try directory.contents(), [], "nor a temporary")
    }

    func testLargeTensorsAreChunkedAndReadBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("large.h5")
        // 3 MiB: split into several chunks of at most 1 MiB.
        let large = ramp([12, 256, 256])
        XCTAssertEqual(HDF5File.chunkShape([12, 256, 256], byteCount: 4), [3, 256, 256])
        XCTAssertEqual(HDF5File.chunkShape([5, 3], byteCount: 4), [5, 3])
        XCTAssertEqual(HDF5File.chunkShape([1, 1, 1024, 1024], byteCount: 4), [1, 1, 256, 1024])
        try HDF5File.write(to: path) { file in try file.write(large, to: "large") }
        assertBitIdentical(try HDF5File(reading: path).readTensor("large"), large)
    }

    func testDatasetErrorsNameFileObjectAndProblem() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("errors.h5")
        try HDF5File.write(to: path) { file in
            try file.write(Tensor([1]), to: "a/b")
            assertFormatError(mentions: ["errors.h5", "/a/b", "already exists"]) { try file.write(Tensor([2]), to: "a/b") }
            assertFormatError(mentions: ["/a/b", "is a dataset", "/a/b/c"]) { try file.write(Tensor([2]), to: "a/b/c") }
            assertFormatError(mentions: ["root group"]) { try file.write(Tensor([2]), to: "/") }
            assertFormatError(mentions: ["a//b", "not a valid object path"]) { try file.write(Tensor([2]), to: "a//b") }
        }
        let file = try HDF5File(reading: path)
        assertFormatError(mentions: ["errors.h5", "/missing", "does not exist"]) { try file.readTensor("missing") }
        assertFormatError(mentions: ["/a/b/c", "does not exist"]) { try file.readTensor("a/b/c") }
        assertFormatError(mentions: ["/a", "is a group, not a dataset"]) { try file.readTensor("a") }
        assertFormatError(mentions: ["reading only"]) { try file.write(Tensor([1]), to: "c") }
        try file.close()
        assertFormatError(mentions: ["closed"]) { try file.readTensor("a/b") }
    }
}
