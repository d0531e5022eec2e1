import ArgumentParser
import CReadline
import Diffusion
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
            lists the commands. Ctrl-C stops the running statement (training and sampling stop \
            at their next step) or clears the line; Ctrl-D or :quit leaves.
            """)

    @Option(help: "The folder for figures.")
    var out = "medsynth-out"

    @Option(help: "The session's seed.")
    var seed: UInt64 = 0

    @Option(help: "The history file (default: ~/.medsynth_history, or MEDSYNTH_HISTORY).")
    var history: String?

    func run() throws {
        let historyFile = history ?? ProcessInfo.processInfo.environment["MEDSYNTH_HISTORY"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".medsynth_history")
        let previews = isatty(STDOUT_FILENO) != 0
        let loop = try ReplLoop(outputDirectory: out, seed: seed, previews: previews, historyFile: historyFile)
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
    /// Lines entered so far, so that each entry's diagnostics name its own line numbers.
    var entryLine = 1

    static let commands: [(name: String, help: String)] = [
        (":help", ":help [verb]   the commands and verbs, or one verb's parameters and example"),
        (":vars", ":vars          the bound names: type, shape and memory"),
        (":load", ":load FILE     run a script or notebook into this session"),
        (":run", ":run FILE [LABEL]  run a notebook's cells, or only the cell {#LABEL}"),
        (":time", ":time          show how long each statement takes (toggles)"),
        (":reset", ":reset         forget every name (the standard library is loaded again)"),
        (":quit", ":quit          leave (Ctrl-D also leaves)"),
    ]

    init(outputDirectory: String, seed: UInt64, previews: Bool, historyFile: String) throws {
        self.outputDirectory = outputDirectory
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
        ReplSignals.install(session.context.cancellation)
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
        let generation = ReplSignals.interruptions
        while true {
            let prompt = lines.isEmpty ? "medsynth> " : "      ... "
            guard let line = LineEditor.readLine(prompt: prompt) else {
                return lines.isEmpty ? nil : lines.joined(separator: "\n")
            }
            // A Ctrl-C while typing abandons the lines entered before it.
            if ReplSignals.interruptions != generation, !lines.isEmpty {
                lines = []
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
        ReplSignals.running = true
        let report = session.run(text, name: "<repl>", firstLine: entryLine) { print($0) }
        ReplSignals.running = false
        entryLine += text.split(separator: "\n", omittingEmptySubsequences: false).count
        if let diagnostic = report.diagnostic {
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
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
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
                let fresh = try SessionSetup.makeSession(outputDirectory: outputDirectory, seed: seed, previews: previews) { _ in }
                for name in fresh.interpreter.globalOrder {
                    if let value = fresh.interpreter.globals[name] { session.interpreter.define(name, value) }
                }
            } catch {
                print("error: \(error)")
            }
            print("every name is forgotten")
        case ":load", ":run":
            guard let path = arguments.first else {
                print("error: \(name) needs a file: \(name) FILE\(name == ":run" ? " [LABEL]" : "")")
                return true
            }
            load(path, label: name == ":run" ? arguments.dropFirst().first : nil)
        default:
            let hint = Suggestions.didYouMean(name, among: Self.commands.map(\.name)).map { " (\($0))" } ?? ""
            print("error: unknown command \(name)\(hint); :help lists them")
        }
        medsynth_flush_stdout()
        return true
    }

    func load(_ path: String, label: String?) {
        do {
            let document = try NotebookDocument.load(path: path)
            let cells = label.map { label in document.cells.filter { $0.label == label } } ?? document.cells
            if let label, cells.isEmpty {
                let labels = document.cells.map(\.label)
                print("error: \(path) has no cell {#\(label)}\(Suggestions.didYouMean(label, among: labels).map { "; \($0)" } ?? "")")
                return
            }
            ReplSignals.running = true
            defer { ReplSignals.running = false }
            for cell in cells {
                let report = session.run(cell.code, name: "\(path), cell \(cell.label)", firstLine: cell.firstLine) { print($0) }
                if let diagnostic = report.diagnostic {
                    print(diagnostic)
                    return
                }
            }
            print("ran \(cells.count) \(cells.count == 1 ? "cell" : "cells") of \(path)")
        } catch {
            print("\(error)")
        }
    }

    func help(_ topic: String?) -> String {
        let registry = session.interpreter.registry
        if let topic {
            if let verb = registry[topic] { return verb.help }
            return "no verb '\(topic)'" + (Suggestions.didYouMean(topic, among: registry.names).map { "; \($0)" } ?? "")
        }
        var lines = ["Statements:  name = expression,  expression,  expect condition,  def f x = ...,  for x in xs do ... end",
                     "", "Commands:"]
        lines += Self.commands.map { "  " + $0.help }
        for category in Verb.Category.allCases {
            let verbs = registry.verbs.filter { $0.category == category }
            guard !verbs.isEmpty else { continue }
            lines += ["", "\(category.rawValue):"]
            let width = verbs.map(\.name.count).max() ?? 0
            lines += verbs.map { "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.summary)" }
        }
        lines += ["", ":help VERB shows a verb's parameters and an example."]
        return lines.joined(separator: "\n")
    }
}

/// Ctrl-C: while a statement runs it asks the statement to stop; at the prompt it clears the line.
enum ReplSignals {
    nonisolated(unsafe) static var running = false
    nonisolated(unsafe) static var interruptions = 0
    nonisolated(unsafe) static var flag: CancellationFlag?

    static func install(_ cancellation: CancellationFlag) {
        flag = cancellation
        signal(SIGINT) { _ in
            ReplSignals.interruptions += 1
            if ReplSignals.running {
                ReplSignals.flag?.cancel()
            } else {
                LineEditor.abandonLine()
            }
        }
    }
}
