import XCTest
@testable import Engine

final class LearningRateScheduleTests: XCTestCase {
    func testConstant() {
        let schedule = ConstantLearningRate(3e-4)
        XCTAssertEqual([0, 1, 1_000_000].map(schedule.learningRate(atStep:)), [3e-4, 3e-4, 3e-4])
    }

    func testWarmupThenCosineAtChosenSteps() throws {
        // Peak 1, minimum 0.1, 4 warm-up steps of 12: the warm-up climbs (s + 1) / 4, then
        // 0.1 + 0.45 (1 + cos(π (s - 4) / 8)), then 0.1 from step 12 on.
        let schedule = try WarmupCosineDecay(peak: 1, minimum: 0.1, warmupSteps: 4, totalSteps: 12)
        let expected: [(step: Int, rate: Float)] = [
            (0, 0.25), (1, 0.5), (2, 0.75), (3, 1),      // warm-up, reaching the peak at W - 1
            (4, 1),                                      // the cosine starts at the peak
            (6, 0.868198),                               // 0.1 + 0.45 (1 + cos(π/4))
            (8, 0.55),                                   // half way: the mean of peak and minimum
            (10, 0.231802),                              // 0.1 + 0.45 (1 + cos(3π/4))
            (11, 0.134254),                              // 0.1 + 0.45 (1 + cos(7π/8))
            (12, 0.1), (1000, 0.1),                      // the minimum after the end
        ]
        for (step, rate) in expected {
            XCTAssertEqual(schedule.learningRate(atStep: step), rate, accuracy: 1e-6, "step \(step)")
        }
    }

    func testWithoutWarmupTheDecayStartsAtThePeak() throws {
        let schedule = try WarmupCosineDecay(peak: 2e-4, warmupSteps: 0, totalSteps: 100)
        XCTAssertEqual(schedule.learningRate(atStep: 0), 2e-4)
        XCTAssertEqual(schedule.learningRate(atStep: 50), 1e-4, accuracy: 1e-10)
        XCTAssertEqual(schedule.learningRate(atStep: 100), 0)
    }

    func testInconsistentSchedulesAreRefused() {
        XCTAssertThrowsError(try WarmupCosineDecay(peak: 1, warmupSteps: 10, totalSteps: 5)) { error in
            XCTAssertEqual("\(error)", "WarmupCosineDecay: needs 0 ≤ warmupSteps ≤ totalSteps, got 10 warm-up steps of 5")
        }
        XCTAssertThrowsError(try WarmupCosineDecay(peak: 1, minimum: 2, warmupSteps: 0, totalSteps: 5)) { error in
            XCTAssertEqual("\(error)", "WarmupCosineDecay: the minimum rate must be in 0...peak (1.0), got 2.0")
        }
    }
}
