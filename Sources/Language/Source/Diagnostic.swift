/// A message about the source, written for the person who reads it (after Elm's and Rust's
/// compilers): where, the line with the span underlined, what was expected and what was found,
/// and a hint when there is one.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var source: SourceFile
    public var span: SourceSpan
    /// What the language expected at the span, e.g. "a tensor of shape [N, 1, H, W]".
    public var expected: String?
    /// What it found there, e.g. "a tensor of shape [4, 64, 64]".
    public var found: String?
    /// A suggestion, e.g. "did you mean 'edges'?".
    public var hint: String?

    public init(
        _ message: String, at span: SourceSpan, in source: SourceFile,
        expected: String? = nil, found: String? = nil, hint: String? = nil
    ) {
        self.message = message
        self.source = source
        self.span = span
        self.expected = expected
        self.found = found
        self.hint = hint
    }

    /// "file:line:column".
    public var location: String {
        let (line, column) = source.location(of: span.start)
        return "\(source.name):\(line):\(column)"
    }

    public var line: Int { source.location(of: span.start).line }
    public var column: Int { source.location(of: span.start).column }

    /// The whole report: the message, the location, the source line with carets under the span,
    /// then expected, found and hint.
    public var description: String {
        let (line, column) = source.location(of: span.start)
        let text = source.line(line)
        let gutter = String(repeating: " ", count: String(line).count)
        // A span that runs past its first line is underlined to that line's end.
        let end = source.location(of: span.end)
        let lastColumn = end.line == line ? end.column : text.unicodeScalars.count + 1
        let carets = String(repeating: "^", count: max(1, lastColumn - column))
        var lines = [
            "error: \(message)",
            "\(gutter)--> \(source.name):\(line):\(column)",
            "\(gutter) |",
            "\(line) | \(text)",
            "\(gutter) | \(String(repeating: " ", count: column - 1))\(carets)",
        ]
        if let expected { lines.append("\(gutter) = expected \(expected)") }
        if let found { lines.append("\(gutter) = found \(found)") }
        if let hint { lines.append("\(gutter) = hint: \(hint)") }
        return lines.joined(separator: "\n")
    }
}

/// Words close to a misspelt one, for "did you mean" hints.
public enum Suggestions {
    /// The candidate nearest to `word` by edit distance, if it is near enough to be a typo:
    /// at most one edit for short words, two for longer ones, or a case-insensitive match.
    public static func nearest(to word: String, among candidates: some Sequence<String>) -> String? {
        let limit = word.count <= 4 ? 1 : 2
        let length = word.count
        var best: (candidate: String, distance: Int)?
        // The distance is at least the difference in length: a word far longer than every
        // candidate (a pasted line, say) is measured against none.
        for candidate in candidates where candidate != word && abs(candidate.count - length) <= limit {
            let distance = candidate.lowercased() == word.lowercased()
                ? 0 : editDistance(Array(word), Array(candidate))
            if distance <= limit, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// "did you mean 'x'?" or nil.
    public static func didYouMean(_ word: String, among candidates: some Sequence<String>) -> String? {
        nearest(to: word, among: candidates).map { "did you mean '\($0)'?" }
    }

    /// Damerau-Levenshtein distance (optimal string alignment): a swap of neighbours is one edit.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
