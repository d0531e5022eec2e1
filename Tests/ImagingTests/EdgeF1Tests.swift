import Engine
import Imaging
import XCTest

final class EdgeF1Tests: XCTestCase {
    /// A 5 x 5 map with the given pixels set.
    func edges(_ pixels: [(Int, Int)]) throws -> Tensor {
        var values = [Float](repeating: 0, count: 25)
        for (y, x) in pixels { values[y * 5 + x] = 1 }
        return try Tensor(shape: [5, 5], scalars: values)
    }

    func testToleranceOnShiftedLines() throws {
        let reference = try edges((0..<5).map { ($0, 2) })
        let shifted = try edges((0..<5).map { ($0, 3) })
        XCTAssertEqual(try Metrics.edgeF1(predicted: shifted, reference: reference, tolerance: 0), 0)
        XCTAssertEqual(try Metrics.edgeF1(predicted: shifted, reference: reference, tolerance: 1), 1)
        // A stray pixel two columns from the line: precision 5/6, recall 1, F1 = 10/11.
        let stray = try edges((0..<5).map { ($0, 3) } + [(0, 0)])
        XCTAssertEqual(try Metrics.edgeF1(predicted: stray, reference: reference, tolerance: 1), 10.0 / 11.0, accuracy: 1e-12)
        // Half the line found exactly: precision 1, recall 3/5, F1 = 3/4.
        let half = try edges([(0, 2), (1, 2), (2, 2)])
        XCTAssertEqual(try Metrics.edgeF1(predicted: half, reference: reference, tolerance: 0), 0.75, accuracy: 1e-12)
    }

    func testEmptyMapsAndErrors() throws {
        let empty = try Tensor.zeros([5, 5])
        let line = try edges([(1, 1), (1, 2)])
        XCTAssertTrue(try Metrics.edgeF1(predicted: empty, reference: empty, tolerance: 1).isNaN)
        XCTAssertEqual(try Metrics.edgeF1(predicted: empty, reference: line, tolerance: 1), 0)
        XCTAssertEqual(try Metrics.edgeF1(predicted: line, reference: empty, tolerance: 1), 0)
        XCTAssertThrowsError(try Metrics.edgeF1(predicted: line, reference: try Tensor.zeros([5, 6]), tolerance: 1)) { error in
            XCTAssertTrue("\(error)".contains("[5, 5] and [5, 6]"), "\(error)")
        }
        XCTAssertThrowsError(try Metrics.edgeF1(predicted: line, reference: line, tolerance: -1))
    }
}
