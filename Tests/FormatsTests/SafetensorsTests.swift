import Foundation
import TestSupport
import XCTest
@testable import Engine
@testable import Formats

final class SafetensorsTests: XCTestCase {
    /// A safetensors file assembled byte by byte: the header length, the header, the data.
    func handMade(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        let length = declaredLength ?? UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + data
    }

    func testATinyFileWrittenByHand() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("tiny.safetensors")
        // "b" comes first in the header but second in the data: order follows the data.
        let header = #"{"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]},"__metadata__":{"k":"v \"q\""},"#
            + #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data: [UInt8] = [
            0x00, 0x00, 0x80, 0x3F,  // 1.0 as F32, little-endian
            0x00, 0x00, 0x20, 0xC0,  // -2.5
            0xC0, 0x3F,              // 1.5 as BF16 (0x3FC0)
            0x80, 0xFF,              // -infinity as BF16 (0xFF80)
        ]
        let bytes = handMade(header: header, data: data)
        XCTAssertEqual(Array(bytes.prefix(8)), [UInt8(header.utf8.count), 0, 0, 0, 0, 0, 0, 0])
        try writeBytes(bytes, to: path)
        let file = try SafetensorsFile(reading: path)
        XCTAssertEqual(file.names, ["a", "b"])
        XCTAssertEqual(file.metadata, ["k": "v \"q\""])
        XCTAssertEqual(file.entries[1], SafetensorsEntry(name: "b", dtype: .BF16, shape: [1, 2], dataOffsets: 8..<12))
        XCTAssertEqual(try file.tensor(named: "a").scalars, [1, -2.5])
        let b = try file.tensor(named: "b")
        XCTAssertEqual(b.shape, [1, 2])
        XCTAssertEqual(b.scalars, [1.5, -.infinity])
        assertFormatError(mentions: ["tiny.safetensors", "tensor \"c\"", "not in the file"]) { try file.tensor(named: "c") }
    }

    func testEveryDTypeOfAFileWrittenByPython() throws {
        // Fixtures/numpy.safetensors, made by safetensors.numpy.save_file (make_fixtures.py).
        let file = try SafetensorsFile(reading: fixture("numpy.safetensors"))
        XCTAssertEqual(file.metadata, ["source": "numpy", "note": "fixture"])
        XCTAssertEqual(Set(file.names), ["f16", "f64", "i64", "i32", "i16", "i8", "u8", "f32", "empty", "scalar"])
        let expected: [String: ([Int], [Float])] = [
            // F16 holds 65504 (its largest) and 2^-24 (its smallest subnormal) exactly.
            "f16": ([5], [1, -2, 0.5, 65504, 0x1p-24]),
            // F64 rounds to Float32; -1e300 overflows to -infinity.
            "f64": ([1, 2], [Float(1.0 / 3.0), -.infinity]),
            "i64": ([2], [-1_099_511_627_776, 9]),
            // 2^24 + 1 rounds to 2^24 in Float32.
            "i32": ([2], [16_777_216, -5]),
            "i16": ([2], [-32768, 32767]),
            "i8": ([2], [-128, 127]),
            "u8": ([2], [0, 255]),
            "f32": ([2, 3], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]),
            "empty": ([0, 3], []),
            "scalar": ([], [4]),
        ]
        for (name, (shape, values)) in expected {
            let tensor = try file.tensor(named: name)
            XCTAssertEqual(tensor.shape, shape, name)
            XCTAssertEqual(tensor.scalars, values, name)
        }
        XCTAssertEqual(file.entries.first { $0.name == "f16" }?.dtype, .F16)
    }

    func testRoundTripIsBitExactAndKeepsOrder() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("weights.safetensors")
        let tensors: [(name: String, tensor: Tensor)] = [
            ("z.last.weight", try Tensor(shape: [2, 9], scalars: awkwardFloats)),
            ("a.first", Tensor(3)),
            ("ünïcode \"name\"", try Tensor.zeros([0, 4])),
            ("m", ramp([3, 1, 2])),
        ]
        let metadata = ["format": "pt", "note": "line one\nline two\t\u{1}", "ünï": "\"quoted\" \\ slash"]
        try SafetensorsFile.write(tensors, metadata: metadata, to: path)
        let bytes = try bytes(of: path)
        let headerLength = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        XCTAssertEqual((8 + headerLength) % 8, 0, "the data must start 8-byte aligned")
        XCTAssertEqual(bytes.count, 8 + headerLength + 4 * (18 + 1 + 0 + 6))
        let file = try SafetensorsFile(reading: path)
        XCTAssertEqual(file.names, tensors.map(\.name))
        XCTAssertEqual(file.metadata, metadata)
        for ((name, expected), (readName, actual)) in zip(tensors, try file.tensors()) {
            XCTAssertEqual(readName, name)
            assertBitIdentical(actual, expected, name)
        }
    }

    func testWriterRefusesDuplicateAndReservedNames() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("bad.safetensors")
        assertFormatError(mentions: ["bad.safetensors", "tensor \"w\"", "appears twice"]) {
            try SafetensorsFile.write([("w", Tensor([1])), ("w", Tensor([2]))], to: path)
        }
        assertFormatError(mentions: ["reserved"]) { try SafetensorsFile.write([("__metadata__", Tensor([1]))], to: path) }
        XCTAssertEqual(try directory.contents(), [])
    }

    func testHalfPrecisionConversionIsExactForAllValues() {
        for bits in UInt16.min...UInt16.max {
            let mine = SafetensorsDType.float(fromHalf: bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                XCTAssertTrue(mine.isNaN, "half 0x\(String(bits, radix: 16))")
            } else {
                XCTAssertEqual(mine.bitPattern, reference.bitPattern, "half 0x\(String(bits, radix: 16))")
            }
        }
    }
}
