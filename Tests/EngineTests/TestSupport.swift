import XCTest
@testable import Engine

/// Asserts that `body` throws a TensorError from `op` whose message contains every fragment.
func assertTensorError(
    _ op: String, mentions fragments: [String] = [], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> Any
) {
    do {
        _ = try body()
        XCTFail("expected a TensorError from \(op), but nothing was thrown", file: file, line: line)
    } catch let error as TensorError {
        XCTAssertEqual(error.op, op, "wrong op in: \(error)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.message.contains(fragment), "'\(error)' does not mention '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected a TensorError, got \(error)", file: file, line: line)
    }
}

/// Asserts two float arrays agree within `accuracy`, element by element.
func assertClose(
    _ actual: [Float], _ expected: [Float], accuracy: Float = 1e-6, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "lengths differ", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= accuracy) {
        XCTFail("value \(i): \(a) is not within \(accuracy) of \(e)", file: file, line: line)
        return
    }
}
