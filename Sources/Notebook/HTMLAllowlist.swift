import Language

/// Rebuilds HTML from a short list of tags and attributes: those cmark-gfm makes from Markdown.
///
/// Every tag of the input is parsed and written again: a tag on the list keeps only its listed
/// attributes whose values pass their check (URLs: http, https, mailto or relative; a code
/// block's language: a word), each re-quoted; any other tag, a comment, or a `<` that starts no
/// tag is escaped and shows as text. Text between tags is kept as it is: cmark has escaped it.
enum HTMLAllowlist {
    /// What an attribute's value must be to be kept.
    private enum ValueCheck {
        case url, word, number, alignment, text
    }

    /// The tags kept and the attributes each may carry.
    private static let tags: [String: [String: ValueCheck]] = {
        var tags: [String: [String: ValueCheck]] = [:]
        for plain in ["p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "s", "del", "pre", "ul", "li",
                      "blockquote", "hr", "br", "table", "thead", "tbody", "tr"] {
            tags[plain] = [:]
        }
        tags["a"] = ["href": .url, "title": .text]
        tags["img"] = ["src": .url, "alt": .text, "title": .text]
        tags["code"] = ["class": .word]
        tags["ol"] = ["start": .number]
        tags["th"] = ["align": .alignment]
        tags["td"] = ["align": .alignment]
        return tags
    }()

    /// Elements without content or closing tag.
    private static let voidTags: Set<String> = ["hr", "br", "img"]

    /// The longest tag read as one: a quote left open by a hostile link would otherwise make
    /// every later tag scan to the end of the page. A longer tag is shown as text.
    private static let maximumTagLength = 16_384

    /// `html` with every tag rebuilt from the list, and everything else shown as text.
    static func sanitise(_ html: String) -> String {
        var output = ""
        var rest = html[...]
        while let open = rest.firstIndex(of: "<") {
            output += rest[..<open]
            rest = rest[open...]
            if let (tag, after) = Tag.parse(rest.prefix(maximumTagLength)) {
                output += rebuild(tag) ?? NotebookReport.escape(String(rest[..<after]))
                rest = rest[after...]
            } else {
                output += "&lt;"
                rest = rest.dropFirst()
            }
        }
        return output + rest
    }

    /// The tag as written again, or nil if it is not on the list.
    private static func rebuild(_ tag: Tag) -> String? {
        guard let allowed = tags[tag.name] else { return nil }
        if tag.isClosing { return voidTags.contains(tag.name) ? "" : "</\(tag.name)>" }
        var text = "<" + tag.name
        for (name, value) in tag.attributes {
            guard let check = allowed[name], passes(value, check) else { continue }
            text += " \(name)=\"\(escapeAttribute(value))\""
        }
        return text + ">"
    }

    private static func passes(_ value: String, _ check: ValueCheck) -> Bool {
        switch check {
        case .text: return true
        case .number: return !value.isEmpty && value.allSatisfy(\.isASCII) && value.allSatisfy(\.isNumber)
        case .alignment: return ["left", "center", "right"].contains(value)
        case .word:
            return value.hasPrefix("language-")
                && value.dropFirst("language-".count).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-_.#".contains($0)) }
        case .url: return isSafeURL(value)
        }
    }

    /// http, https and mailto URLs, and relative ones. The part before the first '/', '?' or '#'
    /// holds the scheme if it has a ':'; an entity or white space there could hide one from this
    /// check and not from a browser (`java&#115;cript:`, `java\tscript:`), so it is refused.
    static func isSafeURL(_ value: String) -> Bool {
        let head = value.prefix { !"/?#".contains($0) }
        guard !head.contains(where: { $0 == "&" || $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } == true }) else {
            return false
        }
        guard let colon = head.firstIndex(of: ":") else { return true }
        return ["http", "https", "mailto"].contains(head[..<colon].lowercased())
    }

    /// A value inside double quotes: only `"` could end it, and `<` and `>` are escaped besides;
    /// entities cmark wrote into the value (an image's text) stay entities.
    /// Scalar by scalar, as `NotebookReport.escape` (a quote with a combining mark is a quote).
    private static func escapeAttribute(_ value: String) -> String {
        value.replacingScalars(["\"": "&quot;", "<": "&lt;", ">": "&gt;"])
    }

    /// A start or end tag as a browser reads it: a name, then attributes, to the first `>` that is
    /// not inside a quoted value.
    private struct Tag {
        var name: String
        var isClosing: Bool
        var attributes: [(name: String, value: String)]

        /// The tag at the start of `text` (which starts with '<') and where it ends; nil if no
        /// tag starts there (a comment, `<!DOCTYPE`, a lone `<`, or no closing `>`).
        static func parse(_ text: Substring) -> (Tag, Substring.Index)? {
            var rest = text.dropFirst()
            let isClosing = rest.first == "/"
            if isClosing { rest = rest.dropFirst() }
            guard let first = rest.first, first.isASCII, first.isLetter else { return nil }
            let name = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
            rest = rest.dropFirst(name.count)
            var attributes: [(name: String, value: String)] = []
            while true {
                rest = rest.drop { $0.isWhitespace || $0 == "/" }
                guard let next = rest.first else { return nil }
                if next == ">" {
                    return (Tag(name: name.lowercased(), isClosing: isClosing, attributes: attributes), rest.index(after: rest.startIndex))
                }
                let attribute = rest.prefix { !$0.isWhitespace && !"\"'>/=".contains($0) }
                guard !attribute.isEmpty else { return nil }
                rest = rest.dropFirst(attribute.count).drop(while: \.isWhitespace)
                var value = ""
                if rest.first == "=" {
                    rest = rest.dropFirst().drop(while: \.isWhitespace)
                    if let quote = rest.first, quote == "\"" || quote == "'" {
                        guard let close = rest.dropFirst().firstIndex(of: quote) else { return nil }
                        value = String(rest[rest.index(after: rest.startIndex)..<close])
                        rest = rest[rest.index(after: close)...]
                    } else {
                        let unquoted = rest.prefix { !$0.isWhitespace && $0 != ">" }
                        value = String(unquoted)
                        rest = rest.dropFirst(unquoted.count)
                    }
                }
                attributes.append((attribute.lowercased(), value))
            }
        }
    }
}
