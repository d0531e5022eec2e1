import Ink

/// A notebook's Markdown prose as HTML that runs nothing: raw HTML in the prose is shown as
/// text, and only the HTML that Markdown itself makes reaches the report.
///
/// Notebooks are downloaded and shared, so their prose is untrusted. Two steps, each enough on
/// its own for what it covers:
///
/// 1. Before Ink: every `<` of the prose outside code becomes `&lt;`, so that a raw HTML block or
///    inline tag (`<script>`, `<img onerror=...>`, a comment) is text, as it was written. Ink
///    copies raw HTML through, and keeps entities as they are, so the browser shows `<`.
/// 2. After Ink: `HTMLAllowlist` rebuilds every tag of Ink's output from a short list of tags and
///    attributes and escapes anything else. This catches what step 1 cannot see: a link target
///    or an image's text that closes Ink's quotes (Ink inserts both unescaped), a
///    `javascript:` or `data:` URL, a code block's language that is not a word.
enum ProseHTML {
    /// The HTML of `markdown`.
    static func render(_ markdown: String) -> String {
        HTMLAllowlist.sanitise(MarkdownParser().html(from: escapingRawHTML(markdown)))
    }

    /// `markdown` with every `<` outside code written `&lt;`. Code is what Ink reads as code:
    /// a block fenced by a line of three or more backticks up to a line that starts with as many,
    /// and a span from a backtick to the next one on the same line (Ink escapes both itself, so
    /// an entity there would show as `&lt;`).
    static func escapingRawHTML(_ markdown: String) -> String {
        var lines: [String] = []
        var openFence: Int?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if let fence = openFence {
                if line.prefix(while: { $0 == "`" }).count == fence { openFence = nil }
                lines.append(String(line))
                continue
            }
            let ticks = line.drop(while: { $0 == " " || $0 == "\t" }).prefix(while: { $0 == "`" }).count
            if ticks >= 3 {
                openFence = ticks
                lines.append(String(line))
            } else {
                lines.append(escapingRawHTML(inLine: line))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One line of prose with `<` written `&lt;` outside code spans.
    private static func escapingRawHTML(inLine line: Substring) -> String {
        var output = ""
        var rest = line[...]
        while let character = rest.first {
            if character == "`", let close = rest.dropFirst().firstIndex(of: "`") {
                output += rest[...close]
                rest = rest[rest.index(after: close)...]
                continue
            }
            output += character == "<" ? "&lt;" : String(character)
            rest = rest.dropFirst()
        }
        return output
    }
}
