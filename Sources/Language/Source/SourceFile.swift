/// The text of one script, notebook cell or REPL entry, with the offsets at which its lines
/// start so that any span can be turned into a line and a column.
public struct SourceFile: Sendable, Equatable {
    /// How diagnostics name the source: a path, "cell intro of notes.medsynth", or "<repl>".
    public let name: String
    /// The text, as Unicode scalars so that offsets are stable and columns count characters.
    public let text: [Unicode.Scalar]
    /// The line of `text[0]`: cells start at the line they occupy in their notebook.
    public let firstLine: Int
    private let lineStarts: [Int]

    public init(name: String, text: String, firstLine: Int = 1) {
        self.name = name
        self.text = Array(text.unicodeScalars)
        self.firstLine = firstLine
        var starts = [0]
        for (offset, scalar) in self.text.enumerated() where scalar == "\n" {
            starts.append(offset + 1)
        }
        lineStarts = starts
    }

    /// The 1-based line and column of an offset (the column counts characters).
    public func location(of offset: Int) -> (line: Int, column: Int) {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return (firstLine + low, offset - lineStarts[low] + 1)
    }

    /// The text of a line given by its number as `location(of:)` reports it, without its newline.
    public func line(_ number: Int) -> String {
        let index = number - firstLine
        guard lineStarts.indices.contains(index) else { return "" }
        let start = lineStarts[index]
        var end = start
        while end < text.count, text[end] != "\n" { end += 1 }
        return String(String.UnicodeScalarView(text[start..<end]))
    }

    /// The source text of a span.
    public func text(of span: SourceSpan) -> String {
        let start = max(0, min(span.start, text.count))
        let end = max(start, min(span.end, text.count))
        return String(String.UnicodeScalarView(text[start..<end]))
    }
}

/// A half-open range of offsets into one source file.
public struct SourceSpan: Sendable, Equatable, Hashable {
    public var start: Int
    public var end: Int

    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = end
    }

    /// The smallest span that covers both.
    public func through(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(min(start, other.start), max(end, other.end))
    }
}
