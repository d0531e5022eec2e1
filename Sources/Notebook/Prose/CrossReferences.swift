import Foundation

/// References from prose to the report's numbered figures and tables, by the label of the cell
/// that made them: `@fig:noising` is "Figure 3" linked to the first figure of the cell
/// {#noising}, `@fig:noising.2` its second, `@tab:schedules` its first table. A reference to
/// nothing shows as written, marked, so that a renamed cell is seen.
///
/// References are read in the prose's text only: code spans and blocks, and tags, are left alone.
struct CrossReferences {
    /// The numbers of each cell's figures and tables, in order.
    var figures: [String: [Int]] = [:]
    var tables: [String: [Int]] = [:]

    private static let pattern = try! NSRegularExpression(pattern: #"@(fig|tab):([A-Za-z0-9_-]+)(?:\.([0-9]+))?"#)

    /// `html` (rendered prose) with every reference resolved.
    func resolve(_ html: String) -> String {
        guard html.contains("@fig:") || html.contains("@tab:") else { return html }
        var output = ""
        var inCode = 0
        var rest = html[...]
        while !rest.isEmpty {
            if rest.first == "<", let close = rest.firstIndex(of: ">") {
                let tag = rest[...close]
                let name = tag.dropFirst().prefix { $0 == "/" || $0.isLetter }.lowercased()
                if name == "code" || name == "pre" { inCode += 1 }
                if name == "/code" || name == "/pre" { inCode = max(0, inCode - 1) }
                output += tag
                rest = rest[rest.index(after: close)...]
                continue
            }
            let end = rest.firstIndex(of: "<") ?? rest.endIndex
            let text = String(rest[..<end])
            output += inCode > 0 ? text : resolveText(text)
            rest = rest[end...]
        }
        return output
    }

    private func resolveText(_ text: String) -> String {
        var output = ""
        var last = text.startIndex
        for match in Self.pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let whole = Range(match.range, in: text), let kindRange = Range(match.range(at: 1), in: text),
                  let labelRange = Range(match.range(at: 2), in: text) else { continue }
            output += text[last..<whole.lowerBound]
            let isFigure = text[kindRange] == "fig"
            let label = String(text[labelRange])
            // No index is the first; an index too long to be a number is no figure at all.
            let position = Range(match.range(at: 3), in: text).map { Int(text[$0]) ?? 0 } ?? 1
            let numbers = (isFigure ? figures : tables)[label] ?? []
            if position >= 1, position <= numbers.count {
                let number = numbers[position - 1]
                let kind = isFigure ? "figure" : "table"
                output += "<a class=\"reference\" href=\"#\(kind)-\(number)\">\(isFigure ? "Figure" : "Table") \(number)</a>"
            } else {
                output += "<span class=\"unresolved\" title=\"no such \(isFigure ? "figure" : "table") in this report\">\(text[whole])</span>"
            }
            last = whole.upperBound
        }
        return output + text[last...]
    }
}
