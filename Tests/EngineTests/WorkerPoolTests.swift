import Foundation
import Synchronization
import XCTest
@testable import Engine

/// The threads behind Parallel.forEachChunk: every chunk runs exactly once, on more threads
/// than the pool has started, in thousands of short jobs in a row (each helper either still
/// spinning or asleep when the next comes), nested, and from two threads at once.
final class WorkerPoolTests: XCTestCase {
    /// Runs `forEachChunk` over `count` items and returns how often each item was visited.
    static func visits(count: Int, grain: Int) -> [Int] {
        let counters = Mutex([Int](repeating: 0, count: count))
        Parallel.forEachChunk(count: count, grain: grain) { _, range in
            counters.withLock { for i in range { $0[i] += 1 } }
        }
        return counters.withLock { $0 }
    }

    func testThreadSettingsBeyondTheCapOrNotPositiveAreSaid() {
        XCTAssertNil(Parallel.environmentWarning(nil))
        XCTAssertNil(Parallel.environmentWarning("4"))
        XCTAssertNil(Parallel.environmentWarning("\(Parallel.maximumThreads)"))
        XCTAssertEqual(Parallel.environmentWarning("100000"), "MEDSYNTH_THREADS=100000 is more than 256; using 256")
        for bad in ["0", "-3", "nan", "", "2.5", "99999999999999999999999"] {
            XCTAssertEqual(Parallel.environmentWarning(bad),
                           "MEDSYNTH_THREADS=\(bad) is not a positive integer; using one thread per core", bad)
        }
        Parallel.withThreadCount(100_000) { XCTAssertEqual(Parallel.threadCount, Parallel.maximumThreads) }
    }

    func testEveryChunkRunsOnceOnAnyThreadCount() {
        for threads in [1, 2, 3, 5] {
            Parallel.withThreadCount(threads) {
                XCTAssertEqual(Self.visits(count: 1000, grain: 7), [Int](repeating: 1, count: 1000), "\(threads) threads")
                XCTAssertEqual(Self.visits(count: 3, grain: 1), [1, 1, 1], "\(threads) threads")
            }
        }
    }

    func testManyShortJobsInARowAndAfterThePoolSlept() {
        Parallel.withThreadCount(2) {
            var total = 0
            for job in 0..<5000 {
                let sums = Mutex<Int>(0)
                Parallel.forEachChunk(count: 4, grain: 1) { chunk, _ in sums.withLock { $0 += chunk + job } }
                total += sums.withLock { $0 }
                // Now and then, long enough for the helpers to stop spinning and sleep.
                if job % 1000 == 999 { usleep(20_000) }
            }
            XCTAssertEqual(total, (0..<5000).reduce(0) { $0 + 6 + 4 * $1 })
        }
    }

    func testANestedLoopRunsOnItsCaller() {
        Parallel.withThreadCount(2) {
            let inner = Mutex([0, 0, 0, 0])
            Parallel.forEachChunk(count: 4, grain: 1) { outer, _ in
                Parallel.forEachChunk(count: 10, grain: 3) { _, range in inner.withLock { $0[outer] += range.count } }
            }
            XCTAssertEqual(inner.withLock { $0 }, [10, 10, 10, 10])
        }
    }

    func testLoopsFromTwoThreadsAtOnce() {
        Parallel.withThreadCount(2) {
            let results = Mutex<[[Int]]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                for _ in 0..<200 {
                    let v = Self.visits(count: 300, grain: 11)
                    results.withLock { $0.append(v) }
                }
            }
            let all = results.withLock { $0 }
            XCTAssertEqual(all.count, 800)
            XCTAssertTrue(all.allSatisfy { $0 == [Int](repeating: 1, count: 300) })
        }
    }
}
