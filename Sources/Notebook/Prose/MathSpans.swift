/// Mathematics in prose: `$...$` inline and `$$...$$` displayed, taken out of the Markdown
/// before it is parsed, so that Markdown never reads TeX (`x_t` and `\alpha` would lose their
/// underscores and backslashes), and put back into the HTML as the TeX that was written.
///
/// The rules are pandoc's `tex_math_dollars`: an inline formula opens with a `$` followed by a
/// character that is not white space and closes with a `$` that follows one, and is not followed
/// by a digit (so "$5 and $10" is money); `\$` is a dollar sign; `$$` opens a displayed formula
/// that runs to the next `$$`. Neither kind crosses a blank line. Code (fenced blocks, indented
/// blocks after a blank line, and backtick spans) is left as it is.
struct MathSpans {
    struct Formula: Equatable {
        var tex: String
        var isDisplayed: Bool
    }

    /// The Markdown with each formula replaced by a placeholder.
    private(set) var markdown: String
    /// The formulas, in the order of their placeholders.
    private(set) var formulas: [Formula] = []

    /// Placeholders are private-use characters around the formula's number: text to Markdown,
    /// copied through to the HTML unchanged. The same characters in the prose itself are replaced.
    static let open: Character = "\u{E000}"
    static let close: Character = "\u{E001}"

    static func placeholder(_ index: Int) -> String { "\(open)\(index)\(close)" }

    init(extractingFrom prose: String) {
        let cleaned = String(prose.map { $0 == Self.open || $0 == Self.close ? "\u{FFFD}" : $0 })
        var output = ""
        var paragraph: [Substring] = []
        var fence: (marker: Character, length: Int)?
        var previousBlank = true
        var inIndentedCode = false
        var formulas: [Formula] = []

        func flush() {
            guard !paragraph.isEmpty else { return }
            output += Self.replacing(in: paragraph.joined(separator: "\n"), formulas: &formulas)
            output += "\n"
            paragraph = []
        }

        for line in cleaned.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix { $0 == " " }.count
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                output += line + "\n"
                let run = trimmed.prefix { $0 == open.marker }.count
                if indent < 4, run >= open.length, trimmed.dropFirst(run).allSatisfy(\.isWhitespace) { fence = nil }
                continue
            }
            if indent < 4, let marker = trimmed.first, marker == "`" || marker == "~" {
                let run = trimmed.prefix { $0 == marker }.count
                if run >= 3, marker == "~" || !trimmed.dropFirst(run).contains("`") {
                    flush()
                    fence = (marker, run)
                    output += line + "\n"
                    previousBlank = false
                    continue
                }
            }
            if trimmed.isEmpty {
                flush()
                output += line + "\n"
                previousBlank = true
                continue
            }
            if indent >= 4, paragraph.isEmpty, previousBlank || inIndentedCode {
                output += line + "\n"
                inIndentedCode = true
                previousBlank = false
                continue
            }
            inIndentedCode = false
            paragraph.append(line)
            previousBlank = false
        }
        flush()
        if output.hasSuffix("\n"), !cleaned.hasSuffix("\n") { output.removeLast() }
        self.markdown = output
        self.formulas = formulas
    }

    /// One paragraph's text with its formulas replaced.
    private static func replacing(in text: String, formulas: inout [Formula]) -> String {
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "\\", index + 1 < characters.count {
                output.append(character)
                output.append(characters[index + 1])
                index += 2
                continue
            }
            if character == "`" {
                // A code span: a run of backticks to the next run of the same length.
                let run = characters[index...].prefix { $0 == "`" }.count
                if let end = closingRun(of: run, in: characters, from: index + run) {
                    output += String(characters[index..<(end + run)])
                    index = end + run
                } else {
                    output += String(repeating: "`", count: run)
                    index += run
                }
                continue
            }
            if character == "$" {
                if index + 1 < characters.count, characters[index + 1] == "$" {
                    if let end = closingDisplay(in: characters, from: index + 2) {
                        formulas.append(Formula(tex: String(characters[(index + 2)..<end]).trimmed, isDisplayed: true))
                        output += placeholder(formulas.count - 1)
                        index = end + 2
                        continue
                    }
                } else if let end = closingInline(in: characters, from: index + 1) {
                    formulas.append(Formula(tex: String(characters[(index + 1)..<end]), isDisplayed: false))
                    output += placeholder(formulas.count - 1)
                    index = end + 1
                    continue
                }
            }
            output.append(character)
            index += 1
        }
        return output
    }

    private static func closingRun(of length: Int, in characters: [Character], from start: Int) -> Int? {
        var index = start
        while index < characters.count {
            guard characters[index] == "`" else { index += 1; continue }
            let run = characters[index...].prefix { $0 == "`" }.count
            if run == length { return index }
            index += run
        }
        return nil
    }

    private static func closingDisplay(in characters: [Character], from start: Int) -> Int? {
        var index = start
        while index + 1 < characters.count {
            if characters[index] == "\\" { index += 2; continue }
            if characters[index] == "$", characters[index + 1] == "$" { return index > start ? index : nil }
            index += 1
        }
        return nil
    }

    private static func closingInline(in characters: [Character], from start: Int) -> Int? {
        guard start < characters.count, !characters[start].isWhitespace, characters[start] != "$" else { return nil }
        var index = start
        while index < characters.count {
            let character = characters[index]
            if character == "\\" { index += 2; continue }
            if character == "$" {
                let followedByDigit = index + 1 < characters.count && characters[index + 1].isNumber
                if !characters[index - 1].isWhitespace, !followedByDigit { return index }
                if characters[index - 1].isWhitespace { return nil }
            }
            index += 1
        }
        return nil
    }
}

private extension String {
    var trimmed: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
