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
        try HDF5Rehearsal.check(path)
        XCTAssertEqual(try HDF5File(reading: path).readTensor("/data").scalars, [1, 2, 3])
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
