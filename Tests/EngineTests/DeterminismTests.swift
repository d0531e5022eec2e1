import Dispatch
import Foundation
import Synchronization
import XCTest
@testable import Engine

/// Engine cuts work into chunks whose size depends only on the problem, so results are the same,
/// bit for bit, on 1 thread or 2. These tests run each op both ways and compare the bit patterns
/// (which also tells -0 from +0 and compares NaN payloads).
final class DeterminismTests: XCTestCase {
    /// sin(0.37 i) * 1000: no two neighbours alike, signs mixed, no exact ties to hide order effects.
    static func pattern(_ shape: [Int]) -> Tensor {
        try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float(sin(Double($0) * 0.37) * 1000) })
    }

    /// A long-row tensor (74 reduction blocks per row) and a many-row one.
    static let long = pattern([3, 300_001])
    static let wide = pattern([700, 1000])
    var long: Tensor { Self.long }
    var wide: Tensor { Self.wide }

    /// Asserts `op` gives the same shape and bit patterns with 1 and 2 threads.
    func assertSameOnOneAndTwoThreads(
        _ what: String, file: StaticString = #filePath, line: UInt = #line, _ op: () throws -> Tensor
    ) throws {
        let one = try Parallel.withThreadCount(1, op)
        let two = try Parallel.withThreadCount(2, op)
        XCTAssertEqual(one.shape, two.shape, what, file: file, line: line)
        XCTAssertFalse(one.scalars.isEmpty, what, file: file, line: line)
        let differing = zip(one.scalars, two.scalars).filter { $0.bitPattern != $1.bitPattern }.count
        XCTAssertEqual(differing, 0, "\(what): \(differing) values differ between 1 and 2 threads", file: file, line: line)
    }

    func testReductionsOverEveryAxisChoice() throws {
        for (name, x) in [("[3, 300001]", long), ("[700, 1000]", wide)] {
            for axes in [nil, [0], [1]] as [[Int]?] {
                let label = "\(name) over \(axes.map { "\($0)" } ?? "all axes")"
                try assertSameOnOneAndTwoThreads("sum \(label)") { try x.sum(axes: axes) }
                try assertSameOnOneAndTwoThreads("mean \(label)") { try x.mean(axes: axes) }
                try assertSameOnOneAndTwoThreads("variance \(label)") { try x.variance(axes: axes, correction: 1) }
                try assertSameOnOneAndTwoThreads("max \(label)") { try x.max(axes: axes) }
                try assertSameOnOneAndTwoThreads("min \(label)") { try x.min(axes: axes) }
            }
            for axis in [nil, 0, 1] as [Int?] {
                try assertSameOnOneAndTwoThreads("argmax \(name) along \(axis.map(String.init) ?? "all")") { try x.argmax(axis: axis) }
                try assertSameOnOneAndTwoThreads("argmin \(name) along \(axis.map(String.init) ?? "all")") { try x.argmin(axis: axis) }
            }
        }
    }

    func testReductionsAreAlsoRight() throws {
        // Identity alone would pass for a reduction that is wrong the same way on both counts.
        var total = 0.0, largest = -Float.infinity, largestAt = 0
        for (i, v) in long.scalars.enumerated() {
            total += Double(v)
            if v > largest { (largest, largestAt) = (v, i) }
        }
        try Parallel.withThreadCount(2) {
            XCTAssertEqual(Double(try long.sum().item()), total, accuracy: Swift.abs(total) * 1e-6 + 1e-3)
            XCTAssertEqual(try long.max().item(), largest)
            XCTAssertEqual(try long.argmax().item(), Float(largestAt))
            let rowSums = try long.sum(axes: [1]).scalars
            for row in 0..<3 {
                let expected = long.scalars[row * 300_001 ..< (row + 1) * 300_001].reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(Double(rowSums[row]), expected, accuracy: Swift.abs(expected) * 1e-6 + 1e-3)
            }
        }
    }

    func testElementwiseAndBroadcasting() throws {
        let scaled = wide / 1000
        try assertSameOnOneAndTwoThreads("exp [700, 1000]") { scaled.exp() }
        try assertSameOnOneAndTwoThreads("exp [3, 300001]") { (long / 1000).exp() }
        try assertSameOnOneAndTwoThreads("gelu [700, 1000]") { scaled.gelu() }
        try assertSameOnOneAndTwoThreads("add [700, 1000] + [700, 1000]") { try wide + scaled }
        let row = Self.pattern([1000]), column = Self.pattern([700, 1])
        try assertSameOnOneAndTwoThreads("add [700, 1000] + [1000]") { try wide + row }
        try assertSameOnOneAndTwoThreads("add [700, 1] + [1000]") { try column + row }
        try assertSameOnOneAndTwoThreads("multiply [3, 300001] * [3, 1]") { try long * Tensor(shape: [3, 1], scalars: [1.5, -2, 0.25]) }
        try assertSameOnOneAndTwoThreads("where [700, 1000]") { try Tensor.where(wide .> 0, wide, row) }
    }

    func testSoftmax() throws {
        let logits = wide / 100
        try assertSameOnOneAndTwoThreads("softmax along -1") { try logits.softmax() }
        try assertSameOnOneAndTwoThreads("softmax along 0") { try logits.softmax(axis: 0) }
        try assertSameOnOneAndTwoThreads("logSoftmax along -1") { try logits.logSoftmax() }
        try assertSameOnOneAndTwoThreads("softmax [3, 300001] along 0") { try (long / 100).softmax(axis: 0) }
    }

    // MARK: - The parallel loop itself

    func testChunksCoverTheWorkExactlyOnceOnTwoThreads() {
        let grain = 1000, count = 10 * grain + 7
        let seen = Mutex<[(chunk: Int, range: Range<Int>)]>([])
        Parallel.withThreadCount(2) {
            Parallel.forEachChunk(count: count, grain: grain) { chunk, range in
                seen.withLock { $0.append((chunk, range)) }
            }
        }
        let calls = seen.withLock { $0 }.sorted { $0.chunk < $1.chunk }
        XCTAssertEqual(calls.map(\.chunk), Array(0..<11), "each chunk exactly once")
        for (chunk, range) in calls {
            XCTAssertEqual(range, chunk * grain ..< Swift.min(count, (chunk + 1) * grain))
        }
        XCTAssertEqual(calls.last?.range.count, 7)
    }

    func testTwoThreadsRunAtTheSameTime() throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else {
            throw XCTSkip("one core: the caller and the helper thread would only take turns")
        }
        // Four chunks on two threads: one takes chunks 0 and 1, the other 2 and 3. Chunks 0 and 2
        // each wait for the other to start; only concurrent threads get past, and serial ones
        // time out instead of hanging.
        let zeroStarted = DispatchSemaphore(value: 0), twoStarted = DispatchSemaphore(value: 0)
        let met = Mutex<[Int: Bool]>([:])
        let threads = Mutex<[Int: String]>([:])
        Parallel.withThreadCount(2) {
            Parallel.forEachChunk(count: 4, grain: 1) { chunk, _ in
                threads.withLock { $0[chunk] = "\(pthread_self())" }
                guard chunk == 0 || chunk == 2 else { return }
                let (mine, theirs) = chunk == 0 ? (zeroStarted, twoStarted) : (twoStarted, zeroStarted)
                mine.signal()
                let otherStarted = theirs.wait(timeout: .now() + 10) == .success
                met.withLock { $0[chunk] = otherStarted }
            }
        }
        XCTAssertEqual(met.withLock { $0 }, [0: true, 2: true], "chunks 0 and 2 did not run at the same time")
        let names = threads.withLock { $0 }
        XCTAssertEqual(names.count, 4)
        XCTAssertNotEqual(names[0], names[2], "chunks 0 and 2 ran on one thread")
        XCTAssertEqual(names[0], names[1], "a thread takes a contiguous run of chunks")
        XCTAssertEqual(names[2], names[3], "a thread takes a contiguous run of chunks")
    }

    func testOneThreadRunsTheChunksInOrderOnTheCaller() {
        let order = Mutex<[Int]>([])
        let caller = "\(pthread_self())"
        let others = Mutex<Int>(0)
        Parallel.withThreadCount(1) {
            Parallel.forEachChunk(count: 25, grain: 4) { chunk, _ in
                order.withLock { $0.append(chunk) }
                if "\(pthread_self())" != caller { others.withLock { $0 += 1 } }
            }
        }
        XCTAssertEqual(order.withLock { $0 }, Array(0..<7))
        XCTAssertEqual(others.withLock { $0 }, 0)
    }

    func testWithThreadCountRestoresThePreviousCount() {
        let before = Parallel.threadCount
        Parallel.withThreadCount(1) {
            XCTAssertEqual(Parallel.threadCount, 1)
            Parallel.withThreadCount(2) { XCTAssertEqual(Parallel.threadCount, 2) }
            XCTAssertEqual(Parallel.threadCount, 1)
        }
        XCTAssertEqual(Parallel.threadCount, before)
        XCTAssertEqual(Parallel.chunkCount(0, grain: 4), 0)
        XCTAssertEqual(Parallel.chunkCount(8, grain: 4), 2)
        XCTAssertEqual(Parallel.chunkCount(9, grain: 4), 3)
    }
}
