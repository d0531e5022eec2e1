import Engine
import Imaging
import XCTest

final class DiceTests: XCTestCase {
    func testPerClassOnAWorkedExample() throws {
        let prediction = try Tensor(shape: [2, 4], scalars: [0, 1, 1, 2, 2, 2, 0, 0])
        let target = try Tensor(shape: [2, 4], scalars: [0, 1, 2, 2, 2, 0, 0, 3])
        let dice = try Metrics.dicePerClass(prediction: prediction, target: target, classes: [0, 1, 2, 3, 4])
        XCTAssertEqual(dice.count, 5)
        XCTAssertEqual(dice[0], 4.0 / 6.0, accuracy: 1e-12)  // {0, 6, 7} vs {0, 5, 6}
        XCTAssertEqual(dice[1], 2.0 / 3.0, accuracy: 1e-12)  // {1, 2} vs {1}
        XCTAssertEqual(dice[2], 4.0 / 6.0, accuracy: 1e-12)  // {3, 4, 5} vs {2, 3, 4}
        XCTAssertEqual(dice[3], 0)                           // only in the target
        XCTAssertTrue(dice[4].isNaN)                         // in neither: nothing to score
        XCTAssertEqual(try Metrics.dicePerClass(prediction: target, target: target, classes: [0, 2, 3]), [1, 1, 1])
    }

    func testRefusesMismatchedShapesAndFractionalLabels() throws {
        XCTAssertThrowsError(try Metrics.dicePerClass(prediction: Tensor([0, 1]), target: Tensor([0, 1, 1]), classes: [1])) { error in
            XCTAssertTrue("\(error)".contains("[2] and [3]"), "\(error)")
        }
        XCTAssertThrowsError(try Metrics.dicePerClass(prediction: Tensor([0, 0.5]), target: Tensor([0, 1]), classes: [1])) { error in
            XCTAssertTrue("\(error)".contains("0.5"), "\(error)")
        }
        // Whole numbers beyond an Int, and non-numbers, are not class numbers either (they trapped).
        for label: Float in [1e30, -1e30, .infinity, .nan] {
            XCTAssertThrowsError(try Metrics.dicePerClass(prediction: Tensor([0, label]), target: Tensor([0, 1]), classes: [1])) { error in
                XCTAssertTrue("\(error)".contains("not a class number"), "\(error)")
            }
        }
    }
}
