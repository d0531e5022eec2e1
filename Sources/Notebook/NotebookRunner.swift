import Engine
import Formats
import Foundation
import Language

/// Runs a notebook's cells in order in one session, statement by statement, taking each
/// statement's values from the cache when its key (see `KeyParts`) is there and storing them
/// when it is computed. Keys chain through the statements' inputs, so editing a cell changes
/// the keys of exactly that cell and of what depends on it.
public final class NotebookRunner {
    public struct Options {
        /// The cache folder; nil runs without a cache.
        public var cacheDirectory: String?
        public var cacheCapacity = TensorCache.defaultCapacity
        /// Labels of cells to recompute even when cached.
        public var force: Set<String> = []
        /// Where `show` and `plot` write their files.
        public var outputDirectory: String
        /// Library files loaded into the session first (stdlib/*.medsynth).
        public var libraries: [LibrarySource] = []
        /// Names the engine and cache format in every key.
        public var engineVersion: String
        /// Called as each cell starts and ends (console progress).
        public var progress: (String) -> Void = { _ in }
        /// Called with each warning as it happens ("warning: ..."): a cache that cannot be used
        /// or written, an entry the cache does not trust. The run's result lists them too.
        public var warning: (String) -> Void = { _ in }
        /// Compute every statement's key and look it up, but run nothing (`medsynth why`).
        public var dryRun = false
        /// Set by Ctrl-C: the running statement stops at its next step and the run ends.
        public var cancellation = CancellationFlag()
        /// Values for the notebook's parameters (`--set name=value`), as medsynth literals;
        /// each must name a parameter the front matter declares.
        public var parameterValues: [String: String] = [:]
        /// Stop after the cell with this label (nil: run every cell).
        public var lastCell: String?
        /// Folders beyond the notebook's own tree, the cache and the output folder that the
        /// notebook's `load` and `save` may use (`--allow-path`); see `FileAccess`.
        public var allowedFolders: [String] = []
        /// Whether `load` and `save` are confined at all (false runs a notebook as the REPL
        /// runs what is typed: anywhere).
        public var confinesFiles = true

        public init(cacheDirectory: String?, outputDirectory: String, engineVersion: String) {
            self.cacheDirectory = cacheDirectory
            self.outputDirectory = outputDirectory
            self.engineVersion = engineVersion
        }
    }

    /// How a statement got its values.
    public enum Source: String, Sendable, Codable {
        case computed, cached
        /// Computed, and not stored: a definition, a side effect, a file it cannot hash, a
        /// value that cannot be stored, or a cell with cache=false.
        case uncached
    }

    public struct StatementRecord: Sendable {
        public var cell: String
        public var line: Int
        public var canonicalForm: String
        public var key: String
        public var source: Source
        public var seconds: Double
        public var parts: KeyParts
        /// Where the statement is, as the cache index records it.
        public var origin: String
        /// The statements whose bindings it reads ("cell:line"): its edges in the dependency graph.
        public var dependsOn: [String]
    }

    /// What a cell showed.
    public enum Output: Sendable {
        case text(String)
        case figure(Figure)
        case table(Table)
    }

    public struct CellResult: Sendable {
        public var cell: NotebookDocument.Cell
        public var outputs: [Output] = []
        public var expectations: [Expectation] = []
        public var statements: [StatementRecord] = []
        public var seconds = 0.0
        public var diagnostic: Diagnostic?

        /// "cached" when every statement came from the cache, "computed" when none did.
        public var cacheStatus: String {
            let sources = Set(statements.map(\.source))
            if sources.isEmpty { return "empty" }
            if sources == [.cached] { return "cached" }
            if !sources.contains(.cached) { return "computed" }
            return "partly cached"
        }
    }

    public struct RunResult: Sendable {
        public var document: NotebookDocument
        /// The parameters as bound: the front matter's, with `parameterValues` in place.
        public var parameters: [NotebookDocument.Parameter] = []
        public var cells: [CellResult]
        public var seconds: Double
        /// What the notebook bound at the top level, in order (the library's names left out),
        /// for a REPL session to take over.
        public var bindings: [(name: String, value: Value)] = []
        /// Warnings in the order they were given (see `Options.warning`).
        public var warnings: [String] = []
        /// The cell whose error stopped the run (the last that ran), if one did.
        public var stoppedCell: CellResult? { cells.first { $0.diagnostic != nil } }
        /// The first error, which stopped the run.
        public var diagnostic: Diagnostic? { stoppedCell?.diagnostic }
        public var expectations: [Expectation] { cells.flatMap(\.expectations) }
        public var failedExpectations: [Expectation] { expectations.filter { !$0.passed } }
        /// Statements that ran (were not taken from the cache), in order.
        public var executed: [StatementRecord] { cells.flatMap(\.statements).filter { $0.source != .cached } }
        public var succeeded: Bool { diagnostic == nil && failedExpectations.isEmpty }
    }

    public let options: Options
    /// The cache, or nil when the run has none: none was asked for, or it could not be opened.
    public let cache: TensorCache?
    /// Why the cache asked for could not be opened: the run goes on without it.
    private let cacheUnavailable: String?

    /// Opens the cache the options name. A cache that cannot be created, opened or locked (a
    /// read-only or full disk, a link or a file where the cache keeps its own files) costs
    /// speed, not the run: it runs without the cache, and says why with one warning.
    public init(options: Options) {
        self.options = options
        do {
            cache = try options.cacheDirectory.map { try TensorCache(directory: $0, capacity: options.cacheCapacity) }
            cacheUnavailable = nil
        } catch {
            cache = nil
            cacheUnavailable = "warning: running without the cache: \(Self.reason(error))"
        }
    }

    /// An error's text for a warning: a NotebookError without its "error: " prefix.
    static func reason(_ error: Error) -> String {
        guard let error = error as? NotebookError else { return "\(error)" }
        return "\(error.path)\(error.line.map { ":\($0)" } ?? ""): \(error.message)"
    }

    /// The front matter's parameters with `options.parameterValues` in place.
    func parameters(of document: NotebookDocument) throws(NotebookError) -> [NotebookDocument.Parameter] {
        let declared = document.frontMatter.parameters
        for name in options.parameterValues.keys.sorted() {
            guard declared.contains(where: { $0.name == name }) else {
                let hint = Suggestions.didYouMean(name, among: declared.map(\.name)).map { "; \($0)" } ?? ""
                let list = declared.isEmpty ? "none" : declared.map(\.name).joined(separator: ", ")
                throw NotebookError(path: document.path, line: nil, "the notebook has no parameter '\(name)' (it has: \(list))\(hint)")
            }
        }
        return try declared.map { (parameter) throws(NotebookError) in
            var bound = parameter
            guard var value = options.parameterValues[parameter.name] else { return bound }
            // A string parameter takes a bare word from the command line: --set models=/tmp/m.
            if parameter.value.hasPrefix("\""), !value.hasPrefix("\"") {
                value = "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            }
            if let problem = NotebookDocument.Parameter.validate(name: parameter.name, value: value) {
                throw NotebookError(path: document.path, line: nil, problem)
            }
            bound.value = value
            return bound
        }
    }

    /// Runs the notebook's cells in order, through the cache. With `label`, stops before that
    /// cell and hands the session, as the earlier cells left it, to `body`: what `medsynth
    /// export` uses to evaluate one statement of that cell without running it.
    public func run(_ document: NotebookDocument, before label: String? = nil, then body: ((Session) throws -> Void)? = nil) throws -> RunResult {
        // A Ctrl-C stops the run it was pressed during, not the next one (the REPL's :run hands
        // every run the session's flag).
        options.cancellation.reset()
        let clock = ContinuousClock()
        let start = clock.now
        var warnings: [String] = []
        func warn(_ text: String) {
            warnings.append(text)
            options.warning(text)
        }
        if let cacheUnavailable { warn(cacheUnavailable) }
        let parameters = try self.parameters(of: document)
        let session = Session(context: context(for: document))
        try session.loadLibrary(sources: options.libraries)
        let policy = CachePolicy(
            options: options, cache: cache, executor: session.executor, document: document,
            graph: try graph(binding: parameters, of: document, in: session), warn: warn)
        var results: [CellResult] = []
        for cell in document.cells {
            if cell.label == label { break }
            options.progress("cell \(cell.label) (line \(cell.fenceLine))")
            let cellStart = clock.now
            policy.begin(cell)
            do {
                try session.executor.run(
                    SourceFile(name: "\(document.path), cell \(cell.label)", text: cell.code, firstLine: cell.firstLine), policy: policy)
            } catch {
                policy.fail(error)
            }
            var result = policy.finishCell()
            result.seconds = Self.seconds(clock.now - cellStart)
            options.progress("  \(result.diagnostic == nil ? result.cacheStatus : "error") in \(String(format: "%.2f", result.seconds)) s")
            results.append(result)
            if result.diagnostic != nil || cell.label == options.lastCell { break }
        }
        // What this run used and stored goes into the index (also after storing stopped: what
        // was stored before is kept); if it cannot be written, the entries are recomputed next
        // time, and this run's results stand.
        do { try cache?.saveIndex() } catch { policy.stopStoring(error) }
        if let body, results.allSatisfy({ $0.diagnostic == nil }) { try body(session) }
        var run = RunResult(document: document, parameters: parameters, cells: results, seconds: Self.seconds(clock.now - start))
        run.warnings = warnings
        run.bindings = session.interpreter.globalOrder.filter { !session.libraryNames.contains($0) }.compactMap { name in
            session.interpreter.globals[name].map { (name, $0) }
        }
        return run
    }

    /// The context a notebook runs in: its seed and tolerances, its folder, what its files may
    /// reach; what verbs print as they go (training progress) reaches the console's progress
    /// lines.
    private func context(for document: NotebookDocument) -> RuntimeContext {
        let context = RuntimeContext(outputDirectory: options.outputDirectory, seed: document.frontMatter.seed,
                                     cancellation: options.cancellation) { [progress = options.progress] line in progress("    " + line) }
        context.defaultTolerance = (document.frontMatter.absoluteTolerance, document.frontMatter.relativeTolerance)
        context.baseDirectory = PathName.folder(of: document.path)
        context.fileAccess = fileAccess(for: document)
        return context
    }

    /// Binds the parameters in the session, and returns the dependency graph as the
    /// notebook's first statement finds it: the libraries' names under the key of their
    /// contents, each parameter under the key of its value.
    private func graph(
        binding parameters: [NotebookDocument.Parameter], of document: NotebookDocument, in session: Session
    ) throws -> DependencyGraph {
        let libraryKey = "library:" + SHA256.hex(options.libraries.map { SHA256.hex(bytes: Data($0.text.utf8)) }.joined(separator: ","))
        var graph = DependencyGraph(libraryNames: session.interpreter.globalOrder, libraryKey: libraryKey)
        for parameter in parameters {
            try session.executor.run(SourceFile(
                name: "\(document.path), parameter \(parameter.name)", text: "\(parameter.name) = \(parameter.value)", firstLine: parameter.line))
            let value = session.interpreter.globals[parameter.name]?.inlineText ?? parameter.value
            graph.bindParameter(parameter.name, key: "parameter:" + SHA256.hex("\(parameter.name) = \(value)"))
        }
        return graph
    }

    /// What the notebook's `load` and `save` may use: its own folder tree, the cache, the
    /// output folder and the allowed folders; anywhere when the options do not confine it.
    func fileAccess(for document: NotebookDocument) -> FileAccess {
        guard options.confinesFiles else { return .unrestricted }
        let notebookFolder = PathName.folder(of: document.path)
        let folders = [notebookFolder.isEmpty ? "." : notebookFolder] + [options.cacheDirectory].compactMap { $0 } + options.allowedFolders
        return .confined(to: folders, outputFolders: [options.outputDirectory])
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
