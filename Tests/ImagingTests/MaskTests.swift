import XCTest
import Engine
@testable import Imaging

/// One-hot encoding, erosion and dilation, connected components: hand-computed cases
/// (the component labels are those scipy.ndimage.label gives for the same mask).
final class MaskTests: XCTestCase {
    func testOneHotOfAMap() throws {
        let labels = try Tensor([[0, 2], [1, 2]])
        let encoded = try oneHot(labels, classes: 3)
        XCTAssertEqual(encoded.shape, [1, 3, 2, 2])
        XCTAssertEqual(encoded.scalars, [1, 0, 0, 0,   0, 0, 1, 0,   0, 1, 0, 1])
    }

    func testOneHotOfABatch() throws {
        let labels = try Tensor(shape: [2, 1, 1, 3], scalars: [3, 0, 1, 2, 2, 3])
        let encoded = try oneHot(labels, classes: 4)
        XCTAssertEqual(encoded.shape, [2, 4, 1, 3])
        XCTAssertEqual(encoded.scalars, [0, 1, 0,  0, 0, 1,  0, 0, 0,  1, 0, 0,
                                         0, 0, 0,  0, 0, 0,  1, 1, 0,  0, 0, 1])
        // Every pixel is in exactly one class.
        XCTAssertEqual(encoded.scalars.reduce(0, +), 6)
    }

    func testOneHotNamesTheBadLabel() throws {
        XCTAssertThrowsError(try oneHot(try Tensor([[0, 1], [4, 1]]), classes: 4)) { error in
            XCTAssertEqual("\(error)", "oneHot: label 4.0 at [1, 0] is outside 0..<4")
        }
        XCTAssertThrowsError(try oneHot(try Tensor(shape: [1, 1, 1, 2], scalars: [0, -1]), classes: 2)) { error in
            XCTAssertEqual("\(error)", "oneHot: label -1.0 at [0, 0, 0, 1] is outside 0..<2")
        }
        XCTAssertThrowsError(try oneHot(try Tensor([[0.5]]), classes: 2))
    }

    /// A 5 x 5 mask with a 3 x 3 block of ones in the middle.
    func block() throws -> Tensor {
        try Tensor(shape: [5, 5], scalars: (0..<25).map { i in (1...3).contains(i / 5) && (1...3).contains(i % 5) ? 1 : 0 })
    }

    func testErosionKeepsOnlyWhereTheElementFits() throws {
        XCTAssertEqual(try erode(try block(), .square(radius: 1)).scalars, (0..<25).map { $0 == 12 ? 1 : 0 })
        // The cross fits at the centre only, too; with radius 0 nothing changes.
        XCTAssertEqual(try erode(try block(), .cross(radius: 1)).scalars, (0..<25).map { $0 == 12 ? 1 : 0 })
        XCTAssertEqual(try erode(try block(), .square(radius: 0)), try block())
        // The image border does not erode: an all-ones image stays all ones.
        XCTAssertEqual(try erode(try Tensor.ones([4, 4]), .square(radius: 2)).scalars, [Float](repeating: 1, count: 16))
    }

    func testDilationGrowsByTheElement() throws {
        let dot = try Tensor(shape: [5, 5], scalars: (0..<25).map { $0 == 12 ? 1 : 0 })
        XCTAssertEqual(try dilate(dot, .square(radius: 1)), try block())
        let plus = try dilate(dot, .cross(radius: 2))
        XCTAssertEqual(plus.scalars, (0..<25).map { $0 / 5 == 2 || $0 % 5 == 2 ? 1 : 0 })
        // Grey values: the largest under the element.
        let row = try Tensor(shape: [1, 1, 1, 5], scalars: [0, 3, 1, 0, 2])
        XCTAssertEqual(try dilate(row, .square(radius: 1)).scalars, [3, 3, 3, 2, 2])
        XCTAssertEqual(try erode(row, .square(radius: 1)).scalars, [0, 0, 0, 0, 0])
    }

    func testConnectedComponentsAsScipy() throws {
        let mask = try Tensor([[1, 1, 0, 0, 1],
                               [0, 0, 1, 0, 1],
                               [1, 0, 0, 0, 0],
                               [1, 1, 0, 1, 1]])
        let four = try connectedComponents(mask, connectivity: .four)
        XCTAssertEqual(four.labels.scalars, [1, 1, 0, 0, 2,  0, 0, 3, 0, 2,  4, 0, 0, 0, 0,  4, 4, 0, 5, 5])
        XCTAssertEqual(four.sizes, [[2, 2, 1, 3, 2]])
        let eight = try connectedComponents(mask, connectivity: .eight)
        XCTAssertEqual(eight.labels.scalars, [1, 1, 0, 0, 2,  0, 0, 1, 0, 2,  3, 0, 0, 0, 0,  3, 3, 0, 4, 4])
        XCTAssertEqual(eight.sizes, [[3, 2, 3, 2]])
    }

    func testConnectedComponentsPerImageOfABatch() throws {
        let batch = try Tensor(shape: [2, 1, 2, 3], scalars: [1, 0, 1,  1, 0, 1,   0, 0, 0,  0, 1, 0])
        let components = try connectedComponents(batch)
        XCTAssertEqual(components.labels.scalars, [1, 0, 2, 1, 0, 2,  0, 0, 0, 0, 1, 0])
        XCTAssertEqual(components.sizes, [[2, 2], [1]])
        XCTAssertThrowsError(try connectedComponents(try Tensor.zeros([1, 2, 3, 3])))
    }
}
