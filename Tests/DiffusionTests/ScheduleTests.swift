import Foundation
import XCTest
@testable import Diffusion
@testable import Engine

/// The schedule's numbers from their formulas, computed here by hand, and its refusals.
final class ScheduleTests: XCTestCase {
    private let kinds: [NoiseSchedule.Kind] = [
        .linear(betaStart: 1e-4, betaEnd: 0.02), .scaledLinear(betaStart: 0.00085, betaEnd: 0.012), .cosine,
    ]

    func testAlphaBarFallsStrictlyAndBetasStayInsideZeroOne() throws {
        for kind in kinds {
            for steps in [2, 10, 1000] {
                for zeroSNR in [false, true] {
                    let schedule = try NoiseSchedule(kind, trainingSteps: steps, zeroTerminalSNR: zeroSNR)
                    XCTAssertEqual(schedule.alphaBars.count, steps)
                    XCTAssertLessThan(schedule.alphaBars[0], 1)
                    for t in 1..<steps {
                        XCTAssertLessThan(schedule.alphaBars[t], schedule.alphaBars[t - 1], "\(kind) T=\(steps) t=\(t)")
                    }
                    // Zero-SNR makes exactly the last beta 1; every other beta stays inside (0, 1).
                    for (t, beta) in schedule.betas.enumerated() where !(zeroSNR && t == steps - 1) {
                        XCTAssertTrue(beta > 0 && beta < 1, "\(kind) T=\(steps) beta \(t) = \(beta)")
                    }
                }
            }
        }
    }

    func testLinearAndScaledLinearBetasByHand() throws {
        let linear = try NoiseSchedule(.linear(betaStart: 1e-4, betaEnd: 0.02), trainingSteps: 1000)
        XCTAssertEqual(linear.betas[0], 1e-4, accuracy: 1e-15)
        XCTAssertEqual(linear.betas[999], 0.02, accuracy: 1e-15)
        XCTAssertEqual(linear.betas[500], 1e-4 + 500 * 0.0199 / 999, accuracy: 1e-15)
        XCTAssertEqual(linear.alphaBars[1], (1 - 1e-4) * (1 - (1e-4 + 0.0199 / 999)), accuracy: 1e-15)
        XCTAssertEqual(try linear.signalToNoiseRatio(at: 0), 0.9999 / 0.0001, accuracy: 1e-8)
        // The standard linear schedule ends at alpha-bar ~ 4.04e-5 (Ho et al. 2020: x_T nearly pure noise).
        XCTAssertEqual(linear.alphaBars[999], 4.03583e-5, accuracy: 1e-10)

        let scaled = try NoiseSchedule(.scaledLinear(betaStart: 0.00085, betaEnd: 0.012), trainingSteps: 1000)
        let root = 0.00085.squareRoot() + 250 * (0.012.squareRoot() - 0.00085.squareRoot()) / 999
        XCTAssertEqual(scaled.betas[250], root * root, accuracy: 1e-15)

        let single = try NoiseSchedule(.linear(betaStart: 0.3, betaEnd: 0.5), trainingSteps: 1)
        XCTAssertEqual(single.betas, [0.3])
    }

    func testCosineAlphaBarIsTheRatioOfSquaredCosines() throws {
        // Nichol & Dhariwal eq. 17: alpha-bar at 0-based step t is f((t + 1)/T) / f(0) while no beta
        // is capped, f(u) = cos^2((u + 0.008)/1.008 * pi/2).
        func f(_ u: Double) -> Double { pow(cos((u + 0.008) / 1.008 * Double.pi / 2), 2) }
        let schedule = try NoiseSchedule(.cosine, trainingSteps: 1000)
        for (t, u) in [(0, 0.001), (249, 0.25), (499, 0.5), (749, 0.75)] {
            XCTAssertEqual(schedule.alphaBars[t], f(u) / f(0), accuracy: 1e-12, "t = \(t)")
        }
        XCTAssertEqual(schedule.alphaBars[499], 0.493844, accuracy: 1e-6)
        // Near the end f -> 0 and the cap takes over: the last beta is exactly 0.999.
        XCTAssertEqual(schedule.betas[999], 0.999)
    }

    func testZeroTerminalSNREndsOnPureNoiseAndKeepsTheFirstSNR() throws {
        for kind in kinds {
            let plain = try NoiseSchedule(kind, trainingSteps: 1000)
            let rescaled = try NoiseSchedule(kind, trainingSteps: 1000, zeroTerminalSNR: true)
            XCTAssertEqual(rescaled.alphaBars[999], 0, "\(kind)")
            XCTAssertEqual(try rescaled.signalToNoiseRatio(at: 999), 0)
            XCTAssertEqual(rescaled.betas[999], 1)
            let before = try plain.signalToNoiseRatio(at: 0), after = try rescaled.signalToNoiseRatio(at: 0)
            XCTAssertEqual(after, before, accuracy: 1e-9 * before, "\(kind)")
            // sqrt(alpha-bar) is an affine function of the original: check the midpoint.
            let s0 = plain.alphaBars[0].squareRoot(), sT = plain.alphaBars[999].squareRoot()
            let expected = (plain.alphaBars[500].squareRoot() - sT) * s0 / (s0 - sT)
            XCTAssertEqual(rescaled.alphaBars[500].squareRoot(), expected, accuracy: 1e-12)
        }
    }

    func testTableRowsAndItsAlignedText() throws {
        let schedule = try NoiseSchedule(.linear(betaStart: 1e-4, betaEnd: 0.02), trainingSteps: 1000)
        XCTAssertEqual(schedule.evenlySpacedTimesteps(count: 11), [0, 100, 200, 300, 400, 500, 599, 699, 799, 899, 999])
        XCTAssertEqual(schedule.evenlySpacedTimesteps(count: 3), [0, 500, 999])
        let table = try schedule.table(rows: [0, 999])
        XCTAssertEqual(table.rows[1].timestep, 999)
        XCTAssertEqual(table.rows[1].beta, 0.02, accuracy: 1e-15)
        XCTAssertEqual(table.rows[0].signalToNoiseRatio, 9999, accuracy: 1e-8)
        XCTAssertEqual(table.description, """
                t        beta   alpha-bar         SNR
                0  1.0000e-04  9.9990e-01  9.9990e+03
              999  2.0000e-02  4.0358e-05  4.0360e-05
            """)
        let lines = schedule.description.split(separator: "\n")
        XCTAssertEqual(lines.first, "NoiseSchedule: linear betas 0.0001 to 0.02, T = 1000")
        XCTAssertEqual(lines.count, 1 + 1 + 11)
        XCTAssertEqual(Set(lines.dropFirst().map(\.count)).count, 1, "all rows have the same width")
        XCTAssertTrue(try NoiseSchedule(.cosine, trainingSteps: 10, zeroTerminalSNR: true).description
            .contains("rescaled to zero terminal SNR"))
    }

    func testBadSchedulesAndTimestepsAreErrors() throws {
        XCTAssertThrowsError(try NoiseSchedule(.cosine, trainingSteps: 0)) {
            XCTAssertEqual($0 as? ScheduleError, .invalidTrainingSteps(0))
        }
        XCTAssertThrowsError(try NoiseSchedule(.linear(betaStart: 0, betaEnd: 0.02), trainingSteps: 10)) {
            XCTAssertEqual($0 as? ScheduleError, .betaOutOfRange(which: "betaStart", value: 0))
        }
        XCTAssertThrowsError(try NoiseSchedule(.scaledLinear(betaStart: 1e-4, betaEnd: 1), trainingSteps: 10)) {
            XCTAssertEqual($0 as? ScheduleError, .betaOutOfRange(which: "betaEnd", value: 1))
        }
        XCTAssertThrowsError(try NoiseSchedule(.cosine, trainingSteps: 1, zeroTerminalSNR: true)) {
            XCTAssertEqual($0 as? ScheduleError, .zeroTerminalSNRNeedsTwoDistinctSteps)
        }
        let schedule = try NoiseSchedule(.cosine, trainingSteps: 100)
        for t in [-1, 100] {
            XCTAssertThrowsError(try schedule.alphaBar(at: t)) {
                XCTAssertEqual($0 as? ScheduleError, .timestepOutOfRange(timestep: t, trainingSteps: 100))
            }
        }
        XCTAssertThrowsError(try schedule.table(rows: [0, 100]))
        XCTAssertEqual(ScheduleError.timestepOutOfRange(timestep: 100, trainingSteps: 100).description,
                       "timestep 100 is outside the schedule's 0...99")
    }
}
