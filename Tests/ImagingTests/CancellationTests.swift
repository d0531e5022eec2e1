import Dispatch
import Engine
import Foundation
import Synchronization
import XCTest
@testable import Imaging

/// Long Imaging loops stop at their next check once the cancellation flag is set, from another
/// thread as a Ctrl-C handler sets it, and return nothing. The work here would take minutes
/// (tens of seconds in a release build); stopping within a few seconds of the request shows
/// that the loops check the flag, without a timing bound tight enough to flake under load.
final class ImagingCancellationTests: XCTestCase {
    /// Runs `work` with a flag that another thread sets after `delay` seconds; returns the error
    /// it threw and how long after the request it returned (nil if it finished unstopped).
    func runCancelled(after delay: Double = 0.2, _ work: (CancellationFlag) throws -> Void) -> (error: Error?, secondsAfterRequest: Double?) {
        let flag = CancellationFlag()
        let requested = Mutex<Date?>(nil)
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
            requested.withLock { $0 = Date() }
            flag.cancel()
        }
        var thrown: Error?
        do { try work(flag) } catch { thrown = error }
        let stop = Date()
        return (thrown, requested.withLock { $0 }.map { stop.timeIntervalSince($0) })
    }

    func assertStoppedPromptly(_ outcome: (error: Error?, secondsAfterRequest: Double?), _ what: String) {
        XCTAssertTrue(outcome.error is CancellationError, "\(what) was not stopped: \(String(describing: outcome.error))")
        if let seconds = outcome.secondsAfterRequest {
            XCTAssertLessThan(seconds, 10, "\(what) took \(seconds) s to stop")
        }
    }

    func testBlurringABatchStopsBetweenImages() throws {
        // 256 images of 256 x 256 with sigma 500 (the kernel stops at the line's length, 513
        // taps): 1.7e10 products.
        let images = try Tensor.zeros([256, 1, 256, 256])
        let outcome = runCancelled { flag in
            _ = try cannyStages(images, sigma: 500, thresholds: .quantiles(low: 0.1, high: 0.2), cancellation: flag)
        }
        assertStoppedPromptly(outcome, "a blur of 64 images")
    }

    func testAVeryWideGaussianStopsWithinALine() throws {
        // sigma 20,000 on 2048-pixel lines (the kernel stops at the line's length, 4,097
        // taps): each line is 8 million products, 3.4e10 in all.
        let images = try Tensor.zeros([1, 1, 2048, 2048])
        let outcome = runCancelled { flag in
            _ = try canny(images, sigma: 20_000, thresholds: .absolute(low: 0.1, high: 0.2), cancellation: flag)
        }
        assertStoppedPromptly(outcome, "a blur with sigma 20000")
    }

    func testAPhantomBatchStopsBetweenSubjects() throws {
        let phantom = try Phantom(seed: 1, size: 128)
        let outcome = runCancelled { flag in _ = try phantom.batch(count: 1000, cancellation: flag) }
        assertStoppedPromptly(outcome, "a phantom of 1000 subjects")
    }

    func testAFlagSetBeforehandStopsEveryLoopAtItsFirstCheck() throws {
        let flag = CancellationFlag()
        flag.cancel()
        let image = try Tensor.zeros([2, 1, 32, 32])
        let loops: [(name: String, run: () throws -> Void)] = [
            ("resize", { _ = try resize(image, height: 64, width: 64, method: .bilinear, cancellation: flag) }),
            ("canny", { _ = try canny(image, thresholds: .absolute(low: 0.1, high: 0.2), cancellation: flag) }),
            ("phantom", { _ = try Phantom(seed: 1, size: 32).batch(count: 2, cancellation: flag) }),
            ("min-max", { _ = try normaliseMinMax(image, cancellation: flag) }),
            ("z-score", { _ = try normaliseZScore(image, cancellation: flag) }),
            ("percentiles", { _ = try clipToPercentiles(image, cancellation: flag) }),
            ("ssim", { _ = try Metrics.structuralSimilarity(image, image, dataRange: 1, cancellation: flag) }),
            ("ms-ssim", { _ = try Metrics.multiScaleStructuralSimilarity(
                try Tensor.zeros([1, 1, 176, 176]), try Tensor.zeros([1, 1, 176, 176]), dataRange: 1, cancellation: flag) }),
            ("spectrum", { _ = try Metrics.radiallyAveragedPowerSpectrum(image, cancellation: flag) }),
            ("edge F1", { _ = try Metrics.edgeF1(predicted: image, reference: image, tolerance: 1, cancellation: flag) }),
        ]
        for loop in loops {
            XCTAssertThrowsError(try loop.run(), loop.name) { XCTAssertTrue($0 is CancellationError, "\(loop.name): \($0)") }
        }
    }

    func testAFlagNeverSetChangesNothing() throws {
        let image = try Phantom(seed: 3, size: 32).batch(count: 2).images
        let flag = CancellationFlag()
        let thresholds = CannyThresholds.absolute(low: 0.05, high: 0.1)
        XCTAssertEqual(try canny(image, thresholds: thresholds, cancellation: flag).scalars, try canny(image, thresholds: thresholds).scalars)
        XCTAssertEqual(try resize(image, height: 20, width: 20, method: .area, cancellation: flag).scalars,
                       try resize(image, height: 20, width: 20, method: .area).scalars)
        XCTAssertEqual(try Phantom(seed: 3, size: 32).batch(count: 2, cancellation: flag).images.scalars, image.scalars)
    }
}
