import TestSupport
import XCTest
@testable import Engine

final class SlicingTests: XCTestCase {
    let x = ramp([3, 4])  // [[0 1 2 3] [4 5 6 7] [8 9 10 11]]

    func testIndexRemovesAxis() throws {
        XCTAssertEqual(try x[.at(1)].scalars, [4, 5, 6, 7])
        XCTAssertEqual(try x[.at(1)].shape, [4])
        XCTAssertEqual(try x[.at(-1), .at(-2)].shape, [])
        XCTAssertEqual(try x[.at(-1), .at(-2)].item(), 10)
        XCTAssertEqual(try x[.all, .at(0)].scalars, [0, 4, 8])
    }

    func testRangesWithSteps() throws {
        XCTAssertEqual(try x[.range(0..<2)].shape, [2, 4])
        XCTAssertEqual(try x[.all, .range(start: nil, end: nil, step: 2)].scalars, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(try x[.range(start: 1, end: nil, step: 1), .range(start: 1, end: 4, step: 2)].scalars, [5, 7, 9, 11])
        // Python: x[::-1, ::-2] -> rows 2, 1, 0 and columns 3, 1.
        XCTAssertEqual(try x[.range(start: nil, end: nil, step: -1), .range(start: nil, end: nil, step: -2)].scalars,
                       [11, 9, 7, 5, 3, 1])
        // Python: list(range(10))[7:2:-2] == [7, 5, 3]; [-3:] == [7, 8, 9]; [:100] clips.
        let v = ramp([10])
        XCTAssertEqual(try v[.range(start: 7, end: 2, step: -2)].scalars, [7, 5, 3])
        XCTAssertEqual(try v[.range(start: -3, end: nil, step: 1)].scalars, [7, 8, 9])
        XCTAssertEqual(try v[.range(start: nil, end: 100, step: 3)].scalars, [0, 3, 6, 9])
        XCTAssertEqual(try v[.range(start: 5, end: 2, step: 1)].shape, [0])
        XCTAssertEqual(try v[.range(start: -100, end: -8, step: 1)].scalars, [0, 1])
        XCTAssertEqual(try v[.range(start: 2, end: -100, step: -1)].scalars, [2, 1, 0])
    }

    func testSliceBoundsMatchPython() {
        // (start, end, step, extent) -> (first, count), from CPython's slice.indices.
        let cases: [(Int?, Int?, Int, Int, Int, Int)] = [
            (nil, nil, 1, 5, 0, 5), (nil, nil, -1, 5, 4, 5), (1, -1, 1, 5, 1, 3),
            (-1, nil, -2, 5, 4, 3), (10, nil, -3, 5, 4, 2), (nil, nil, 2, 0, 0, 0), (3, 3, 1, 5, 3, 0),
        ]
        for (start, end, step, extent, first, count) in cases {
            let bounds = Tensor.sliceBounds(start: start, end: end, step: step, extent: extent)
            XCTAssertEqual(bounds.count, count, "\(String(describing: start)):\(String(describing: end)):\(step) of \(extent)")
            if count > 0 { XCTAssertEqual(bounds.first, first) }
        }
    }

    func testMisuseNamesAxisAndShape() {
        assertTensorError("slice", mentions: ["index 3", "axis 0", "[3, 4]"]) { try self.x[.at(3)] }
        assertTensorError("slice", mentions: ["index -5", "axis 1"]) { try self.x[.all, .at(-5)] }
        assertTensorError("slice", mentions: ["step 0"]) { try self.x[.range(start: 0, end: 2, step: 0)] }
        assertTensorError("slice", mentions: ["3 indices", "[3, 4]"]) { try self.x[.all, .all, .all] }
    }
}
