import XCTest
import Engine
@testable import Diffusion

/// The tasks' degradations and baselines with sizes an attacker would choose: refused against
/// the memory budget before anything is allocated, or bounded in their work.
final class TaskBudgetTests: XCTestCase {
    func testHolesOfAHugeBatchAreRefusedBeforeAllocating() throws {
        let task = try InpaintingTask(coverage: 0.25, shapes: .mixed, random: RandomKey(seed: 1))
        XCTAssertThrowsError(try task.masks(count: 100_000, size: 4096)) {
            XCTAssertTrue($0 is MemoryBudgetError, "\($0)")
            XCTAssertTrue("\($0)".contains("holes: [100000, 1, 4096, 4096] needs 6.1 TiB"), "\($0)")
        }
        XCTAssertEqual(try task.masks(count: 2, size: 16).shape, [2, 1, 16, 16])
    }

    func testTheBlurBaselineWithAHugeSigmaFinishesQuickly() throws {
        let images = try Tensor.rand([2, 1, 32, 32], seed: 1)
        let start = Date()
        let smoothed = try DenoisingTask.baseline(images, sigma: 1e12)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        XCTAssertEqual(smoothed.shape, images.shape)
        // Flat: each image becomes its mean.
        let first = images.scalars[..<1024].reduce(0, +) / 1024
        XCTAssertEqual(smoothed.scalars[0], first, accuracy: 1e-5)
        XCTAssertEqual(smoothed.scalars[1023], first, accuracy: 1e-5)
    }
}
