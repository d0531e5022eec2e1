import Foundation
import Formats
import Language

/// A `.medsynth` notebook: Markdown prose and code cells fenced ```` ```medsynth {#label key=value} ````,
/// with optional front matter between `---` lines (title, seed, tolerances, parameters).
public struct NotebookDocument: Sendable {
    /// A name bound before the first cell, with a literal value that `--set name=value` may
    /// replace (a training notebook's step count, say, which CI shortens).
    public struct Parameter: Sendable, Equatable {
        public var name: String
        /// The value as medsynth source: a number, string, bool, or a list of them.
        public var value: String
        /// Its line in the notebook.
        public var line: Int

        /// Checks that `value` is a literal and `name` a name; the message says what is wrong.
        public static func validate(name: String, value: String) -> String? {
            guard let first = name.first, first.isLetter || first == "_",
                  name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                  !Token.Keyword.allCases.map(\.rawValue).contains(name) else {
                return "'\(name)' is not a name a parameter can have"
            }
            let source = SourceFile(name: "parameter \(name)", text: "\(name) = \(value)")
            // A value that does not parse says why (too deeply nested lists, say); one that
            // parses to something else is not a literal.
            let statements: [Statement]
            do {
                statements = try Parser.parse(source)
            } catch {
                return "the parameter '\(name)' has no valid value: \(error.message)"
            }
            guard statements.count == 1, case .binding(_, _, let expression, _) = statements[0], isLiteral(expression) else {
                let shown = value.count > 60 ? value.prefix(60) + "…" : value[...]
                return "the parameter '\(name)' needs a literal value (a number, a \"string\", true/false, or a list of them), not '\(shown)'"
            }
            return nil
        }

        static func isLiteral(_ expression: Language.Expression) -> Bool {
            switch expression {
            case .number, .string, .bool: return true
            case .unary(.negate, .number, _): return true
            case .list(let items, _): return items.allSatisfy(isLiteral)
            default: return false
            }
        }
    }

    /// What the front matter sets.
    public struct FrontMatter: Sendable, Equatable {
        public var title: String?
        /// Shown under the report's heading.
        public var author: String?
        public var date: String?
        public var description: String?
        /// Whether the report lists the prose's headings (it does when there are two or more).
        public var tableOfContents = true
        /// The seed from which statements without a `seed` option derive theirs.
        public var seed: UInt64 = 0
        /// The tolerances of `~` without `+-`.
        public var absoluteTolerance = 1e-8
        public var relativeTolerance = 1e-5
        /// Names bound before the first cell (`parameters:` followed by indented `name: value` lines).
        public var parameters: [Parameter] = []

        public init() {}
    }

    public struct Cell: Sendable {
        /// `{#label}`, or "cell-N" (its position) when the fence gives none.
        public var label: String
        /// Whether the fence named the label (random streams of unlabelled cells are keyed by
        /// binding alone, so that inserting a cell changes nothing else).
        public var isLabelled: Bool
        public var options: [String: String]
        public var code: String
        /// The line of the cell's first code line in the file.
        public var firstLine: Int
        /// The line of its opening fence.
        public var fenceLine: Int

        /// `cache=false` in the fence: the cell always runs.
        public var isCached: Bool { options["cache"] != "false" }
        /// `echo=false`: the report shows the cell's outputs but not its code.
        public var showsCode: Bool { options["echo"] != "false" }
        /// `fold=true`: the report shows the code folded away, opened by a click.
        public var foldsCode: Bool { options["fold"] == "true" }
    }

    public enum Block: Sendable {
        case prose(String)
        case cell(Cell)
    }

    public var path: String
    public var frontMatter: FrontMatter
    public var blocks: [Block]

    public var cells: [Cell] {
        blocks.compactMap { if case .cell(let cell) = $0 { return cell } else { return nil } }
    }

    /// The cell options a fence may set.
    public static let cellOptions: Set<String> = ["cache", "echo", "fold"]

    public init(path: String) throws(NotebookError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookError(path: path, line: nil, "cannot read the notebook")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw NotebookError(path: path, line: nil, "the notebook is not UTF-8 text")
        }
        try self.init(text: text, path: path)
    }

    /// A notebook, or a plain script (no ```medsynth fences) as a notebook of one cell.
    /// The largest notebook read: far beyond any real one, small enough to hold.
    public static let maximumBytes = 64 << 20

    public static func load(path: String) throws(NotebookError) -> NotebookDocument {
        var data: [UInt8] = []
        let complete: Bool
        do {
            complete = try RegularFile.readPieces(path) { piece in
                data += piece
                return data.count <= maximumBytes
            }
        } catch let error as FormatError {
            throw NotebookError(path: path, line: nil, error.message)
        } catch {
            throw NotebookError(path: path, line: nil, "cannot be read: \(error)")
        }
        guard complete else {
            throw NotebookError(path: path, line: nil, "is larger than a notebook may be (\(maximumBytes >> 20) MiB)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw NotebookError(path: path, line: nil, "is not UTF-8 text")
        }
        guard text.contains("```medsynth") else {
            return NotebookDocument(
                path: path, frontMatter: FrontMatter(),
                blocks: [.cell(Cell(label: "script", isLabelled: true, options: [:], code: text, firstLine: 1, fenceLine: 1))])
        }
        return try NotebookDocument(text: text, path: path)
    }

    init(path: String, frontMatter: FrontMatter, blocks: [Block]) {
        self.path = path
        self.frontMatter = frontMatter
        self.blocks = blocks
    }

    public init(text: String, path: String) throws(NotebookError) {
        self.path = path
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        frontMatter = FrontMatter()
        if lines.first == "---" {
            guard let close = lines.dropFirst().firstIndex(of: "---") else {
                throw NotebookError(path: path, line: 1, "the front matter opened here has no closing '---'")
            }
            frontMatter = try Self.frontMatter(lines[1..<close], path: path)
            index = close + 1
        }
        var blocks: [Block] = []
        var prose: [String] = []
        var labels: Set<String> = []
        func flushProse() {
            let text = prose.joined(separator: "\n").trimmingCharacters(in: .newlines)
            if !text.isEmpty { blocks.append(.prose(text)) }
            prose = []
        }
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```medsynth") else {
                prose.append(line)
                index += 1
                continue
            }
            flushProse()
            let fenceLine = index + 1
            let (label, options) = try Self.fence(String(line.dropFirst("```medsynth".count)), path: path, line: fenceLine)
            var end = index + 1
            while end < lines.count, lines[end].trimmingCharacters(in: .whitespaces) != "```" {
                if lines[end].hasPrefix("```medsynth") {
                    throw NotebookError(path: path, line: fenceLine, "the cell opened here is not closed before the next one (line \(end + 1))")
                }
                end += 1
            }
            guard end < lines.count else {
                throw NotebookError(path: path, line: fenceLine, "the cell opened here has no closing ```")
            }
            let cellLabel = label ?? "cell-\(blocks.filter { if case .cell = $0 { return true } else { return false } }.count + 1)"
            guard labels.insert(cellLabel).inserted else {
                throw NotebookError(path: path, line: fenceLine, "the label '\(cellLabel)' is used by an earlier cell")
            }
            blocks.append(.cell(Cell(
                label: cellLabel, isLabelled: label != nil, options: options,
                code: lines[(index + 1)..<end].joined(separator: "\n"), firstLine: index + 2, fenceLine: fenceLine)))
            index = end + 1
        }
        flushProse()
        self.blocks = blocks
    }

    static let frontMatterKeys = ["title", "author", "date", "description", "toc", "seed", "tolerance", "relative_tolerance", "parameters"]

    /// `key: value` lines, YAML's subset: after `parameters:`, indented `name: value` lines; a
    /// `#` at the start of a line or after a space outside quotes starts a comment; text values
    /// may be quoted.
    static func frontMatter(_ lines: ArraySlice<String>, path: String) throws(NotebookError) -> FrontMatter {
        var matter = FrontMatter()
        var inParameters = false
        for (offset, fullLine) in zip(lines.indices, lines) {
            let line = withoutComment(fullLine)
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let lineNumber = offset + 1
            guard let colon = line.firstIndex(of: ":") else {
                throw NotebookError(path: path, line: lineNumber, "front matter lines are 'key: value'")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if line.first == " " || line.first == "\t" {
                guard inParameters else {
                    throw NotebookError(path: path, line: lineNumber, "an indented line belongs under 'parameters:'")
                }
                if let problem = Parameter.validate(name: key, value: value) {
                    throw NotebookError(path: path, line: lineNumber, problem)
                }
                guard !matter.parameters.contains(where: { $0.name == key }) else {
                    throw NotebookError(path: path, line: lineNumber, "the parameter '\(key)' is declared twice")
                }
                matter.parameters.append(Parameter(name: key, value: value, line: lineNumber))
                continue
            }
            inParameters = false
            switch key {
            case "parameters":
                guard value.isEmpty else {
                    throw NotebookError(path: path, line: lineNumber, "parameters go on indented 'name: value' lines below 'parameters:'")
                }
                inParameters = true
            case "title": matter.title = unquoted(value)
            case "author": matter.author = unquoted(value)
            case "date": matter.date = unquoted(value)
            case "description": matter.description = unquoted(value)
            case "toc":
                guard value == "true" || value == "false" else {
                    throw NotebookError(path: path, line: lineNumber, "toc must be true or false, not '\(value)'")
                }
                matter.tableOfContents = value == "true"
            case "seed":
                guard let seed = UInt64(value) else {
                    throw NotebookError(path: path, line: lineNumber, "seed must be a whole number >= 0, not '\(value)'")
                }
                matter.seed = seed
            case "tolerance", "relative_tolerance":
                guard let tolerance = Double(value), tolerance >= 0 else {
                    throw NotebookError(path: path, line: lineNumber, "\(key) must be a number >= 0, not '\(value)'")
                }
                if key == "tolerance" { matter.absoluteTolerance = tolerance } else { matter.relativeTolerance = tolerance }
            default:
                let hint = Suggestions.didYouMean(key, among: frontMatterKeys).map { "; \($0)" } ?? ""
                throw NotebookError(path: path, line: lineNumber, "unknown front matter key '\(key)'\(hint)")
            }
        }
        return matter
    }

    /// The line without a YAML comment: from a `#` that starts the line or follows white space,
    /// outside quotes.
    static func withoutComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#", previous == " " || previous == "\t" {
                return String(line[..<index])
            }
            previous = character
        }
        return line
    }

    /// A text value without the quotes around it (`"..."` with `\"` and `\\` inside, or `'...'`
    /// with `''`); an unquoted value as it is.
    static func unquoted(_ value: String) -> String {
        guard value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" else { return value }
        let inner = value.dropFirst().dropLast()
        if first == "'" { return inner.replacingOccurrences(of: "''", with: "'") }
        var text = ""
        var escaped = false
        for character in inner {
            if escaped {
                text.append(character == "n" ? "\n" : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                text.append(character)
            }
        }
        return text
    }

    /// The label and options of `{#label key=value}` after ```medsynth.
    static func fence(_ text: String, path: String, line: Int) throws(NotebookError) -> (String?, [String: String]) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return (nil, [:]) }
        guard trimmed.hasPrefix("{"), trimmed.hasSuffix("}") else {
            throw NotebookError(path: path, line: line, "a cell's attributes are written {#label key=value}, not '\(trimmed)'")
        }
        var label: String?
        var options: [String: String] = [:]
        for word in trimmed.dropFirst().dropLast().split(separator: " ") {
            if word.hasPrefix("#") {
                let name = String(word.dropFirst())
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    throw NotebookError(path: path, line: line, "a label is letters, digits, '-' and '_', not '\(name)'")
                }
                label = name
            } else if let equals = word.firstIndex(of: "=") {
                let key = String(word[..<equals])
                guard cellOptions.contains(key) else {
                    let hint = Suggestions.didYouMean(key, among: cellOptions).map { "; \($0)" } ?? ""
                    throw NotebookError(path: path, line: line, "unknown cell option '\(key)'\(hint)")
                }
                let value = String(word[word.index(after: equals)...])
                guard value == "true" || value == "false" else {
                    throw NotebookError(path: path, line: line, "the cell option '\(key)' is true or false, not '\(value)'")
                }
                options[key] = value
            } else {
                throw NotebookError(path: path, line: line, "'\(word)' in a cell's attributes is neither #label nor key=value")
            }
        }
        return (label, options)
    }
}

/// A notebook that cannot be read, with the line where it goes wrong.
public struct NotebookError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, _ message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        "error: \(path)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
}
