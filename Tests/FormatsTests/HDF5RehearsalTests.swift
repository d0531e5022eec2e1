import Engine
import XCTest
@testable import Formats

/// An HDF5 file is read in a child process first: a file on which libhdf5 crashes or does not
/// finish is refused with a message, and this process lives on.
final class HDF5RehearsalTests: XCTestCase {
    func crashInput(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fuzz/crashes/hdf5/\(name)").standardized.path
    }

    func testAGoodFilePassesAndReadsAsBefore() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rehearsal-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HDF5File.write(to: path) { file in try file.write(Tensor([1, 2, 3]), to: "/data") }
        // A copy is a file this process did not write: the child reads it.
        let copy = path + ".copy.h5"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        XCTAssertFalse(HDF5Rehearsal.wroteItself(copy))
        try HDF5Rehearsal.check(copy)
        XCTAssertEqual(try HDF5File(reading: copy).readTensor("/data").scalars, [1, 2, 3])
    }

    /// A file this process wrote is not checked again (no fork), until it changes.
    func testAFileThisProcessWroteIsTrustedUntilItChanges() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rehearsal-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HDF5File.write(to: path) { file in try file.write(Tensor([1, 2, 3]), to: "/data") }
        XCTAssertTrue(HDF5Rehearsal.wroteItself(path))
        // Replaced by another file (written by someone else) under the same name.
        let other = path + ".other"
        try FileManager.default.copyItem(atPath: path, toPath: other)
        XCTAssertEqual(rename(other, path), 0)
        XCTAssertFalse(HDF5Rehearsal.wroteItself(path))
        // Rewritten by this process; then its inode changed with contents, size and times kept
        // (what re-creating it on a reused inode number with the old times set would look like).
        try HDF5File.write(to: path) { file in try file.write(Tensor([4, 5]), to: "/data") }
        XCTAssertTrue(HDF5Rehearsal.wroteItself(path))
        XCTAssertEqual(chmod(path, 0o600), 0)
        XCTAssertFalse(HDF5Rehearsal.wroteItself(path), "the change time is part of the identity")
        // Rewritten again, then changed in place.
        try HDF5File.write(to: path) { file in try file.write(Tensor([4, 5]), to: "/data") }
        XCTAssertTrue(HDF5Rehearsal.wroteItself(path))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([0]))
        try handle.close()
        XCTAssertFalse(HDF5Rehearsal.wroteItself(path))
        XCTAssertFalse(HDF5Rehearsal.wroteItself(path + ".missing"))
    }

    func testAFileThatCrashesTheLibraryIsRefused() {
        // libhdf5 1.10 dereferences a damaged datatype message here (SIGSEGV in H5T_copy).
        XCTAssertThrowsError(try HDF5Rehearsal.check(crashInput("datatype-copy-overflow.h5"))) { error in
            XCTAssertTrue("\(error)".contains("is damaged: the HDF5 library crashed reading it (signal 11"), "\(error)")
        }
    }

    func testAFileThatDoesNotFinishIsRefused() {
        // A variable-length conversion the library loops over for minutes.
        XCTAssertThrowsError(try HDF5Rehearsal.check(crashInput("vlen-conversion-huge-allocation.h5"))) { error in
            XCTAssertTrue("\(error)".contains("did not finish in 10 s"), "\(error)")
        }
    }
}
