import CReadline
import Foundation
import Language

/// readline: line editing, a history file, and tab completion through a `Completer`. readline's
/// callbacks are C function pointers and cannot capture, so the completer lives in a static.
enum LineEditor {
    nonisolated(unsafe) static var completer: Completer?
    nonisolated(unsafe) private static var candidates: [String] = []

    /// Sets up completion and loads the history file.
    static func start(historyFile: String) {
        // Word breaks: white space, brackets, operators; '"' so that paths complete inside strings.
        medsynth_readline_setup(strdup("medsynth"), strdup(" \t\n()[]{},=+-*/^<>~\"")) { text, _, end in
            guard let text, let buffer = medsynth_line_buffer() else { return nil }
            // The line up to the cursor gives the context; readline replaces the word `text`.
            let bytes = Array(String(cString: buffer).utf8.prefix(Int(end)))
            let prefix = String(decoding: bytes, as: UTF8.self)
            let word = String(cString: text)
            LineEditor.candidates = (LineEditor.completer?.completions(of: prefix) ?? []).filter { $0.hasPrefix(word) }
            // No space after "sigma=" or a folder's "/": the user goes on typing.
            let only = LineEditor.candidates.count == 1 ? LineEditor.candidates[0] : ""
            medsynth_completion_done(only.hasSuffix("=") || only.hasSuffix("/") ? 1 : 0)
            return rl_completion_matches(text) { _, state in
                let index = Int(state)
                guard index < LineEditor.candidates.count else { return nil }
                return strdup(LineEditor.candidates[index])
            }
        }
        using_history()
        read_history(historyFile)
        stifle_history(2000)
    }

    /// One line, or nil at end of input (Ctrl-D).
    static func readLine(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// Adds an entry (a whole statement, possibly several lines) to the history and saves it.
    static func remember(_ entry: String, historyFile: String) {
        guard !entry.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        add_history(entry)
        write_history(historyFile)
    }

    /// The prompt of a new entry, which Ctrl-C returns to from a continuation line.
    nonisolated(unsafe) static var primaryPrompt = "medsynth> "

    /// At the prompt, Ctrl-C abandons the line being typed (and the entry's earlier lines, which
    /// the REPL drops) and shows a fresh prompt.
    static func abandonLine() {
        rl_set_prompt(primaryPrompt)
        rl_replace_line("", 0)
        FileHandle.standardOutput.write(Data("\n".utf8))
        rl_on_new_line()
        rl_redisplay()
    }
}
