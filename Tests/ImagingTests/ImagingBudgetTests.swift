import TestSupport
import XCTest
import Engine
@testable import Imaging

/// Imaging operations whose options decide their memory or their work: each refuses what does
/// not fit the memory budget before allocating, and a huge blur sigma costs no more than one of
/// the image's size.
final class ImagingBudgetTests: XCTestCase {
    private var budget: MemoryBudgetOverride!

    override func setUp() {
        budget = MemoryBudgetOverride(64 << 20)
    }

    override func tearDown() {
        budget.restore()
    }

    private func assertOverBudget(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Any) {
        TestSupport.assertOverBudget(mentions: [fragment], file: file, line: line, body)
    }

    func testPhantomResizeAndOneHotRefuseOutputsOverTheBudget() throws {
        let phantom = try Phantom(seed: 1, size: 256)
        assertOverBudget("phantom: [100000, 1, 256, 256] needs 24.4 GiB") { try phantom.batch(count: 100_000) }
        let images = try phantom.batch(count: 2).images
        assertOverBudget("resize: [2, 8192, 8192]") { try resize(images, height: 8192, width: 8192, method: .bilinear) }
        assertOverBudget("cropOrPad: [2, 8192, 8192]") { try cropOrPad(images, height: 8192, width: 8192) }
        assertOverBudget("oneHot: [2, 1000, 256, 256]") { try oneHot(try phantom.batch(count: 2).labels, classes: 1000) }
        // An empty batch still plans the output's rows and columns: one plane must fit.
        assertOverBudget("resize: [1, 1099511627776, 1]") {
            try resize(try Tensor.zeros([0, 1, 8, 8]), height: 1 << 40, width: 1, method: .nearest)
        }
        // The same calls within the budget.
        XCTAssertEqual(try resize(images, height: 512, width: 512, method: .bilinear).shape, [2, 1, 512, 512])
    }

    func testAPhantomBlurSigmaAboveTheImageSizeIsRefused() {
        XCTAssertThrowsError(try Phantom(seed: 1, size: 64, blurSigma: 0.5...1e12)) {
            XCTAssertTrue("\($0)".contains("blurSigma must lie in 0...size (64)"), "\($0)")
        }
    }

    func testAHugeBlurSigmaFlattensTheImageQuickly() throws {
        // A Gaussian of sigma 1e12 is flat over 32 pixels: every smoothed pixel is the mean.
        let image = try Tensor.rand([32, 32], seed: 3)
        let mean = image.scalars.reduce(0, +) / Float(image.count)
        let start = Date()
        let smoothed = try cannyStages(image, sigma: 1e12, thresholds: .quantiles(low: 0.1, high: 0.2)).smoothed
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        for value in smoothed.scalars { XCTAssertEqual(value, mean, accuracy: 1e-5) }
        // A radius past the image changes nothing: sigma 1e12 and 1e6 agree exactly.
        XCTAssertEqual(smoothed, try cannyStages(image, sigma: 1e6, thresholds: .quantiles(low: 0.1, high: 0.2)).smoothed)
    }
}
