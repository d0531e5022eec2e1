import Foundation
import XCTest
@testable import Notebook

/// `medsynth diff`'s comparison of two JSON reports: numbers within the tolerances of `~`, text,
/// tables cell by cell, expectations, figures by title and SSIM, cells on one side only.
final class ReportComparisonTests: XCTestCase {
    func report(_ cells: [[String: Any]]) -> [String: Any] {
        ["notebook": "n.medsynth", "cells": cells]
    }

    func cell(_ label: String, displays: [[String: Any]] = [], expects: [[String: Any]] = [], error: String? = nil) -> [String: Any] {
        var cell: [String: Any] = ["label": label, "displays": displays, "expects": expects]
        if let error { cell["error"] = error }
        return cell
    }

    func testNumbersWithinTheTolerancesAgree() {
        var comparison = ReportComparison()
        let a = report([cell("a", displays: [["kind": "text", "value": "Tensor [2]  min 0.5  max 1\n  [0.5, 1]"]])])
        let b = report([cell("a", displays: [["kind": "text", "value": "Tensor [2]  min 0.500001  max 1\n  [0.500001, 1]"]])])
        comparison.compare(a, b)
        XCTAssertEqual(comparison.differences, [], "2e-6 relative is within 1e-5")
        XCTAssertEqual(comparison.compared, 5, "each number of the text, the shape's among them")
        let c = report([cell("a", displays: [["kind": "text", "value": "Tensor [2]  min 0.51  max 1\n  [0.51, 1]"]])])
        var second = ReportComparison()
        second.compare(a, c)
        XCTAssertEqual(second.differences.map(\.description), [
            #"cell a, display 1 (text): 0.5 against 0.51, number 2 of "Tensor [2]  min 0.5  max 1   [0.5, 1]" (and 1 more of its 5 numbers)"#])
    }

    func testTextTablesExpectationsFiguresAndCells() {
        var comparison = ReportComparison()
        comparison.imageSimilarity = { a, b in a == b ? 1 : 0.5 }
        let a = report([
            cell("a", displays: [["kind": "text", "value": "\"linear\""],
                                 ["kind": "table", "columns": ["k", "v"], "rows": [["x", 1.0], ["y", 2.0]]],
                                 ["kind": "figure", "title": "grid", "image": "/r1/grid.png"]],
                 expects: [["line": 3, "expression": "s > 0.5", "value": "0.7 > 0.5", "passed": true]]),
            cell("gone"),
        ])
        let b = report([
            cell("a", displays: [["kind": "text", "value": "\"cosine\""],
                                 ["kind": "table", "columns": ["k", "v"], "rows": [["x", 1.0], ["y", 2.5]]],
                                 ["kind": "figure", "title": "grid", "image": "/r2/grid.png"]],
                 expects: [["line": 3, "expression": "s > 0.5", "value": "0.4 > 0.5", "passed": false]]),
            cell("new", error: "error: boom"),
        ])
        comparison.compare(a, b)
        XCTAssertEqual(comparison.differences.map(\.description), [
            #"cell a, display 1 (text): ""linear"" against ""cosine"""#,
            "cell a, display 2 (table), row 2, v: 2 against 2.5",
            "cell a, display 3 (figure): the images differ: SSIM 0.5000 (below 0.99)",
            "cell a, line 3: expect s > 0.5: held against failed",
            #"cell a, line 3: expect s > 0.5 (values): 0.7 against 0.4, number 1 of "0.7 > 0.5""#,
            "cell gone: only in the first run",
            "cell new: only in the second run",
        ])
        XCTAssertEqual(comparison.figureScores.map(\.ssim), [0.5])
    }

    /// JSON's numbers 0 and 1 are numbers, compared within the tolerances; true and false are not.
    func testNumbersFromJSONAreNumbersAndBooleansAreNot() throws {
        func parsed(_ rows: String) throws -> [String: Any] {
            let text = #"{"cells": [{"label": "a", "displays": [{"kind": "table", "columns": ["v"], "rows": "# + rows + "}]}]}"
            guard case .success(let report) = ReportComparison.parse(Data(text.utf8)) else { throw XCTSkip("not parsed") }
            return report
        }
        var comparison = ReportComparison()
        comparison.compare(try parsed("[[1], [0], [true]]"), try parsed("[[1.000001], [1e-12], [true]]"))
        XCTAssertEqual(comparison.differences, [])
        var second = ReportComparison()
        second.compare(try parsed("[[true]]"), try parsed("[[false]]"))
        XCTAssertEqual(second.differences.count, 1)
    }

    func testAReportIsRecognised() {
        guard case .failure(let error) = ReportComparison.parse(Data("{\"a\": 1}".utf8)) else { return XCTFail() }
        XCTAssertEqual(error.message, "is not a medsynth JSON report (no 'cells')")
        guard case .failure = ReportComparison.parse(Data("not json".utf8)) else { return XCTFail() }
        guard case .success = ReportComparison.parse(Data(#"{"cells": []}"#.utf8)) else { return XCTFail() }
    }
}
