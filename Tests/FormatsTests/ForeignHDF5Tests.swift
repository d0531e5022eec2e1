import XCTest
@testable import Engine
@testable import Formats

/// A file written by h5py (Fixtures/make_fixtures.py): the format most tools write (version-0
/// superblock, no metadata checksums, contiguous and chunked datasets, big-endian types,
/// variable-length strings), which medsynth's own writer never produces.
final class ForeignHDF5Tests: XCTestCase {
    let path = fixture("h5py-types.h5")

    func testEveryNumberTypeConvertsToFloat32() throws {
        let file = try HDF5File(reading: path)
        let expected: [(String, HDF5ElementType, [Int], [Float])] = [
            ("float32", .float32, [4], [1.5, -2.25, 3.0e38, .infinity]),
            // -1e300 is beyond Float32's range: it becomes -infinity; 0.1 rounds to the nearest Float.
            ("float64", .float64, [2, 2], [0.1, -.infinity, 0x1p-30, 7]),
            ("int8", .int8, [4], [-128, -1, 0, 127]),
            ("int16", .int16, [3], [-32768, 12345, 32767]),
            // 2^24 + 1 is the first integer Float32 cannot hold: it rounds to 2^24 (ties to even),
            // and 2^31 - 1 rounds up to 2^31.
            ("int32", .int32, [4], [-2_147_483_648, 16_777_216, 16_777_216, 2_147_483_648]),
            ("int64", .int64, [2], [-1_099_511_627_776, 5]),
            ("uint8", .uint8, [3], [0, 200, 255]),
            ("uint16", .uint16, [3], [0, 40000, 65535]),
            ("uint32", .uint32, [1], [4_000_000_000]),
            ("big-endian/float32", .float32, [3], [1, -0.5, 1024.25]),
            ("big-endian/int16", .int16, [3], [-2, 258, 30000]),
            ("scalar", .float64, [], [6.5]),
        ]
        for (name, type, shape, values) in expected {
            XCTAssertEqual(try file.datasetInfo(name), HDF5DatasetInfo(shape: shape, elementType: type), name)
            let tensor = try file.readTensor(name)
            XCTAssertEqual(tensor.shape, shape, name)
            XCTAssertEqual(tensor.scalars, values, name)
        }
    }

    func testHyperslabOfAChunkedInt32Volume() throws {
        let file = try HDF5File(reading: path)
        // volume[i, j, k] = 100 i + 10 j + k, stored in 2 x 2 x 3 chunks.
        let slab = try file.readTensor("nested/deeper/volume",
                                       hyperslab: HDF5Hyperslab(start: [1, 3, 0], count: [3, 2, 2], stride: [1, 1, 5]))
        XCTAssertEqual(slab.shape, [3, 2, 2])
        XCTAssertEqual(slab.scalars, [130, 135, 140, 145, 230, 235, 240, 245, 330, 335, 340, 345])
    }

    func testGroupsAndUnreadableDatasets() throws {
        let file = try HDF5File(reading: path)
        XCTAssertEqual(try file.children(), ["big-endian", "booleans", "float32", "float64", "int16", "int32", "int64", "int8",
                                             "nested", "scalar", "text", "uint16", "uint32", "uint8"])
        XCTAssertEqual(try file.children(of: "nested/deeper"), ["volume"])
        assertFormatError(mentions: ["h5py-types.h5", "/booleans", "enumerated values"]) { try file.readTensor("booleans") }
        assertFormatError(mentions: ["/text", "strings", "cannot read as numbers"]) { try file.readTensor("text") }
    }

    func testAttributesOfOtherWriters() throws {
        let file = try HDF5File(reading: path)
        XCTAssertEqual(try file.attributeNames(), ["count", "fixed", "floats", "huge", "ints", "ratio", "title"])
        XCTAssertEqual(try file.attribute("title"), .string("variable-length ünïcode"))
        XCTAssertEqual(try file.attribute("fixed"), .string("fixed bytes"))
        XCTAssertEqual(try file.attribute("count"), .integer(-7))
        XCTAssertEqual(try file.attribute("ratio"), .double(0.5))
        XCTAssertEqual(try file.attribute("ints"), .integers([1, -2, 3]))
        XCTAssertEqual(try file.attribute("floats"), .doubles([0.25, -1e-300]))
        XCTAssertEqual(try file.attribute("level", of: "nested"), .integer(1))
        assertFormatError(mentions: ["attribute \"huge\"", "9223372036854775808", "beyond the largest Int"]) { try file.attribute("huge") }
    }
}
