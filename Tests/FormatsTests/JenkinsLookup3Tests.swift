import XCTest
@testable import Formats

final class JenkinsLookup3Tests: XCTestCase {
    /// The reference values printed by the driver in Bob Jenkins' lookup3.c.
    func testReferenceValues() {
        XCTAssertEqual(JenkinsLookup3.hash([][...]), 0xDEAD_BEEF)
        let text = Array("Four score and seven years ago".utf8)[...]
        XCTAssertEqual(JenkinsLookup3.hash(text), 0x1777_0551)
        XCTAssertEqual(JenkinsLookup3.hash(text, initialValue: 1), 0xCD62_8161)
        // The superblock of a file HDF5 wrote and closed itself (not through an image).
        let superblock: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 3, 8, 8, 0] + [UInt8](repeating: 0, count: 8)
            + [UInt8](repeating: 0xFF, count: 8) + [0xC4, 0x65, 0, 0, 0, 0, 0, 0] + [0x30, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(JenkinsLookup3.hash(superblock[...]), 0xF71E_2353)
    }
}
