import Foundation
import XCTest
@testable import Engine

final class BenchmarkTests: XCTestCase {
    func testThroughputIsWorkOverTime() throws {
        // 5 ms of sleep per run and work 1: at most 200 runs per second, whatever the machine.
        let result = try BenchmarkRunner(repeats: 3, minimumRepeatSeconds: 0)
            .measure(BenchmarkCase(name: "sleep", unit: "runs/s", work: 1) { usleep(5_000) })
        XCTAssertLessThanOrEqual(result.max, 200)
        XCTAssertLessThanOrEqual(result.min, result.median)
        XCTAssertLessThanOrEqual(result.median, result.max)
        XCTAssertGreaterThanOrEqual(result.secondsPerRun, 0.005)
    }

    func testTimedCasesReportMillisecondsPerRun() throws {
        let result = try BenchmarkRunner(repeats: 3, minimumRepeatSeconds: 0)
            .measure(BenchmarkCase(name: "sleep", unit: BenchmarkCase.milliseconds, work: 1) { usleep(5_000) })
        XCTAssertEqual(result.unit, "ms")
        XCTAssertGreaterThanOrEqual(result.min, 5)
        XCTAssertEqual(result.median, result.secondsPerRun * 1000, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(result.min, result.median)
        XCTAssertLessThanOrEqual(result.median, result.max)
    }
}
