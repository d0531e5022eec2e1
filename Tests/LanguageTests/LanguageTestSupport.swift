@testable import Language

extension Interpreter {
    /// Runs a whole source the one way medsynth runs source (an `Executor`, planning first),
    /// returning each statement's outcome.
    @discardableResult
    func run(_ source: SourceFile) throws(Diagnostic) -> [Outcome] {
        try Executor(interpreter: self).run(source)
    }
}
