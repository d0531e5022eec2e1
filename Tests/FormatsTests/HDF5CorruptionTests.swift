import Foundation
import TestSupport
import XCTest
@testable import Engine
@testable import Formats

/// Missing, foreign, truncated and damaged files are errors naming the file, never a crash,
/// a hang or wrong numbers.
final class HDF5CorruptionTests: XCTestCase {
    /// A medsynth file with groups, attributes of every kind, a scalar and small (compact)
    /// datasets, and, if `chunked`, a dataset large enough to be stored in checksummed chunks.
    func writeSample(_ path: String, chunked: Bool) throws {
        try HDF5File.write(to: path) { file in
            try file.setAttribute("name", to: .string("sample"))
            try file.setAttribute("widths", to: .integers([32, 64]))
            try file.write(Tensor([1, -2, 3.5, .nan]), to: "model/down/0/weight")
            try file.write(Tensor(7), to: "model/scale")
            try file.write(Tensor([250, 3]), to: "labels", as: .uint8)
            try file.setAttribute("lr", to: .double(1e-4), on: "model")
            try file.setAttribute("steps", to: .doubles([0.5, 2]), on: "model/scale")
            if chunked { try file.write(ramp([2, 2100]), to: "chunked") }
        }
    }

    /// Everything in a file, as text: each dataset's values (as bits) and each attribute.
    func contents(of path: String) throws -> [String] {
        let file = try HDF5File(reading: path)
        var lines: [String] = []
        func visit(_ object: String, depth: Int) throws {
            XCTAssertLessThan(depth, 8, "a damaged file must not make a tree of unbounded depth")
            guard depth < 8 else { return }
            for name in try file.attributeNames(of: object) { lines.append("\(object) @\(name) \(try file.attribute(name, of: object))") }
            guard try file.kind(of: object) == .group else {
                return lines.append("\(object) \(try file.readTensor(object).scalars.map(\.bitPattern))")
            }
            for child in try file.children(of: object) { try visit(object == "/" ? "/" + child : object + "/" + child, depth: depth + 1) }
        }
        try visit("/", depth: 0)
        return lines
    }

    func testMissingFile() throws {
        let directory = try TemporaryDirectory()
        assertFormatError(mentions: [directory.file("absent.h5"), "no such file"]) { try HDF5File(reading: directory.file("absent.h5")) }
        assertFormatError(mentions: ["is a directory"]) { try HDF5File(reading: directory.path) }
    }

    func testFilesThatAreNotHDF5() throws {
        let directory = try TemporaryDirectory()
        try writeBytes(Array("name,value\nstep,3\n".utf8), to: directory.file("table.csv"))
        assertFormatError(mentions: ["table.csv", "is not an HDF5 file"]) { try HDF5File(reading: directory.file("table.csv")) }
        try writeBytes([], to: directory.file("empty.h5"))
        assertFormatError(mentions: ["empty.h5", "is empty"]) { try HDF5File(reading: directory.file("empty.h5")) }
        // A safetensors file is not HDF5 either.
        try SafetensorsFile.write([("w", Tensor([1]))], to: directory.file("w.safetensors"))
        assertFormatError(mentions: ["is not an HDF5 file"]) { try HDF5File(reading: directory.file("w.safetensors")) }
    }

    func testTruncatedFilesAreErrors() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("whole.h5")
        try writeSample(path, chunked: true)
        let whole = try bytes(of: path)
        XCTAssertGreaterThan(whole.count, 16_000)
        let truncated = directory.file("truncated.h5")
        // Cut at every 241st byte, and just before the end.
        for length in Array(stride(from: 1, to: whole.count, by: 241)) + [whole.count - 1] {
            try writeBytes(Array(whole.prefix(length)), to: truncated)
            assertFormatError(mentions: ["truncated.h5"]) { try self.contents(of: truncated) }
        }
        try writeBytes(Array(whole.prefix(whole.count - 1)), to: truncated)
        assertFormatError(mentions: ["truncated.h5", "truncated"]) { try HDF5File(reading: truncated) }
    }

    /// medsynth writes checksums over all metadata and all values, so flipping any single byte
    /// of its files is either detected or harmless (a byte no reader looks at, such as padding).
    func testEveryByteFlipIsDetectedOrHarmless() throws {
        let directory = try TemporaryDirectory()
        for (name, chunked, step) in [("small.h5", false, 1), ("chunked.h5", true, 17)] {
            let path = directory.file(name)
            try writeSample(path, chunked: chunked)
            let original = try contents(of: path)
            XCTAssertEqual(original.count, chunked ? 8 : 7)
            let pristine = try bytes(of: path)
            let damaged = directory.file("damaged-" + name)
            var detected = 0
            for position in stride(from: 0, to: pristine.count, by: step) {
                var copy = pristine
                copy[position] ^= 0xFF
                try writeBytes(copy, to: damaged)
                do {
                    let seen = try contents(of: damaged)
                    XCTAssertEqual(seen, original, "\(name): byte \(position) flipped gave different contents without an error")
                } catch let error as FormatError {
                    XCTAssertEqual(error.file, damaged)
                    detected += 1
                }
            }
            // Most bytes matter: a checksum or value catches their change.
            XCTAssertGreaterThan(detected, pristine.count / step / 3, name)
        }
    }

    /// Byte 9730 of the h5py fixture is the first extent of /nested/deeper/volume; flipped, the
    /// dataset claims 16,711,684 x 5 x 6 values (2 GB). Reading it must be a clear error, not an
    /// attempt to allocate the memory the file lies about.
    func testAShapeBeyondWhatTheFileStoresIsRefused() throws {
        let directory = try TemporaryDirectory()
        var damaged = try bytes(of: fixture("h5py-types.h5"))
        damaged[9730] ^= 0xFF
        let path = directory.file("lying.h5")
        try writeBytes(damaged, to: path)
        let file = try HDF5File(reading: path)
        assertFormatError(mentions: ["lying.h5", "/nested/deeper/volume", "claims shape [16711684, 5, 6]", "stores only 576 bytes"]) {
            try file.readTensor("nested/deeper/volume")
        }
        assertFormatError(mentions: ["claims shape [16711684, 5, 6]"]) {
            try file.readTensor("nested/deeper/volume", hyperslab: HDF5Hyperslab(start: [0, 0, 0], count: [1, 1, 1]))
        }
    }
}
