import Engine
import XCTest

/// A memory budget set for the length of a test: `setUp` makes one, `tearDown` restores the
/// budget that was in force before.
public final class MemoryBudgetOverride {
    /// The budget before the override.
    public let saved: Int

    public init(_ bytes: Int) {
        saved = MemoryBudget.limit
        MemoryBudget.limit = bytes
    }

    /// Puts back the budget that was in force before.
    public func restore() {
        MemoryBudget.limit = saved
    }
}

/// Asserts that `body` throws a `MemoryBudgetError` whose text contains every fragment.
public func assertOverBudget(
    mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Any
) {
    do {
        _ = try body()
        XCTFail("expected a MemoryBudgetError, but nothing was thrown", file: file, line: line)
    } catch let error as MemoryBudgetError {
        for fragment in fragments {
            XCTAssertTrue("\(error)".contains(fragment), "'\(error)' does not mention '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected a MemoryBudgetError, got \(error)", file: file, line: line)
    }
}
