@testable import Language

extension Interpreter {
    /// Runs a whole source the one way medsynth runs source (an `Executor`, planning first),
    /// returning each statement's outcome.
    @discardableResult
    func run(_ source: SourceFile) throws(Diagnostic) -> [Outcome] {
        try Executor(interpreter: self).run(source)
    }

    /// The value the last statement of `text` showed or bound; nil when it did neither.
    func lastValue(_ text: String) throws -> Value? {
        switch try run(SourceFile(name: "t", text: text)).last {
        case .displayed(let value), .bound(_, let value): return value
        default: return nil
        }
    }
}
