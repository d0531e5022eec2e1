/// What the analyser learns of one top-level statement before it runs: everything the notebook
/// runner, its cache, `medsynth why` and the JSON report need to know of it, so that none of
/// them walks the syntax tree again.
public struct StatementPlan: Sendable {
    /// The statement, as parsed.
    public let statement: Statement
    /// Names bound before the statement that it uses (verbs are not names), including those
    /// that the functions it calls look up when they run. A loop's use of a name its own body
    /// bound first is not a read.
    public var reads: Set<String> = []
    /// Names it may bind at the top level (a loop may bind fewer: see `Outcome.looped`).
    public var writes: Set<String> = []
    /// The verbs it applies, by name (a verb named alone, `(autoencoder)`, is applied too).
    public var verbs: Set<String> = []
    /// The functions written in medsynth that it calls.
    public var calls: Set<String> = []
    /// The files its verbs name.
    public var files = FileUse()
    /// Whether it may draw numbers from its own random stream: it applies a verb that draws
    /// (see `Verb.Randomness`) without giving that verb's seed, or it calls a function (whose
    /// body may).
    public var drawsRandomNumbers = false
    /// Whether a loop's body or an `if`'s branch holds an `expect`: its outcomes are the run's,
    /// not values to keep, so the statement runs every time.
    public var expectsInLoop = false
    /// Whether it compares with `~` and no `+-` (itself or in a function it calls), so that
    /// the notebook's default tolerance decides.
    public var usesDefaultTolerance = false
    /// The verbs it applies that act on the world (write a file, print): such a statement runs
    /// every time.
    public var sideEffects: Set<String> = []

    /// The paths given to the `path` parameters of the verbs a statement applies.
    public struct FileUse: Sendable, Equatable {
        /// Paths written out as strings, in the order they appear.
        public var literal: [String] = []
        /// Whether some path is computed (`dir + "/x.png"`): its file is known only once the
        /// statement runs.
        public var computed = false
    }

    public init(statement: Statement) {
        self.statement = statement
    }

    public var span: SourceSpan { statement.span }
    public var canonicalForm: String { statement.canonicalForm }
    public var effects: Analyser.Effects { Analyser.Effects(reads: reads, writes: writes) }

    /// Whether it defines a function (which binds a name, and computes nothing to keep).
    public var isDefinition: Bool {
        if case .function = statement { return true }
        return false
    }

    /// Whether its values may be kept and reused when its inputs have not changed: it computes
    /// something, acts on nothing, every file it reads is known before it runs, and no `expect`
    /// runs inside it.
    public var isCacheable: Bool { !isDefinition && sideEffects.isEmpty && !files.computed && !expectsInLoop }
}
