import Foundation

/// Tab completion for the REPL: verbs and bound names, a verb's options after the verb, file
/// paths inside a string, and the REPL's commands at the start of a line.
public struct Completer {
    public let registry: VerbRegistry
    /// Names bound in the session.
    public var names: [String]
    /// The REPL's own commands (":help", ":vars", ...).
    public var commands: [String]

    public init(registry: VerbRegistry, names: [String], commands: [String] = []) {
        self.registry = registry
        self.names = names
        self.commands = commands
    }

    /// The completions of the word that ends at the end of `line`, each the whole word.
    public func completions(of line: String) -> [String] {
        let scalars = Array(line.unicodeScalars)
        if let quote = openStringStart(scalars) {
            let partial = String(String.UnicodeScalarView(scalars[(quote + 1)...]))
            return paths(completing: partial)
        }
        var start = scalars.count
        while start > 0, Lexer.isNameContinue(scalars[start - 1]) { start -= 1 }
        // A REPL command: ":" at the start of the line.
        if start == 1, scalars[0] == ":" { start = 0 }
        let word = String(String.UnicodeScalarView(scalars[start...]))
        let before = String(String.UnicodeScalarView(scalars[..<start]))
        if word.hasPrefix(":") {
            return commands.filter { $0.hasPrefix(word) }.sorted()
        }
        if before.trimmingCharacters(in: .whitespaces).hasPrefix(":help") {
            return registry.names.filter { $0.hasPrefix(word) }
        }
        var candidates: Set<String>
        if let verb = enclosingVerb(before) {
            // After `verb ...`: its options (written `name=`), the words of its choices, and names.
            candidates = Set(names)
            for parameter in verb.parameters {
                if !parameter.isPositional { candidates.insert(parameter.name + "=") }
                if case .choice(let words) = parameter.kind, parameter.isPositional { candidates.formUnion(words) }
            }
        } else {
            candidates = Set(registry.names).union(names)
            candidates.formUnion(Token.Keyword.allCases.map(\.rawValue))
        }
        guard !word.isEmpty else { return [] }
        return candidates.filter { $0.hasPrefix(word) && $0 != word }.sorted()
    }

    /// The offset of the quote that opens a string still open at the end of the line.
    private func openStringStart(_ scalars: [Unicode.Scalar]) -> Int? {
        var open: Int?
        var index = 0
        var inComment = false
        while index < scalars.count {
            let scalar = scalars[index]
            if inComment { break }
            if open != nil {
                if scalar == "\\" { index += 2; continue }
                if scalar == "\"" { open = nil }
            } else if scalar == "\"" {
                open = index
            } else if scalar == "-", index + 1 < scalars.count, scalars[index + 1] == "-" {
                inComment = true
            }
            index += 1
        }
        return open
    }

    /// The verb whose arguments the text ends among: the head of the innermost open
    /// parenthesis, or of the statement (`x = verb ...`).
    private func enclosingVerb(_ text: String) -> Verb? {
        guard let tokens = try? Lexer.tokens(of: SourceFile(name: "<completion>", text: text)) else { return nil }
        // One entry per open parenthesis, the statement's own first: the verb applied there.
        var heads: [Verb?] = [nil]
        var expectHead = true
        for token in tokens {
            switch token.kind {
            case .symbol(.leftParen), .symbol(.leftBracket):
                heads.append(nil)
                expectHead = true
            case .symbol(.rightParen), .symbol(.rightBracket):
                if heads.count > 1 { heads.removeLast() }
                expectHead = false
            case .symbol(.assign) where heads.last! == nil, .newline, .keyword(.expect), .keyword(.do), .keyword(.in):
                heads[heads.count - 1] = nil
                expectHead = true
            case .name(let name):
                if expectHead { heads[heads.count - 1] = registry[name] }
                expectHead = false
            case .end:
                break
            default:
                expectHead = heads.last! == nil
            }
        }
        return heads.last ?? nil
    }

    /// Files and folders whose path starts with `partial` (folders end with "/").
    private func paths(completing partial: String) -> [String] {
        let directory: String
        let prefix: String
        if let slash = partial.lastIndex(of: "/") {
            directory = String(partial[...slash])
            prefix = String(partial[partial.index(after: slash)...])
        } else {
            directory = ""
            prefix = partial
        }
        let folder = directory.isEmpty ? "." : (directory as NSString).expandingTildeInPath
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return entries.filter { $0.hasPrefix(prefix) && (!$0.hasPrefix(".") || prefix.hasPrefix(".")) }.sorted().map { entry in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(entry), isDirectory: &isDirectory)
            return directory + entry + (isDirectory.boolValue ? "/" : "")
        }
    }
}
