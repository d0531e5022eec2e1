import Foundation
import TestSupport
import XCTest
@testable import Engine
@testable import Formats

/// A write that fails leaves the file that was there untouched, and no temporary behind.
final class AtomicWriteTests: XCTestCase {
    struct Interrupted: Error {}

    func testTemporaryFileIsHiddenInTheSameDirectory() {
        let temporary = AtomicWrite.temporaryPath(for: "/data/run/model.h5")
        XCTAssertTrue(temporary.hasPrefix("/data/run/.model.h5."), temporary)
        XCTAssertTrue(temporary.hasSuffix(".tmp"), temporary)
        XCTAssertNotEqual(temporary, AtomicWrite.temporaryPath(for: "/data/run/model.h5"))
        XCTAssertTrue(AtomicWrite.temporaryPath(for: "model.h5").hasPrefix(".model.h5."))
    }

    func testATemporaryFileNamesItsWriter() {
        let name = (AtomicWrite.temporaryPath(for: "/data/run/model.v2.h5") as NSString).lastPathComponent
        XCTAssertEqual(AtomicWrite.writerProcess(ofTemporary: name), getpid())
        XCTAssertEqual(AtomicWrite.writerProcess(ofTemporary: ".abc.h5.4194999-ff.tmp"), 4_194_999)
        XCTAssertNil(AtomicWrite.writerProcess(ofTemporary: "index.json.tmp"))
        XCTAssertNil(AtomicWrite.writerProcess(ofTemporary: ".abc.h5.tmp"))
    }

    func testAnInterruptedWriteLeavesTheOldFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notes.bin")
        try AtomicWrite.write(path) { try $0.write([1, 2, 3]) }
        XCTAssertThrowsError(try AtomicWrite.write(path) { file in
            try file.write([9, 9, 9, 9, 9])
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertEqual(try bytes(of: path), [1, 2, 3])
        XCTAssertEqual(try directory.contents(), ["notes.bin"])
        try AtomicWrite.write(path) { try $0.write([4]) }
        XCTAssertEqual(try bytes(of: path), [4])
    }

    func testAFailedHDF5WriteLeavesTheOldFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("data.h5")
        try HDF5File.write(to: path) { try $0.write(Tensor([1, 2]), to: "x") }
        let before = try bytes(of: path)
        // HDF5 itself refuses the second dataset of the same name, half-way through the file.
        assertFormatError(mentions: ["data.h5", "/x", "already exists"]) {
            try HDF5File.write(to: path) { file in
                try file.write(Tensor([3, 4, 5]), to: "y")
                try file.write(Tensor([6]), to: "x")
                try file.write(Tensor([7]), to: "x")
            }
            return ()
        }
        XCTAssertEqual(try bytes(of: path), before)
        XCTAssertEqual(try directory.contents(), ["data.h5"])
        XCTAssertEqual(try HDF5File(reading: path).readTensor("x").scalars, [1, 2])
    }

    func testReplacingADirectoryOrWritingIntoAMissingOneFails() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("taken"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: directory.file("taken/x"), withIntermediateDirectories: false)
        assertFormatError(mentions: [directory.file("taken"), "cannot replace"]) {
            try SafetensorsFile.write([("w", Tensor([1]))], to: directory.file("taken"))
        }
        XCTAssertEqual(try directory.contents(), ["taken"])
        assertFormatError(mentions: [directory.file("missing/w.h5")]) {
            try HDF5File.write(to: directory.file("missing/w.h5")) { try $0.write(Tensor([1]), to: "w") }
            return ()
        }
        assertFormatError(mentions: [directory.file("missing/w.safetensors"), "No such file"]) {
            try SafetensorsFile.write([("w", Tensor([1]))], to: directory.file("missing/w.safetensors"))
        }
    }

    /// A full disk, simulated with a file-size limit (RLIMIT_FSIZE): writes beyond it fail with
    /// EFBIG, as they would with ENOSPC.
    func testAFullDiskLeavesTheOldFile() throws {
        let directory = try TemporaryDirectory()
        let safetensors = directory.file("big.safetensors"), hdf5 = directory.file("big.h5")
        try SafetensorsFile.write([("w", Tensor([1]))], to: safetensors)
        try HDF5File.write(to: hdf5) { try $0.write(Tensor([1]), to: "w") }
        let before = (try bytes(of: safetensors), try bytes(of: hdf5))
        let large = ramp([256, 1024])  // 1 MiB

        var saved = rlimit()
        getrlimit(RLIMIT_FSIZE_ID, &saved)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = 64 << 10
        XCTAssertEqual(setrlimit(RLIMIT_FSIZE_ID, &limited), 0)
        defer {
            setrlimit(RLIMIT_FSIZE_ID, &saved)
            signal(SIGXFSZ, previousHandler)
        }
        assertFormatError(mentions: ["big.safetensors", "cannot write"]) {
            try SafetensorsFile.write([("w", large)], to: safetensors)
        }
        assertFormatError(mentions: ["big.h5"]) {
            try HDF5File.write(to: hdf5) { try $0.write(large, to: "w") }
            return ()
        }
        setrlimit(RLIMIT_FSIZE_ID, &saved)
        XCTAssertEqual(try bytes(of: safetensors), before.0)
        XCTAssertEqual(try bytes(of: hdf5), before.1)
        XCTAssertEqual(try directory.contents(), ["big.h5", "big.safetensors"])
    }

    func testTextAndBytesReplaceTheFileAndLeaveNoTemporary() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("report.html")
        try AtomicWrite.write("first", to: path)
        try AtomicWrite.write("zweite Fassung ✓", to: path)
        XCTAssertEqual(String(decoding: try bytes(of: path), as: UTF8.self), "zweite Fassung ✓")
        try AtomicWrite.write([7, 8], to: path, durable: false)
        XCTAssertEqual(try bytes(of: path), [7, 8])
        XCTAssertEqual(try directory.contents(), ["report.html"])
    }

    /// Relative to an open directory, a link planted at the temporary name is removed, never
    /// written through, and a stale temporary is replaced.
    func testAWriteInsideADirectoryNeverFollowsALink() throws {
        let directory = try TemporaryDirectory()
        let outside = try TemporaryDirectory()
        try writeBytes([1], to: outside.file("victim"))
        try FileManager.default.createSymbolicLink(atPath: directory.file("index.json.tmp-1"), withDestinationPath: outside.file("victim"))
        let folder = open(directory.path, O_RDONLY | O_DIRECTORY)
        defer { close(folder) }
        try AtomicWrite.replace(inDirectory: folder, name: "index.json", temporaryName: "index.json.tmp-1", with: [5, 6],
                                mode: 0o600, path: directory.file("index.json"))
        XCTAssertEqual(try bytes(of: directory.file("index.json")), [5, 6])
        XCTAssertEqual(try bytes(of: outside.file("victim")), [1])
        XCTAssertEqual(try directory.contents(), ["index.json"])
        let mode = try FileManager.default.attributesOfItem(atPath: directory.file("index.json"))[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o600)
    }

    /// A failed write inside a directory leaves the old file and says which file and why.
    func testAFailedWriteInsideADirectoryLeavesTheOldFile() throws {
        let directory = try TemporaryDirectory()
        try writeBytes([1, 2], to: directory.file("index.json"))
        try FileManager.default.createDirectory(atPath: directory.file("index.json.tmp-1/blocked"), withIntermediateDirectories: true)
        let folder = open(directory.path, O_RDONLY | O_DIRECTORY)
        defer { close(folder) }
        assertFormatError(mentions: [directory.file("index.json"), "cannot open"]) {
            try AtomicWrite.replace(inDirectory: folder, name: "index.json", temporaryName: "index.json.tmp-1", with: [3],
                                    path: directory.file("index.json"))
        }
        XCTAssertEqual(try bytes(of: directory.file("index.json")), [1, 2])
    }
}

#if canImport(Glibc)
import Glibc
private let RLIMIT_FSIZE_ID = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
#else
private let RLIMIT_FSIZE_ID = RLIMIT_FSIZE
#endif
