/// The one way medsynth runs source: parse, plan (the analyser checks every statement before
/// any runs), then each statement in order as a policy decides. The REPL, `medsynth run`,
/// `check` and `why` (through the notebook runner's cache policy) and the language tests all
/// run source here.
///
/// The analyser is kept across calls, so that it knows the functions defined earlier (their
/// calls are checked against their parameters) and, in a dry run where nothing executes, the
/// names earlier cells would bind. After an error it is rebuilt from what the interpreter has
/// really bound: a statement that failed bound nothing, and statements after it never ran.
public final class Executor {
    public let interpreter: Interpreter
    private var analyser: Analyser

    public init(interpreter: Interpreter) {
        self.interpreter = interpreter
        analyser = Self.analyser(for: interpreter)
    }

    /// What a policy decides for a statement before it runs.
    public enum Decision {
        /// Run it; `randomPath` names it for its random keys (nil: the interpreter's default).
        case run(randomPath: [String]?)
        /// Do not run it: the policy has put back its values (see `define`), or is only
        /// computing keys (a dry run).
        case skip
    }

    /// Parses and plans `source` without running it.
    public func plan(_ source: SourceFile) throws(Diagnostic) -> [StatementPlan] {
        do {
            return try analyser.plan(try Parser.parse(source), in: source)
        } catch {
            resynchronise()
            throw error
        }
    }

    /// Plans `source`, then runs its statements in order as `policy` decides: `decide` before
    /// each, `ran` after each that ran. Stops at the first error, and before a statement when
    /// the context's cancellation flag is set (Ctrl-C between statements, or while the policy
    /// decided, for example while it hashed a large file). The flag is never cleared here: whoever
    /// starts a run (a REPL entry, a notebook run) clears it first.
    public func run(_ source: SourceFile, policy: some ExecutionPolicy) throws(Diagnostic) {
        let plans = try plan(source)
        do throws(Diagnostic) {
            for plan in plans {
                try stopIfCancelled(before: plan, in: source)
                switch try policy.decide(plan, in: source) {
                case .run(let randomPath):
                    try stopIfCancelled(before: plan, in: source)
                    let outcome = try interpreter.execute(plan.statement, in: source, randomPath: randomPath)
                    try policy.ran(plan, outcome, in: source)
                case .skip:
                    continue
                }
            }
        } catch {
            resynchronise()
            throw error
        }
    }

    private func stopIfCancelled(before plan: StatementPlan, in source: SourceFile) throws(Diagnostic) {
        if interpreter.context.cancellation.isCancelled {
            throw Diagnostic("the run was stopped (Ctrl-C) before this statement", at: plan.span, in: source)
        }
    }

    /// Plans and runs every statement of `source`, reporting each outcome as it comes.
    @discardableResult
    public func run(_ source: SourceFile, onOutcome: (Statement, Outcome) -> Void = { _, _ in }) throws(Diagnostic) -> [Outcome] {
        let result: Result<[Outcome], Diagnostic> = withoutActuallyEscaping(onOutcome) { onOutcome in
            let policy = RunEverything(onOutcome)
            do throws(Diagnostic) {
                try run(source, policy: policy)
                return .success(policy.outcomes)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Binds a name at the top level, for the interpreter and the analyser alike: a binding
    /// taken over from another session (`:run`, `:reset`). (A notebook's cached values go into
    /// the interpreter only: its analyser has planned their statements already.)
    public func define(_ name: String, _ value: Value) {
        interpreter.define(name, value)
        analyser.bind(name, value)
    }

    /// Rebuilds the analyser from what the interpreter has bound.
    public func resynchronise() {
        analyser = Self.analyser(for: interpreter)
    }

    private static func analyser(for interpreter: Interpreter) -> Analyser {
        Analyser(registry: interpreter.registry, globals: interpreter.globalTypes, functions: interpreter.functionDefinitions)
    }
}

/// Decides, statement by statement, what the executor does: run it or not, and what happens
/// with its outcome. The notebook runner's cache is one; running everything is another.
public protocol ExecutionPolicy: AnyObject {
    func decide(_ plan: StatementPlan, in source: SourceFile) throws(Diagnostic) -> Executor.Decision
    func ran(_ plan: StatementPlan, _ outcome: Outcome, in source: SourceFile) throws(Diagnostic)
}

/// Runs every statement, with the interpreter's default random streams.
final class RunEverything: ExecutionPolicy {
    private let onOutcome: (Statement, Outcome) -> Void
    private(set) var outcomes: [Outcome] = []

    init(_ onOutcome: @escaping (Statement, Outcome) -> Void) {
        self.onOutcome = onOutcome
    }

    func decide(_ plan: StatementPlan, in source: SourceFile) -> Executor.Decision { .run(randomPath: nil) }

    func ran(_ plan: StatementPlan, _ outcome: Outcome, in source: SourceFile) {
        onOutcome(plan.statement, outcome)
        outcomes.append(outcome)
    }
}
