import Engine
import Formats
import Foundation
import Language

/// How the notebook runner runs each statement (see `ExecutionPolicy`): it keys the statement
/// from its plan and the dependency graph (see `KeyParts`), puts back its values when the cache
/// has them, and otherwise runs it and stores what it bound. In a dry run (`medsynth why`) it
/// only computes keys and looks them up.
///
/// It builds each cell's `CellResult` as the cell runs: `begin(_:)` starts one, `finishCell()`
/// hands it over.
final class CachePolicy: ExecutionPolicy {
    typealias Source = NotebookRunner.Source
    typealias StatementRecord = NotebookRunner.StatementRecord
    typealias CellResult = NotebookRunner.CellResult

    private let options: NotebookRunner.Options
    private let cache: TensorCache?
    private let executor: Executor
    private var context: RuntimeContext { executor.interpreter.context }
    private let documentPath: String
    /// The notebook's seed, part of the key of every statement that draws random numbers.
    private let seed: UInt64
    /// The notebook's default tolerances, part of the key of every statement that compares
    /// with `~` and no `+-`.
    private let tolerances: String
    private let warn: (String) -> Void
    private(set) var graph: DependencyGraph
    /// Whether the run still stores what it computes: false once the cache could not be
    /// written (a full disk).
    private var storing: Bool
    /// Cells already warned of an entry the cache rejected: one warning each.
    private var cellsWarned: Set<String> = []
    /// How many statements so far were named after each binding, in the current labelled cell
    /// and in all the unlabelled cells: the random stream of the n-th is "label/name#n" in a
    /// labelled cell, "name#n" in an unlabelled one. So a cell inserted, deleted or moved
    /// never changes the streams of a labelled cell.
    private var occurrencesInCell: [String: Int] = [:]
    private var occurrencesUnlabelled: [String: Int] = [:]
    private var cell: NotebookDocument.Cell?
    private var result: CellResult?
    /// The statement that `decide` let run, until `ran` records it.
    private var pending: (record: StatementRecord, parts: KeyParts, cacheable: Bool, filesReadBefore: Int, start: ContinuousClock.Instant)?
    /// The running statement's files of partial results, if it may keep any.
    private var partialFiles: TensorCache.PartialFiles?
    private let clock = ContinuousClock()

    init(
        options: NotebookRunner.Options, cache: TensorCache?, executor: Executor, document: NotebookDocument,
        graph: DependencyGraph, warn: @escaping (String) -> Void
    ) {
        self.options = options
        self.cache = cache
        self.executor = executor
        self.documentPath = document.path
        seed = document.frontMatter.seed
        tolerances = "tolerance \(document.frontMatter.absoluteTolerance), relative \(document.frontMatter.relativeTolerance)"
        self.graph = graph
        self.warn = warn
        storing = cache != nil
    }

    /// Stops storing after the cache could not be written, with one warning.
    func stopStoring(_ error: Error) {
        guard storing else { return }
        storing = false
        warn("warning: the cache cannot be written, so this run stores nothing: \(NotebookRunner.reason(error))")
    }

    func begin(_ cell: NotebookDocument.Cell) {
        self.cell = cell
        occurrencesInCell = [:]
        result = CellResult(cell: cell)
    }

    func finishCell() -> CellResult {
        defer { (cell, result) = (nil, nil) }
        return result!
    }

    /// Records a diagnostic that stopped the cell.
    func fail(_ diagnostic: Diagnostic) {
        result?.diagnostic = diagnostic
    }

    // MARK: ExecutionPolicy

    func decide(_ plan: StatementPlan, in source: SourceFile) throws(Diagnostic) -> Executor.Decision {
        let start = clock.now
        let cell = cell!
        let random = randomPath(of: plan.statement, in: cell)
        var files: [String: String] = [:]
        for path in plan.files.literal {
            let resolved = context.resolve(path)
            files[path] = context.fileAccess.refusal(of: resolved, for: .read) == nil ? Self.fileHash(resolved) : "outside"
        }
        let parts = KeyParts(
            statement: plan.canonicalForm,
            defaults: plan.verbs.sorted().map { Self.defaults(of: executor.interpreter.registry[$0]!) },
            inputs: graph.inputKeys(plan.reads), files: files, random: plan.drawsRandomNumbers ? RandomKey(seed: seed, path: random).description : "",
            settings: plan.usesDefaultTolerance ? tolerances : "", engine: options.engineVersion)
        let key = parts.key
        let cacheable = cell.isCached && plan.isCacheable
        var record = StatementRecord(
            cell: cell.label, line: source.location(of: plan.span.start).line, canonicalForm: plan.canonicalForm, key: key,
            source: .computed, seconds: 0, parts: parts, origin: "\(documentPath)#\(cell.label)/\(random.last!)",
            dependsOn: graph.writerNames(plan.reads))
        if options.dryRun {
            if plan.files.computed, let files = cache?.entries[key]?.filesRead {
                // The files it read when it last ran, hashed now: the key a run would give
                // what depends on it.
                record.key = Self.folding(key, files)
            }
            let entry = cache?.entries[record.key]
            record.source = !cacheable ? .uncached : entry != nil ? .cached : .computed
            // A cached loop binds only the names its entry keeps (one that never ran, none).
            let bound = cacheable && entry != nil ? plan.writes.intersection(entry!.names) : plan.writes
            finish(record, plan: plan, bound: bound, start: start)
            return .skip
        }
        if cacheable, !options.force.contains(cell.label), let stored = lookUp(key, for: plan, cell: cell.label) {
            replay(stored, plan: plan, source: source)
            record.source = .cached
            // A loop keeps the names it really bound: one that never ran left the others to
            // their earlier binding, on which what reads them must keep depending.
            finish(record, plan: plan, bound: plan.writes.intersection(stored.map(\.name)), start: start)
            return .skip
        }
        pending = (record, parts, cacheable, context.filesRead.count, start)
        // Long work keeps its state beside the cache while it runs, and a run stopped or
        // killed part-way continues from it (the key names the same statement on the same inputs).
        partialFiles = cacheable ? cache?.partialFiles(for: key) : nil
        context.partialResults = partialFiles
        return .run(randomPath: random)
    }

    func ran(_ plan: StatementPlan, _ outcome: Outcome, in source: SourceFile) {
        // It finished: its values are what to keep now, not its partial state.
        partialFiles?.discard()
        partialFiles = nil
        context.partialResults = nil
        guard let (first, parts, cacheable, filesReadBefore, start) = pending else { return }
        var record = first
        pending = nil
        var bound = plan.writes
        if case .looped(let assigned, _) = outcome { bound = plan.writes.intersection(assigned) }
        if plan.files.computed {
            // Its files were known only once it ran: what reads its bindings is keyed by their
            // contents too.
            let read = Array(context.filesRead[filesReadBefore...])
            cache?.noteFilesRead(read, for: record.key, origin: record.origin, parts: parts)
            record.key = Self.folding(record.key, read)
        }
        show(outcome)
        if cacheable, storing, let cache {
            do {
                let values = Self.values(of: outcome, writes: plan.writes, interpreter: executor.interpreter)
                record.source = try cache.store(values, for: record.key, origin: record.origin, parts: parts) ? .computed : .uncached
            } catch {
                stopStoring(error)
                record.source = .uncached
            }
        } else {
            record.source = .uncached
        }
        finish(record, plan: plan, bound: bound, start: start)
    }

    /// Adds the statement's bindings to the graph and its record to the cell's result.
    private func finish(_ record: StatementRecord, plan: StatementPlan, bound: Set<String>, start: ContinuousClock.Instant) {
        var record = record
        graph.bind(bound, by: .init(cell: record.cell, line: record.line), key: record.key, reading: plan.reads)
        record.seconds = NotebookRunner.seconds(clock.now - start)
        result!.statements.append(record)
    }

    // MARK: The cache

    /// The values cached under `key` for the statement, which binds `plan.writes` (for a loop,
    /// some of them); nil when there are none, or when the entry is not trusted (then a
    /// warning says why, once a cell, and the statement is recomputed).
    private func lookUp(_ key: String, for plan: StatementPlan, cell: String) -> [(name: String, value: Value)]? {
        let names: TensorCache.ExpectedNames
        switch plan.statement {
        case .binding(let name, _, _, _): names = .exactly([name])
        case .expression: names = .exactly([Self.displayName])
        case .expect: names = .exactly([Self.expectationName])
        case .loop, .conditional: names = .someOf(plan.writes)
        case .function: return nil
        }
        switch cache?.values(for: key, binding: names) {
        case .found(let values): return values
        case .rejected(let reason):
            if cellsWarned.insert(cell).inserted { warn("warning: the cache entry for cell '\(cell)' \(reason); recomputing") }
            return nil
        case .absent, nil: return nil
        }
    }

    /// The names under which a statement's entry keeps what it displayed and what its
    /// expectation found.
    static let displayName = "#display"
    static let expectationName = "#expect"

    /// What a statement leaves behind, to store: its bindings, or what it displayed, or its
    /// expectation's result.
    static func values(of outcome: Outcome, writes: Set<String>, interpreter: Interpreter) -> [(name: String, value: Value)] {
        switch outcome {
        case .bound(let name, let value): return [(name, value)]
        case .displayed(let value): return [(displayName, value)]
        case .expectation(let expectation):
            return [(expectationName, .record(Record([("passed", .bool(expectation.passed)), ("detail", .string(expectation.detail))])))]
        case .looped(let assigned, _):
            return writes.intersection(assigned).sorted().compactMap { name in interpreter.globals[name].map { (name, $0) } }
        case .defined:
            return []
        }
    }

    /// Puts a cached statement's values back: bindings into the session, displays and
    /// expectations into the cell's result.
    private func replay(_ stored: [(name: String, value: Value)], plan: StatementPlan, source: SourceFile) {
        for (name, value) in stored {
            switch name {
            case Self.displayName:
                show(.displayed(value))
            case Self.expectationName:
                guard case .record(let record) = value, case .bool(let passed) = record["passed"] ?? .nothing,
                      case .string(let detail) = record["detail"] ?? .nothing, case .expect(let condition, let span) = plan.statement else { continue }
                result!.expectations.append(Expectation(
                    condition: condition.canonicalForm, passed: passed, detail: detail, span: span, source: source))
            default:
                // Into the interpreter only: the analyser planned the cell already, with every
                // binding of it in order.
                executor.interpreter.define(name, value)
                if case .model = value { show(.bound(name, value)) }
            }
        }
    }

    private func show(_ outcome: Outcome) {
        switch outcome {
        case .displayed(.figure(let figure)): result!.outputs.append(.figure(figure))
        case .displayed(.table(let table)): result!.outputs.append(.table(table))
        case .displayed(.nothing): break
        case .displayed(let value): result!.outputs.append(.text(value.displayText))
        case .bound(_, .figure(let figure)): result!.outputs.append(.figure(figure))
        case .bound(let name, .model(let model)):
            // Every trained model shows its curves in the report.
            if let curves = model.training?.curves(title: "\(name): training loss") { result!.outputs.append(.figure(curves)) }
        case .expectation(let expectation): result!.expectations.append(expectation)
        case .looped(_, let expectations): result!.expectations += expectations
        default: break
        }
    }

    // MARK: Key parts

    /// A key with the contents of the files its statement read folded in.
    static func folding(_ key: String, _ files: [String]) -> String {
        SHA256.hex(([key] + files.map { "\($0):\(fileHash($0))" }).joined(separator: "\n"))
    }

    /// The SHA-256 of a file's contents, read a piece at a time (a large file is not held in
    /// memory); for a file that cannot be read (missing, or a folder, a FIFO or a device, which
    /// are not read at all: reading one could block or never end), why, so that the key changes
    /// when that does (the verb that opens it says what is wrong).
    static func fileHash(_ path: String) -> String {
        // A model folder (diffusers', MONAI's): the files `load` reads from it.
        if ModelFolder.isFolder(path), case let files = ModelFolder.files(at: path), !files.isEmpty {
            return SHA256.hex(files.map { "\($0):\(fileHash($0))" }.joined(separator: "\n"))
        }
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

    /// The path of a statement's random keys below the notebook's seed: its cell's label (if it has one), the binding
    /// it is named after (its bound name, or for other statements their canonical form), and
    /// which statement of that name it is (see `occurrencesInCell`).
    private func randomPath(of statement: Statement, in cell: NotebookDocument.Cell) -> [String] {
        let name: String
        switch statement {
        case .binding(let bound, _, _, _): name = bound
        case .function(let definition): name = "def \(definition.name)"
        default: name = statement.canonicalForm
        }
        if cell.isLabelled {
            occurrencesInCell[name, default: 0] += 1
            return [cell.label, "\(name)#\(occurrencesInCell[name]!)"]
        }
        occurrencesUnlabelled[name, default: 0] += 1
        return ["\(name)#\(occurrencesUnlabelled[name]!)"]
    }

    static func defaults(of verb: Verb) -> String {
        verb.name + "(" + verb.options.map { "\($0.name)=\($0.defaultValue.map(\.inlineText) ?? "required")" }.joined(separator: ",") + ")"
    }
}
