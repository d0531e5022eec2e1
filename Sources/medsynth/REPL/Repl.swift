import ArgumentParser
import CReadline
import Diffusion
import Engine
import Foundation
import Language
import Notebook

/// `medsynth` or `medsynth repl`: the language, interactively.
struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "The interactive medsynth session (the default command).",
        discussion: """
            Statements run as you enter them; a statement continues over several lines while a \
            bracket or a do-block is open. Tab completes verbs, options, names and paths; :help \
            lists the commands. Ctrl-C stops the running statement (every verb that loops over \
            images, pixels or steps stops at its next check), which then binds nothing, or \
            clears the line; Ctrl-D or :quit leaves.
            """)

    @Option(help: "The folder for figures.")
    var out = "medsynth-out"

    @Option(help: "The session's seed.")
    var seed: UInt64 = 0

    @Option(help: "The history file (default: ~/.medsynth_history, or MEDSYNTH_HISTORY).")
    var history: String?

    @Option(help: "The cache :run uses, shared with medsynth run (default: as medsynth run finds it for the notebook; :cache shows the one for this folder).")
    var cache: String?

    @Flag(help: "Let :run compute everything and store nothing.")
    var noCache = false

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        let historyFile = history ?? ProcessInfo.processInfo.environment["MEDSYNTH_HISTORY"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".medsynth_history")
        let previews = isatty(STDOUT_FILENO) != 0
        let loop = try ReplLoop(outputDirectory: out, seed: seed, previews: previews, historyFile: historyFile,
                                cacheDirectory: noCache ? nil : cache ?? CacheOptions.defaultDirectory(for: "./notebook"), cacheGiven: cache != nil)
        loop.run()
    }
}

/// The read-evaluate-print loop and its colon commands.
final class ReplLoop {
    let session: Session
    let historyFile: String
    var timing = false
    let outputDirectory: String
    let seed: UInt64
    let previews: Bool
    /// The notebook cache :cache shows, and :run uses when the command line named it (nil: none).
    let cacheDirectory: String?
    /// Whether the command line named the cache (MEDSYNTH_CACHE counts): else :run uses the one
    /// `medsynth run` would find for the notebook.
    let cacheGiven: Bool
    /// Lines entered so far, so that each entry's diagnostics name its own line numbers.
    var entryLine = 1

    static let commands: [(name: String, help: String)] = [
        (":help", ":help [verb]   the commands and verbs, or one verb's parameters and example"),
        (":vars", ":vars          the bound names: type, shape and memory"),
        (":load", ":load FILE     run a script or notebook's cells here, able to read this session's names"),
        (":run", ":run FILE [LABEL]  run a notebook with the cache (to its end, or through {#LABEL}); bind its names here"),
        (":cache", ":cache [clear]  the notebook cache :run uses: its folder, entries and size; or empty it"),
        (":time", ":time          show how long each statement takes (toggles)"),
        (":memory", ":memory [SIZE]  the memory budget (the most memory medsynth may use), or set it: 8G, 512M"),
        (":reset", ":reset         forget every name (the standard library is loaded again)"),
        (":quit", ":quit          leave (Ctrl-D also leaves)"),
    ]

    init(outputDirectory: String, seed: UInt64, previews: Bool, historyFile: String, cacheDirectory: String?, cacheGiven: Bool = true) throws {
        self.outputDirectory = outputDirectory
        self.cacheDirectory = cacheDirectory
        self.cacheGiven = cacheGiven || ProcessInfo.processInfo.environment["MEDSYNTH_CACHE"] != nil
        self.seed = seed
        self.previews = previews
        self.historyFile = historyFile
        session = try SessionSetup.makeSession(outputDirectory: outputDirectory, seed: seed, previews: previews) { text in
            print(text)
            medsynth_flush_stdout()
        }
        if previews {
            session.context.writeInPlace = { text in
                print(text, terminator: "")
                medsynth_flush_stdout()
            }
        }
    }

    func run() {
        print("medsynth \(MedSynth.version): the latent diffusion notebook language. :help for help, :quit to leave.")
        LineEditor.completer = Completer(registry: session.interpreter.registry, names: [], commands: Self.commands.map(\.name))
        LineEditor.start(historyFile: historyFile)
        Interrupts.installForPrompt(session.context.cancellation)
        while let entry = readEntry() {
            LineEditor.remember(entry, historyFile: historyFile)
            let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix(":") {
                if !command(trimmed) { break }
            } else {
                evaluate(entry)
            }
            LineEditor.completer?.names = session.interpreter.globalOrder
        }
        print("")
    }

    /// One statement, read over as many lines as it needs; nil at end of input.
    func readEntry() -> String? {
        var lines: [String] = []
        var generation = Interrupts.count
        while true {
            let prompt = lines.isEmpty ? LineEditor.primaryPrompt : "      ... "
            guard let line = LineEditor.readLine(prompt: prompt) else {
                return lines.isEmpty ? nil : lines.joined(separator: "\n")
            }
            // A Ctrl-C while typing abandons the lines entered before it (the prompt went back
            // to a new entry's); the line typed after it starts a new entry.
            if Interrupts.count != generation {
                lines = []
                generation = Interrupts.count
            }
            lines.append(line)
            let text = lines.joined(separator: "\n")
            if text.trimmingCharacters(in: .whitespaces).hasPrefix(":") || !Parser.needsMoreInput(text) {
                return text
            }
        }
    }

    func evaluate(_ text: String) {
        let clock = ContinuousClock()
        let start = clock.now
        let interruptions = Interrupts.count
        Interrupts.running = true
        let report = session.run(text, name: "<repl>", firstLine: entryLine) { print($0) }
        Interrupts.running = false
        entryLine += text.split(separator: "\n", omittingEmptySubsequences: false).count
        if let diagnostic = report.diagnostic {
            // The terminal has echoed ^C where the cursor was: the message starts a line of its own.
            if Interrupts.count != interruptions { print("") }
            print(diagnostic)
        }
        if timing {
            let elapsed = clock.now - start
            print(String(format: "(%.3f s)", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        }
        medsynth_flush_stdout()
    }

    /// Runs a colon command; false means leave.
    func command(_ text: String) -> Bool {
        guard let words = Self.words(of: text) else {
            print("error: a quote is not closed: \(text)")
            return true
        }
        let name = words[0]
        let arguments = Array(words.dropFirst())
        switch name {
        case ":quit", ":q", ":exit":
            return false
        case ":help", ":h":
            print(help(arguments.first))
        case ":vars":
            let table = session.variables()
            print(table.rows.isEmpty ? "no names are bound" : table.description)
        case ":time":
            timing.toggle()
            print("timing is \(timing ? "on" : "off")")
        case ":reset":
            session.reset()
            do {
                session.adoptLibrary(of: try SessionSetup.makeSession(outputDirectory: outputDirectory, seed: seed, previews: previews) { _ in })
            } catch {
                print("error: \(error)")
            }
            print("every name is forgotten")
        case ":load", ":run":
            guard let path = arguments.first else {
                print("error: \(name) needs a file: \(name) FILE\(name == ":run" ? " [LABEL]" : "")")
                return true
            }
            if name == ":run" {
                runNotebook(path, through: arguments.dropFirst().first)
            } else {
                load(path)
            }
        case ":cache":
            cacheCommand(arguments)
        case ":memory":
            memoryCommand(arguments.first)
        default:
            let hint = Suggestions.didYouMean(name, among: Self.commands.map(\.name)).map { " (\($0))" } ?? ""
            print("error: unknown command \(name)\(hint); :help lists them")
        }
        medsynth_flush_stdout()
        return true
    }

    /// Shows the memory budget, or sets it to `size` ("8G", "512M", bytes).
    func memoryCommand(_ size: String?) {
        if let size {
            guard let bytes = MemoryBudget.parseSize(size) else {
                print("error: :memory takes a size such as 8G, 512M or a number of bytes, not '\(size)'")
                return
            }
            MemoryBudget.limit = bytes
        }
        let inUse = MemoryBudget.residentBytes().map { ", \(MemoryBudget.formatSize($0)) in use now" } ?? ""
        print("the memory budget is \(MemoryBudget.formatSize(MemoryBudget.limit))\(inUse): "
              + "an allocation that would go over it is refused")
    }

    /// Runs a file's cells in this session, without the cache: its statements may read the
    /// names bound here.
    func load(_ path: String) {
        do {
            let document = try NotebookDocument.load(path: path)
            Interrupts.running = true
            defer { Interrupts.running = false }
            // The front matter's parameters are bound first, as a run binds them.
            for parameter in document.frontMatter.parameters {
                let report = session.run("\(parameter.name) = \(parameter.value)", name: "\(path), parameter \(parameter.name)", firstLine: parameter.line) { print($0) }
                if let diagnostic = report.diagnostic {
                    print(diagnostic)
                    return
                }
            }
            for (index, cell) in document.cells.enumerated() {
                // Each cell's run clears the Ctrl-C flag as it starts, so one pressed between
                // two cells is looked at here, or it would be lost.
                if index > 0, session.context.cancellation.isCancelled {
                    print("stopped (Ctrl-C) after \(index) of \(document.cells.count) cells of \(path)")
                    return
                }
                let report = session.run(cell.code, name: "\(path), cell \(cell.label)", firstLine: cell.firstLine) { print($0) }
                if let diagnostic = report.diagnostic {
                    print(diagnostic)
                    return
                }
            }
            print("ran \(document.cells.count) \(document.cells.count == 1 ? "cell" : "cells") of \(path)")
        } catch {
            print("\(error)")
        }
    }

    /// Runs a notebook as `medsynth run` does: in a session of its own (it reads none of the
    /// names bound here) with the cache, so that what an earlier run computed is not computed
    /// again; then binds here every name it bound.
    func runNotebook(_ path: String, through label: String?) {
        do {
            let document = try NotebookDocument.load(path: path)
            if let label, !document.cells.contains(where: { $0.label == label }) {
                let labels = document.cells.map(\.label)
                print("error: \(path) has no cell {#\(label)}\(Suggestions.didYouMean(label, among: labels).map { "; \($0)" } ?? "")")
                return
            }
            let cache = cacheGiven || cacheDirectory == nil ? cacheDirectory : CacheOptions.defaultDirectory(for: path)
            var options = try CacheOptions.runnerOptions(cacheDirectory: cache, outputDirectory: outputDirectory)
            options.lastCell = label
            options.cancellation = session.context.cancellation
            options.progress = { line in
                print(line)
                medsynth_flush_stdout()
            }
            options.warning = { print($0) }
            Interrupts.running = true
            defer { Interrupts.running = false }
            let result = try NotebookRunner(options: options).run(document)
            for expectation in result.failedExpectations { print(Session.describeFailure(expectation)) }
            if let diagnostic = result.diagnostic { print(diagnostic) }
            for (name, value) in result.bindings { session.define(name, value) }
            let statements = result.cells.flatMap(\.statements)
            let cached = statements.filter { $0.source == .cached }.count
            let names = result.bindings.map(\.name)
            print("ran \(result.cells.count) of \(document.cells.count) cells of \(path) in \(String(format: "%.2f", result.seconds)) s, "
                + "\(cached) of \(statements.count) statements from the cache; bound: \(names.isEmpty ? "nothing" : names.joined(separator: ", "))")
        } catch {
            print("\(error)")
        }
    }

    /// `:cache` describes the cache (folder, entries and size by notebook); `:cache clear`
    /// removes every entry.
    func cacheCommand(_ arguments: [String]) {
        guard let directory = cacheDirectory else {
            print("the cache is off (medsynth repl --no-cache)")
            return
        }
        guard arguments.isEmpty || arguments == ["clear"] else {
            print("error: :cache takes nothing or 'clear', not '\(arguments.joined(separator: " "))'")
            return
        }
        guard FileManager.default.fileExists(atPath: directory) else {
            print("no cache yet at \(directory)")
            return
        }
        do {
            let cache = try TensorCache(directory: directory)
            let megabytes = { (bytes: Int) in String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
            if arguments == ["clear"] {
                let (count, bytes) = (cache.valueEntries.count, cache.totalBytes)
                try cache.clear()
                print("removed \(count) \(count == 1 ? "entry" : "entries") (\(megabytes(bytes))) from \(directory)")
                return
            }
            let entries = cache.valueEntries
            print("cache \(directory): \(entries.count) entries, \(megabytes(cache.totalBytes)) of \(megabytes(cache.capacity))")
            // By notebook: an entry's origin is "path#label/stream".
            let byNotebook = Dictionary(grouping: entries.values) { entry in
                entry.origin.firstIndex(of: "#").map { String(entry.origin[..<$0]) } ?? entry.origin
            }
            for (notebook, entries) in byNotebook.sorted(by: { $0.key < $1.key }) {
                print("  \(notebook): \(entries.count) \(entries.count == 1 ? "entry" : "entries"), \(megabytes(entries.reduce(0) { $0 + $1.bytes }))")
            }
        } catch {
            print("\(error)")
        }
    }

    /// A colon command's words, split at white space; a word in double quotes may hold spaces
    /// (`:run "my notes.medsynth"`); nil if a quote is not closed.
    static func words(of text: String) -> [String]? {
        var words: [String] = []
        var word: String?
        var quoted = false
        for character in text {
            if character == "\"" {
                quoted.toggle()
                word = word ?? ""
            } else if character.isWhitespace, !quoted {
                if let finished = word { words.append(finished) }
                word = nil
            } else {
                word = (word ?? "") + String(character)
            }
        }
        if quoted { return nil }
        if let finished = word { words.append(finished) }
        return words
    }

    /// `:help`: a page that fits a terminal (statements, commands, the groups of verbs, the
    /// library's functions); `:help verbs`, `:help functions` or a group's name list one part in
    /// full; `:help NAME` shows one verb or function.
    func help(_ topic: String?) -> String {
        let registry = session.interpreter.registry
        let functions = ((try? SessionSetup.standardLibrary().sources) ?? StandardLibrary.builtIn)
            .flatMap { LibraryFunction.documented(in: $0.text, file: $0.name) }
        let groups = Verb.Category.allCases.filter { category in registry.verbs.contains { $0.category == category } }
        func verbList(_ categories: [Verb.Category]) -> [String] {
            var lines: [String] = []
            for category in categories {
                let verbs = registry.verbs.filter { $0.category == category }
                lines += ["", "\(category.rawValue):"]
                let width = verbs.map(\.name.count).max() ?? 0
                lines += verbs.map { "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.summary)" }
            }
            return lines
        }
        if let topic {
            if let verb = registry[topic] { return verb.help }
            if let function = functions.first(where: { $0.name == topic }) { return function.help }
            if topic == "verbs" { return verbList(groups).dropFirst().joined(separator: "\n") }
            if topic == "functions" {
                let width = functions.map(\.usage.count).max() ?? 0
                return (["Functions of the standard library (stdlib/):"]
                    + functions.map { "  \($0.usage.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.documentation)" })
                    .joined(separator: "\n")
            }
            let matching = groups.filter { $0.rawValue.lowercased().contains(topic.lowercased()) }
            if !matching.isEmpty { return verbList(matching).dropFirst().joined(separator: "\n") }
            let names = registry.names + functions.map(\.name) + ["verbs", "functions"]
            return "no verb, function or group '\(topic)'" + (Suggestions.didYouMean(topic, among: names).map { "; \($0)" } ?? "")
        }
        var lines = [
            "Statements:  name = expression,  expression,  expect condition,  def f x = ...,",
            "             for x in xs do ... end,  if c do ... elif c do ... else ... end",
            "Values:      if c then a else b,  fn x -> x * 2,  \"text {x:.2f}\"",
            "", "Commands:",
        ]
        lines += Self.commands.map { "  " + $0.help }
        lines += ["", "Verbs, by group (:help verbs lists them all, :help GROUP one group, e.g. :help diffusion):"]
        for category in groups {
            let names = registry.verbs.filter { $0.category == category }.map(\.name)
            let shown = names.prefix(7).joined(separator: ", ") + (names.count > 7 ? ", …" : "")
            lines.append("  \(category.rawValue) (\(names.count)): \(shown)")
        }
        lines += ["", "Functions of the standard library (:help functions): " + functions.map(\.name).joined(separator: ", "),
                  "", ":help NAME shows a verb's or a function's parameters and an example."]
        return lines.joined(separator: "\n")
    }
}
