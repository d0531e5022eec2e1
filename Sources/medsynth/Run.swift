import ArgumentParser
import CReadline
import Foundation
import Language
import Notebook

/// Where notebook runs keep their cache and reports, shared by run, check and why.
struct CacheOptions: ParsableArguments {
    @Option(help: "The cache folder (default: MEDSYNTH_CACHE, else the nearest .medsynth-cache from the notebook's folder up to its git repository's root, else one beside the notebook).")
    var cache: String?

    @Flag(help: "Run without the cache: compute everything, store nothing.")
    var noCache = false

    @Option(help: "Recompute this cell even if it is cached (repeatable).")
    var force: [String] = []

    @Option(help: "The cache's size limit in MiB (at most 1048576, 1 TiB); least recently used entries go first.")
    var cacheSize = 2048

    @Option(name: .customLong("allow-path"), help: ArgumentHelp(
        "A folder the notebook's load and save may also use, beyond its own folder, the cache and the report (repeatable; see docs/security.md).",
        valueName: "folder"))
    var allowedFolders: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "A value for a parameter the notebook's front matter declares, as a medsynth literal (repeatable).",
        valueName: "name=value"))
    var parameters: [String] = []

    /// The --set values by name.
    func parameterValues() throws -> [String: String] {
        var values: [String: String] = [:]
        for assignment in parameters {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ValidationError("--set takes name=value, e.g. --set steps=20, not '\(assignment)'")
            }
            values[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        return values
    }

    /// The cache folder for the notebook at `notebook`; nil with --no-cache.
    func directory(for notebook: String) -> String? {
        noCache ? nil : cache ?? Self.defaultDirectory(for: notebook)
    }

    /// The engine version in every cache key: entries of another version are never used
    /// (cache 2: entries are safetensors files, where cache 1 wrote HDF5; cache 3: keys name the
    /// seed only where a statement draws, and a call reads what its function reads; cache 4: one
    /// random key scheme, `RandomKey`, whose numbers differ from the earlier ones; cache 5:
    /// `corrupt` and `holes` draw from named children of their key; cache 6: forward
    /// convolutions in fixed-size products and guidance in two passes, which change the last
    /// bits on AVX2 machines so that an item's values no longer depend on its batch; cache 7:
    /// a figure of `show` carries the SVG grid a report shows).
    private static let engineVersion = "medsynth \(MedSynth.version), cache 7"

    /// The cache folder when none is given, for the notebook at `notebook`: MEDSYNTH_CACHE; else
    /// the project's, the nearest `.medsynth-cache` folder in the notebook's folder or above it
    /// up to the root of its git repository (so that a project's notebooks share one, from
    /// wherever they are run); else one beside the notebook. Outside a repository only the
    /// notebook's own folder is looked at: a cache found higher up could be anyone's.
    static func defaultDirectory(for notebook: String) -> String {
        if let environment = ProcessInfo.processInfo.environment["MEDSYNTH_CACHE"] { return environment }
        let notebookFolder = folder(of: notebook)
        var folders = [notebookFolder]
        while let last = folders.last, !FileManager.default.fileExists(atPath: (last as NSString).appendingPathComponent(".git")) {
            let parent = (last as NSString).deletingLastPathComponent
            guard parent != last, !parent.isEmpty else {
                folders = [notebookFolder]
                break
            }
            folders.append(parent)
        }
        for folder in folders {
            let candidate = (folder as NSString).appendingPathComponent(".medsynth-cache")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue { return candidate }
        }
        return (notebookFolder as NSString).appendingPathComponent(".medsynth-cache")
    }

    /// The absolute folder of the file at `path`.
    static func folder(of path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return ((absolute as NSString).standardizingPath as NSString).deletingLastPathComponent
    }

    /// What every notebook run of medsynth's shares (run, check, why and the REPL's :run):
    /// the engine version and the standard library, so that they share cache entries.
    static func runnerOptions(cacheDirectory: String?, outputDirectory: String) throws -> NotebookRunner.Options {
        var options = NotebookRunner.Options(cacheDirectory: cacheDirectory, outputDirectory: outputDirectory, engineVersion: engineVersion)
        options.libraries = try SessionSetup.standardLibrary().sources
        return options
    }

    /// The largest --cache-size in MiB: 1 TiB, the largest entry the cache accepts.
    private static let maximumCacheSize = TensorCache.maximumEntryBytes >> 20

    func validate() throws {
        guard (0...Self.maximumCacheSize).contains(cacheSize) else {
            throw ValidationError("--cache-size takes a size in MiB from 0 to \(Self.maximumCacheSize), not \(cacheSize)")
        }
    }

    func runnerOptions(for notebook: String, outputDirectory: String) throws -> NotebookRunner.Options {
        var options = try Self.runnerOptions(cacheDirectory: directory(for: notebook), outputDirectory: outputDirectory)
        options.cacheCapacity = cacheSize << 20
        options.force = Set(force)
        options.parameterValues = try parameterValues()
        options.allowedFolders = allowedFolders
        return options
    }
}

/// `medsynth run FILE`: runs a notebook (or a script) cell by cell with the cache, writes the
/// report, and exits non-zero on an error or a failed expect.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a .medsynth notebook or script, with the cache, and write its report.",
        discussion: """
            Cells run in order in one session; every value a statement binds is cached, keyed by \
            the statement, its inputs, the files it reads and its random stream, so a second run \
            recomputes only what changed. The report (HTML, and JSON beside it) goes to --report. \
            The exit status is 0 when every cell ran and every expect held.
            """)

    @Argument(help: "The notebook or script.", completion: .file(extensions: ["medsynth"]))
    var file: String

    @Option(help: "The folder for the report and figures (default: medsynth-out beside the notebook).")
    var report: String?

    @Flag(help: "Write the report as one HTML file that holds its figures and KaTeX, to send to someone.")
    var embed = false

    @OptionGroup var cache: CacheOptions

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        let result: NotebookRunner.RunResult
        do {
            result = try NotebookCommands.run(file, cache: cache, report: report, echo: true, embed: embed)
        } catch {
            printError(describe(error))
            throw ExitCode(1)
        }
        if !result.succeeded { throw ExitCode(1) }
    }
}

/// `medsynth check PATHS...`: runs notebooks as CI does.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run notebooks and fail on any error or failed expect (a summary and a JUnit file for CI).")

    @Argument(help: "Notebooks, or folders searched for *.medsynth.", completion: .file())
    var paths: [String]

    @Option(help: "The JUnit XML file to write.")
    var junit = "medsynth-check.xml"

    @Option(help: "The folder for the reports (default: medsynth-out beside each notebook).")
    var report: String?

    @OptionGroup var cache: CacheOptions

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                printError("error: no file or folder at \(path)")
                throw ExitCode(1)
            }
            if isDirectory.boolValue {
                let found = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
                files += found.filter { $0.hasSuffix(".medsynth") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        // A --set value goes to the notebooks that declare the parameter; one that none declares is a mistake.
        let values = try cache.parameterValues()
        var declared: [String: Set<String>] = [:]
        for file in files {
            if let document = try? NotebookDocument.load(path: file) {
                declared[file] = Set(document.frontMatter.parameters.map(\.name))
            }
        }
        for name in values.keys.sorted() where !declared.values.contains(where: { $0.contains(name) }) {
            printError("error: --set \(name): no notebook checked here declares the parameter '\(name)'")
            throw ExitCode(1)
        }
        var checked: [CheckedNotebook] = []
        var failed = 0
        for file in files {
            // Should medsynth itself crash on this notebook (nothing to catch), the JUnit file
            // already says so, and holds the results of the notebooks before it.
            try? NotebookReport.writeAtomically(
                NotebookReport.junit(checked + [.failed(path: file, message: "medsynth stopped while running it")]), to: junit)
            print("checking \(file)")
            medsynth_flush_stdout()
            let own = values.filter { declared[file]?.contains($0.key) == true }
            do {
                let result = try NotebookCommands.run(file, cache: cache, report: report, echo: false, parameterValues: own)
                checked.append(.ran(result))
                for expectation in result.failedExpectations {
                    print("  FAIL \(expectation.source.name), line \(expectation.line): expect \(expectation.condition)\n       values: \(expectation.detail)")
                }
                if !result.succeeded { failed += 1 }
                print("  " + Self.outcome(of: result))
            } catch {
                // Whatever went wrong with one notebook, the others are checked and reported.
                let message = describe(error)
                checked.append(.failed(path: file, message: message))
                failed += 1
                print("  \(message)")
            }
        }
        var junitWritten = true
        do {
            try NotebookReport.writeAtomically(NotebookReport.junit(checked), to: junit)
        } catch {
            printError(describe(error))
            junitWritten = false
        }
        print("\(files.count - failed) of \(files.count) notebooks passed" + (junitWritten ? "; JUnit: \(junit)" : ""))
        if failed > 0 || !junitWritten { throw ExitCode(1) }
    }
}

extension Check {
    /// One notebook's line in check's output. A notebook that stopped on an error failed in
    /// that cell, whatever the expectations before it said: the error is the outcome, with the
    /// cells it left unrun.
    static func outcome(of result: NotebookRunner.RunResult) -> String {
        let held = result.expectations.filter(\.passed).count
        let seconds = String(format: "%.2f", result.seconds)
        guard let stopped = result.stoppedCell, let diagnostic = stopped.diagnostic else {
            return "\(result.succeeded ? "ok" : "FAILED"): \(held) of \(result.expectations.count) expectations held, \(seconds) s"
        }
        let notRun = result.document.cells.count - result.cells.count
        let indented = diagnostic.description.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n    ")
        return "ERROR in cell \(stopped.cell.label) (line \(stopped.cell.fenceLine)), which stopped the notebook"
            + (notRun > 0 ? " (\(notRun) later cell\(notRun == 1 ? "" : "s") not run)" : "")
            + "; \(held) of \(result.expectations.count) expectations before it held, \(seconds) s\n    \(indented)"
    }
}

/// `medsynth why NOTEBOOK LABEL`: why a cell's statements miss the cache.
struct Why: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say which part of each statement's cache key changed since a cell was last cached.")

    @Argument(help: "The notebook.", completion: .file(extensions: ["medsynth"]))
    var file: String

    @Argument(help: "The cell's label.")
    var label: String

    @OptionGroup var cache: CacheOptions

    func run() throws {
        let document = try NotebookDocument.load(path: file)
        guard document.cells.contains(where: { $0.label == label }) else {
            let hint = Suggestions.didYouMean(label, among: document.cells.map(\.label)).map { " (\($0))" } ?? ""
            printError("error: \(file) has no cell '\(label)'\(hint)")
            throw ExitCode(1)
        }
        var options = try cache.runnerOptions(for: file, outputDirectory: NSTemporaryDirectory())
        options.dryRun = true
        options.warning = printError
        let runner = NotebookRunner(options: options)
        let result = try runner.run(document)
        if let diagnostic = result.diagnostic { print(diagnostic) }
        for record in result.cells.first(where: { $0.cell.label == label })?.statements ?? [] {
            print("line \(record.line): \(record.canonicalForm)")
            if record.source == .cached {
                print("  cached (key \(record.key.prefix(12)))")
            } else if record.source == .uncached {
                print("  always runs, never cached (a definition, a side effect, a computed file path, or a cache=false cell)")
            } else if let (_, previous) = runner.cache?.latestEntry(origin: record.origin) {
                for change in record.parts.differences(from: previous.parts) { print("  \(change)") }
            } else {
                print("  never cached here (a new statement, a definition or side effect, or the cache was cleared)")
            }
        }
    }
}

enum NotebookCommands {
    /// Runs the notebook at `file`, prints what it shows (with `echo`) and its warnings, and
    /// writes its report. Throws when the notebook cannot be read or run, or the report written.
    /// The runner's options for a command at the console: figures under `report`, progress
    /// printed as it comes (when `echo`), warnings to stderr, and Ctrl-C and SIGTERM stopping it.
    /// The report folder: the one given, or medsynth-out beside the notebook.
    static func reportFolder(_ given: String?, for notebook: String) -> String {
        given ?? (CacheOptions.folder(of: notebook) as NSString).appendingPathComponent("medsynth-out")
    }

    static func consoleOptions(_ cache: CacheOptions, for notebook: String, report: String, echo: Bool) throws -> NotebookRunner.Options {
        var options = try cache.runnerOptions(for: notebook, outputDirectory: (report as NSString).appendingPathComponent("figures"))
        if echo {
            options.progress = { line in
                print(line)
                medsynth_flush_stdout()
            }
        }
        options.warning = printError
        options.cancellation = Interrupts.installForCommand()
        return options
    }

    static func run(
        _ file: String, cache: CacheOptions, report: String?, echo: Bool, parameterValues: [String: String]? = nil, embed: Bool = false
    ) throws -> NotebookRunner.RunResult {
        let document = try NotebookDocument.load(path: file)
        let report = reportFolder(report, for: file)
        var options = try consoleOptions(cache, for: file, report: report, echo: echo)
        // check passes each notebook the --set values of the parameters it declares.
        if let parameterValues { options.parameterValues = parameterValues }
        let result = try NotebookRunner(options: options).run(document)
        for cell in result.cells where echo {
            for output in cell.outputs {
                if case .text(let text) = output { print(text) }
                if case .table(let table) = output { print(table) }
            }
            for expectation in cell.expectations where !expectation.passed { print(Session.describeFailure(expectation)) }
        }
        // check prints the error itself, in its notebook's line (Check.outcome).
        if echo, let diagnostic = result.diagnostic { printError("\(diagnostic)") }
        // A run stopped by Ctrl-C or SIGTERM does not replace the last complete report: its own
        // goes beside it, and both are named.
        let name = NotebookReport.defaultName(of: document.path)
        let completeReport = (report as NSString).appendingPathComponent(name + ".html")
        let stopped = options.cancellation.isCancelled
        let keepsLastReport = stopped && FileManager.default.fileExists(atPath: completeReport)
        let path = try NotebookReport.write(result, to: report, named: keepsLastReport ? name + ".stopped" : nil, embed: embed)
        if stopped {
            printError("the run was stopped: its report is \(path)" + (keepsLastReport ? "; the last complete report stays at \(completeReport)" : ""))
        }
        if echo {
            let held = result.expectations.filter(\.passed).count
            // The error above stopped the run: the line says so first, then what held before it.
            let stoppedAt = result.stoppedCell.map {
                "stopped on the error in cell \($0.cell.label) (line \($0.cell.fenceLine)); "
            } ?? ""
            print(stoppedAt + "\(held) of \(result.expectations.count) expectations held; \(result.executed.count) statements ran, "
                + "\(result.cells.flatMap(\.statements).count - result.executed.count) from the cache; "
                + String(format: "%.2f s; report: %@", result.seconds, path))
        }
        return result
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// An error as the console shows it: medsynth's own errors as they describe themselves; a file
/// error of Foundation's as its file and the system's reason, never Foundation's domain and code.
func describe(_ error: Error) -> String {
    guard let fileError = error as? CocoaError else { return "\(error)" }
    return "error: \(fileError.filePath ?? "a file"): \(posixReason(fileError) ?? "the file system refused the operation")"
}

/// Why a file operation failed, in the system's words ("Permission denied"), when Foundation's
/// error carries the POSIX error underneath (or is one).
func posixReason(_ error: Error) -> String? {
    let error = error as NSError
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    return error.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(error.code))) : nil
}
