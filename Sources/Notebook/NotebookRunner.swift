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
        public var libraries: [String] = []
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
        /// The first error, which stopped the run.
        public var diagnostic: Diagnostic? { cells.compactMap(\.diagnostic).first }
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
        for (name, value) in options.parameterValues.sorted(by: { $0.key < $1.key }) {
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

    public func run(_ document: NotebookDocument) throws -> RunResult {
        let clock = ContinuousClock()
        let start = clock.now
        var warnings: [String] = []
        func warn(_ text: String) {
            warnings.append(text)
            options.warning(text)
        }
        if let cacheUnavailable { warn(cacheUnavailable) }
        // Set when the cache cannot be written (a full disk): the run goes on without storing.
        var storing = cache != nil
        func stopStoring(_ error: Error) {
            guard storing else { return }
            storing = false
            warn("warning: the cache cannot be written, so this run stores nothing: \(Self.reason(error))")
        }
        // Cells already warned of an entry the cache rejected: one warning each.
        var cellsWarned: Set<String> = []
        let matter = document.frontMatter
        let parameters = try self.parameters(of: document)
        // What verbs print as they go (training progress) reaches the console's progress lines.
        let context = RuntimeContext(outputDirectory: options.outputDirectory, seed: matter.seed, cancellation: options.cancellation) {
            [progress = options.progress] line in progress("    " + line)
        }
        context.defaultTolerance = (matter.absoluteTolerance, matter.relativeTolerance)
        context.baseDirectory = PathName.folder(of: document.path)
        context.fileAccess = fileAccess(for: document)
        let session = Session(context: context)
        try session.loadLibrary(options.libraries)
        let interpreter = session.interpreter
        let libraryKey = "library:" + SHA256.hex(options.libraries.map { path in
            (FileManager.default.contents(atPath: path)).map { SHA256.hex(bytes: $0) } ?? path
        }.joined(separator: ","))
        // The key of the statement that last bound each name, and where that statement is.
        var writers = Dictionary(uniqueKeysWithValues: interpreter.globalOrder.map { ($0, libraryKey) })
        var writerPlaces = Dictionary(uniqueKeysWithValues: interpreter.globalOrder.map { ($0, "library") })
        // Parameters are bound first; a statement that reads one is keyed by its value.
        for parameter in parameters {
            let source = SourceFile(name: "\(document.path), parameter \(parameter.name)", text: "\(parameter.name) = \(parameter.value)",
                                    firstLine: parameter.line)
            _ = try interpreter.execute(Parser.parse(source)[0], in: source)
            writers[parameter.name] = "parameter:" + SHA256.hex("\(parameter.name) = \(interpreter.globals[parameter.name]?.inlineText ?? parameter.value)")
            writerPlaces[parameter.name] = "parameters"
        }
        var functions = Set(session.libraryNames)
        var occurrences: [String: Int] = [:]
        var analyser = Analyser(registry: interpreter.registry, globals: interpreter.globalTypes)
        let settings = "seed \(matter.seed), tolerance \(matter.absoluteTolerance), relative \(matter.relativeTolerance)"
        var results: [CellResult] = []
        for cell in document.cells {
            options.progress("cell \(cell.label) (line \(cell.fenceLine))")
            var result = CellResult(cell: cell)
            let cellStart = clock.now
            let source = SourceFile(name: "\(document.path), cell \(cell.label)", text: cell.code, firstLine: cell.firstLine)
            do {
                let statements = try Parser.parse(source)
                let effects = try analyser.check(statements, in: source)
                for (statement, effect) in zip(statements, effects) {
                    if options.cancellation.isCancelled {
                        throw Diagnostic("the run was stopped (Ctrl-C) before this statement", at: statement.span, in: source)
                    }
                    let syntax = StatementSyntax(statement, registry: interpreter.registry, functions: functions)
                    let name = Self.streamName(of: statement)
                    occurrences[name, default: 0] += 1
                    let random = cell.isLabelled ? "\(cell.label)/\(name)#\(occurrences[name]!)" : "\(name)#\(occurrences[name]!)"
                    var files: [String: String] = [:]
                    for path in syntax.paths {
                        let resolved = context.resolve(path)
                        files[path] = context.fileAccess.refusal(of: resolved, for: .read) == nil ? Self.fileHash(resolved) : "outside"
                    }
                    let parts = KeyParts(
                        statement: statement.canonicalForm,
                        defaults: syntax.verbs.sorted().map { Self.defaults(of: interpreter.registry[$0]!) },
                        inputs: Dictionary(uniqueKeysWithValues: effect.reads.map { ($0, writers[$0] ?? "unbound") }),
                        files: files, random: syntax.drawsFromItsStream ? random : "", settings: settings,
                        engine: options.engineVersion)
                    var key = parts.key
                    let cacheable: Bool = {
                        if case .function = statement { return false }
                        return cell.isCached && !syntax.hasComputedPath
                            && !syntax.verbs.contains { interpreter.registry[$0]!.hasSideEffects }
                    }()
                    let statementStart = clock.now
                    let origin = "\(document.path)#\(cell.label)/\(random)"
                    var record = StatementRecord(
                        cell: cell.label, line: source.location(of: statement.span.start).line,
                        canonicalForm: statement.canonicalForm, key: key, source: .computed, seconds: 0,
                        parts: parts, origin: origin,
                        dependsOn: Set(effect.reads.compactMap { writerPlaces[$0] }).sorted())
                    // The names this statement really bound: a loop that never ran (or a nested
                    // one) may leave some to their earlier binding, on which what reads them
                    // must keep depending.
                    var bound = effect.writes
                    if options.dryRun {
                        if syntax.hasComputedPath, let files = cache?.entries[key]?.filesRead {
                            // The files it read when it last ran, hashed now: the key a run
                            // would give what depends on it.
                            key = Self.folding(key, files)
                            record.key = key
                        }
                        record.source = !cacheable ? .uncached : cache?.entries[key] != nil ? .cached : .computed
                    } else if cacheable, !options.force.contains(cell.label), let stored = lookUp(
                        key, for: statement, writes: effect.writes, cell: cell.label,
                        warn: { if cellsWarned.insert(cell.label).inserted { warn($0) } }) {
                        replay(stored, statement: statement, source: source, into: interpreter, result: &result)
                        bound = effect.writes.intersection(stored.map(\.name))
                        record.source = .cached
                    } else {
                        let readBefore = context.filesRead.count
                        let outcome = try interpreter.execute(statement, in: source, randomKey: random)
                        if case .looped(let assigned) = outcome { bound = effect.writes.intersection(assigned) }
                        if syntax.hasComputedPath {
                            // Its files were known only once it ran: what reads its bindings is
                            // keyed by their contents too.
                            let read = Array(context.filesRead[readBefore...])
                            cache?.noteFilesRead(read, for: key, origin: origin, parts: parts)
                            key = Self.folding(key, read)
                            record.key = key
                        }
                        let values = Self.values(of: outcome, writes: effect.writes, interpreter: interpreter)
                        show(outcome, result: &result)
                        if cacheable, storing, let cache {
                            do {
                                record.source = try cache.store(values, for: key, origin: origin, parts: parts) ? .computed : .uncached
                            } catch {
                                stopStoring(error)
                                record.source = .uncached
                            }
                        } else {
                            record.source = .uncached
                        }
                    }
                    for name in bound {
                        writers[name] = key
                        writerPlaces[name] = "\(cell.label):\(record.line)"
                    }
                    if case .function(let definition) = statement { functions.insert(definition.name) }
                    record.seconds = Self.seconds(clock.now - statementStart)
                    result.statements.append(record)
                }
            } catch let diagnostic as Diagnostic {
                result.diagnostic = diagnostic
            }
            result.seconds = Self.seconds(clock.now - cellStart)
            options.progress("  \(result.diagnostic == nil ? result.cacheStatus : "error") in \(String(format: "%.2f", result.seconds)) s")
            results.append(result)
            if result.diagnostic != nil || cell.label == options.lastCell { break }
        }
        // What this run used and stored goes into the index (also after storing stopped: what
        // was stored before is kept); if it cannot be written, the entries are recomputed next
        // time, and this run's results stand.
        do { try cache?.saveIndex() } catch { stopStoring(error) }
        var run = RunResult(document: document, parameters: parameters, cells: results, seconds: Self.seconds(clock.now - start))
        run.warnings = warnings
        run.bindings = interpreter.globalOrder.filter { !session.libraryNames.contains($0) }.compactMap { name in
            interpreter.globals[name].map { (name, $0) }
        }
        return run
    }

    /// The values cached under `key` for `statement`, which binds `writes` (for a loop, some of
    /// them); nil when there are none, or when the entry is not trusted (then `warn` is told
    /// why, naming the cell, and the statement is recomputed).
    private func lookUp(
        _ key: String, for statement: Statement, writes: Set<String>, cell: String, warn: (String) -> Void
    ) -> [(name: String, value: Value)]? {
        let names: TensorCache.ExpectedNames
        switch statement {
        case .binding(let name, _, _, _): names = .exactly([name])
        case .expression: names = .exactly([Self.displayName])
        case .expect: names = .exactly([Self.expectationName])
        case .loop: names = .someOf(writes)
        case .function: return nil
        }
        switch cache?.values(for: key, binding: names) {
        case .found(let values): return values
        case .rejected(let reason):
            warn("warning: the cache entry for cell '\(cell)' \(reason); recomputing")
            return nil
        case .absent, nil: return nil
        }
    }

    /// The names under which a statement's entry keeps what it displayed and what its
    /// expectation found.
    static let displayName = "#display"
    static let expectationName = "#expect"

    /// A key with the contents of the files its statement read folded in.
    static func folding(_ key: String, _ files: [String]) -> String {
        SHA256.hex(([key] + files.map { "\($0):\(fileHash($0))" }).joined(separator: "\n"))
    }

    /// The SHA-256 of a file's contents, read a piece at a time (a large file is not held in
    /// memory); for a file that cannot be read (missing, or a folder, a FIFO or a device, which
    /// are not read at all: reading one could block or never end), why, so that the key changes
    /// when that does (the verb that opens it says what is wrong).
    static func fileHash(_ path: String) -> String {
        var hash = SHA256()
        do {
            try RegularFile.readPieces(path) { piece in
                hash.update(piece)
                return true
            }
            return hash.finalize()
        } catch let error as FormatError {
            return "unreadable: \(error.message)"
        } catch {
            return "unreadable"
        }
    }

    /// What the notebook's `load` and `save` may use: its own folder tree, the cache, the
    /// output folder and the allowed folders; anywhere when the options do not confine it.
    func fileAccess(for document: NotebookDocument) -> FileAccess {
        guard options.confinesFiles else { return .unrestricted }
        let notebookFolder = PathName.folder(of: document.path)
        let folders = [notebookFolder.isEmpty ? "." : notebookFolder] + [options.cacheDirectory].compactMap { $0 } + options.allowedFolders
        return .confined(to: folders, outputFolders: [options.outputDirectory])
    }

    /// The binding a statement's random stream is named after: its bound name, or for other
    /// statements their canonical form.
    static func streamName(of statement: Statement) -> String {
        switch statement {
        case .binding(let name, _, _, _): return name
        case .function(let definition): return "def \(definition.name)"
        default: return statement.canonicalForm
        }
    }

    static func defaults(of verb: Verb) -> String {
        verb.name + "(" + verb.options.map { "\($0.name)=\($0.defaultValue.map(\.inlineText) ?? "required")" }.joined(separator: ",") + ")"
    }

    /// What a statement leaves behind, to store: its bindings, or what it displayed, or its
    /// expectation's result.
    static func values(of outcome: Outcome, writes: Set<String>, interpreter: Interpreter) -> [(name: String, value: Value)] {
        switch outcome {
        case .bound(let name, let value): return [(name, value)]
        case .displayed(let value): return [(displayName, value)]
        case .expectation(let expectation):
            return [(expectationName, .record(Record([("passed", .bool(expectation.passed)), ("detail", .string(expectation.detail))])))]
        case .looped(let assigned):
            return writes.intersection(assigned).sorted().compactMap { name in interpreter.globals[name].map { (name, $0) } }
        case .defined:
            return []
        }
    }

    /// Puts a cached statement's values back: bindings into the session, displays and
    /// expectations into the cell's result.
    private func replay(
        _ stored: [(name: String, value: Value)], statement: Statement, source: SourceFile, into interpreter: Interpreter,
        result: inout CellResult
    ) {
        for (name, value) in stored {
            switch name {
            case Self.displayName:
                show(.displayed(value), result: &result)
            case Self.expectationName:
                guard case .record(let record) = value, case .bool(let passed) = record["passed"] ?? .nothing,
                      case .string(let detail) = record["detail"] ?? .nothing, case .expect(let condition, let span) = statement else { continue }
                result.expectations.append(Expectation(
                    condition: condition.canonicalForm, passed: passed, detail: detail, span: span, source: source))
            default:
                interpreter.define(name, value)
            }
        }
    }

    private func show(_ outcome: Outcome, result: inout CellResult) {
        switch outcome {
        case .displayed(.figure(let figure)): result.outputs.append(.figure(figure))
        case .displayed(.table(let table)): result.outputs.append(.table(table))
        case .displayed(.nothing): break
        case .displayed(let value): result.outputs.append(.text(value.displayText))
        case .bound(_, .figure(let figure)): result.outputs.append(.figure(figure))
        case .expectation(let expectation): result.expectations.append(expectation)
        default: break
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
