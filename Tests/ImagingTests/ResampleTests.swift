import Engine
import Foundation
import TestSupport
import XCTest
@testable import Imaging

/// `resample` against scipy.ndimage.zoom(grid_mode=True, mode='nearest'), order 1 and 0
/// (fixtures made by Fixtures/resample/make_resample_fixtures.py).
final class ResampleTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let order: Int
        let input: [[Double]]
        let output_shape: [Int]
        let output: [[Double]]
    }

    func testAgreesWithScipyZoom() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: fixtureURL("resample/resample.json")))
        XCTAssertEqual(cases.count, 6)
        for test in cases {
            let input = try Tensor(shape: [test.input.count, test.input[0].count], scalars: test.input.joined().map(Float.init))
            let output = try resample(input, to: test.output_shape, method: test.order == 0 ? .nearest : .linear)
            XCTAssertEqual(output.shape, test.output_shape, test.name)
            let expected = test.output.joined().map(Float.init)
            for (index, (value, reference)) in zip(output.scalars, expected).enumerated() {
                if test.order == 0 {
                    XCTAssertEqual(value, reference, "\(test.name) at \(index)")
                } else {
                    XCTAssertEqual(value, reference, accuracy: 1e-6, "\(test.name) at \(index)")
                }
            }
        }
    }

    /// Linear resampling of 2-D planes is what `resize` computes bilinearly (both pixel-area
    /// aligned); leading axes are kept and only the last ones change.
    func testLinearMatchesBilinearResizeAndKeepsLeadingAxes() throws {
        let image = try Tensor.randn([2, 3, 9, 7], seed: 4)
        let resampled = try resample(image, to: [5, 12], method: .linear)
        let resized = try resize(image, height: 5, width: 12, method: .bilinear)
        XCTAssertEqual(resampled.shape, [2, 3, 5, 12])
        for (a, b) in zip(resampled.scalars, resized.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // A volume's three axes: a constant stays constant; labels stay labels.
        let labels = try Tensor(shape: [4, 6, 6], scalars: (0..<144).map { Float($0 % 4) })
        let coarse = try resample(labels, to: [2, 3, 3], method: .nearest)
        XCTAssertTrue(coarse.scalars.allSatisfy { [0, 1, 2, 3].contains($0) })
        XCTAssertEqual(try resampledCount(256, spacing: 1.4, target: 1.5), 239)
        XCTAssertEqual(try resampledCount(3, spacing: 1, target: 100), 1)
        XCTAssertThrowsError(try resampledCount(3, spacing: 1, target: 1e-300))
        XCTAssertThrowsError(try resample(labels, to: [0, 3], method: .nearest))
        XCTAssertThrowsError(try resample(labels, to: [1, 2, 3, 4], method: .nearest))
    }
}
