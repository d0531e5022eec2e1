import XCTest
@testable import Engine

/// The allocator keeps freed buffers for the next training step instead of handing them back
/// and faulting them in again.
final class HeapPolicyTests: XCTestCase {
    func testTheUsersOwnSettingsWin() {
        XCTAssertTrue(HeapPolicy.userTunedAllocator(["MALLOC_TRIM_THRESHOLD_": "0"]))
        XCTAssertTrue(HeapPolicy.userTunedAllocator(["MALLOC_MMAP_THRESHOLD_": "4096"]))
        XCTAssertTrue(HeapPolicy.userTunedAllocator(["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"]))
        XCTAssertFalse(HeapPolicy.userTunedAllocator(["GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2", "PATH": "/bin"]))
        XCTAssertFalse(HeapPolicy.userTunedAllocator(["MALLOC_ARENA_MAX": "2", "PATH": "/bin"]))
    }

    /// A step's worth of buffers (8 of 16 MiB), freed and allocated again, come back without
    /// page faults: without the policy the freed 128 MiB went back to the system (it passes
    /// glibc's default trim threshold) and every page faulted again, 32,768 of them.
    func testFreedBuffersAreReusedWithoutPageFaults() throws {
        guard HeapPolicy.keepFreedMemory() else { throw XCTSkip("the allocator is not glibc's, or MALLOC_* is set") }
        func step() -> Int {
            let before = OperationProfile.minorFaultCount()
            var buffers: [UnsafeMutablePointer<Float>] = []
            for _ in 0..<8 {
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 4 << 20)
                buffer.update(repeating: 1, count: 4 << 20)
                buffers.append(buffer)
            }
            buffers.forEach { $0.deallocate() }
            return OperationProfile.minorFaultCount() - before
        }
        _ = step()
        let faults = step()
        XCTAssertLessThan(faults, 3_000, "the second step faulted \(faults) pages of 32,768")
        HeapPolicy.releaseFreedMemory()
    }
}
