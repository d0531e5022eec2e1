/// A notebook's Markdown prose as HTML that runs nothing, block after block, with what the
/// report builds around it: heading anchors, the table of contents, one page heading, and
/// mathematics kept as written.
///
/// Notebooks are downloaded and shared, so their prose is untrusted. Two steps, each enough on
/// its own for what it covers:
///
/// 1. `CommonMark` turns every raw HTML block and tag into text before rendering, and drops
///    `javascript:` and similar links (cmark's safe mode).
/// 2. `HTMLAllowlist` rebuilds every tag of cmark's output from a short list of tags and
///    attributes and escapes anything else.
///
/// Formulas (`MathSpans`) are taken out before Markdown sees them and put back, escaped, inside
/// `<span class="math">` and `<div class="math">` elements that KaTeX renders in the browser.
struct ProseRenderer {
    /// A heading as the table of contents lists it.
    struct Entry: Equatable {
        var level: Int
        var id: String
        /// Its text as HTML (formulas in math spans).
        var html: String
    }

    private(set) var entries: [Entry] = []
    /// The text of the prose's first heading when it is the page's heading (an h1 at the start
    /// of the notebook); nil when the report must make its own.
    private(set) var pageHeading: String?
    private(set) var usesMathematics = false
    private var ids: Set<String> = []

    /// The HTML of one block of prose. `isFirstBlock`: nothing comes before it in the notebook,
    /// so its first heading, if an h1, is the page's heading; every other h1 becomes an h2, so
    /// that the page has one.
    mutating func render(_ markdown: String, isFirstBlock: Bool) -> String {
        let math = MathSpans(extractingFrom: markdown)
        var pageHeading: String?
        let rendered = CommonMark.render(math.markdown) { heading in
            if heading.level == 1, heading.isFirst, isFirstBlock, self.pageHeading == nil {
                pageHeading = heading.text
                return 1
            }
            return heading.level == 1 ? 2 : heading.level
        }
        if let heading = pageHeading { self.pageHeading = Self.withFormulas(heading, math.formulas, markup: false) }
        var html = HTMLAllowlist.sanitise(rendered.html)
        html = anchoringHeadings(html, rendered.headings, math.formulas)
        if !math.formulas.isEmpty {
            usesMathematics = true
            html = Self.withFormulas(html, math.formulas, markup: true)
        }
        return html
    }

    /// Gives each `<hN>` of `html` an id and records it for the table of contents.
    private mutating func anchoringHeadings(_ html: String, _ headings: [CommonMark.Heading], _ formulas: [MathSpans.Formula]) -> String {
        var output = ""
        var rest = html[...]
        for heading in headings {
            let tag = "<h\(heading.level)>"
            guard let range = rest.range(of: tag) else { break }
            let id = uniqueID(for: Self.withFormulas(heading.text, formulas, markup: false))
            output += rest[..<range.lowerBound] + "<h\(heading.level) id=\"\(id)\">"
            rest = rest[range.upperBound...]
            entries.append(Entry(level: heading.level, id: id, html: Self.withFormulas(NotebookReport.escape(heading.text), formulas, markup: true)))
        }
        return output + rest
    }

    /// An id made of the heading's words (ASCII letters and digits joined by '-'), unique in the page.
    private mutating func uniqueID(for text: String) -> String {
        var slug = ""
        for character in text.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber {
                slug.append(character)
            } else if !slug.isEmpty, slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.last == "-" { slug.removeLast() }
        if slug.isEmpty { slug = "section" }
        slug = String(slug.prefix(64))
        // The report's own anchors (figure-3, table-1, cell-setup) stay theirs.
        if ["figure-", "table-", "cell-"].contains(where: slug.hasPrefix) { slug = "section-" + slug }
        var id = slug
        var number = 2
        while ids.contains(id) {
            id = "\(slug)-\(number)"
            number += 1
        }
        ids.insert(id)
        return id
    }

    /// `text` with each formula's placeholder replaced: by its TeX in a math element when
    /// `markup` (the TeX escaped for HTML), or by `$TeX$` as plain text.
    static func withFormulas(_ text: String, _ formulas: [MathSpans.Formula], markup: Bool) -> String {
        guard text.contains(MathSpans.open) else { return text }
        func dollars(_ formula: MathSpans.Formula) -> String {
            formula.isDisplayed ? "$$" + formula.tex + "$$" : "$" + formula.tex + "$"
        }
        guard markup else {
            var plain = text
            for (index, formula) in formulas.enumerated() {
                plain = plain.replacingOccurrences(of: MathSpans.placeholder(index), with: dollars(formula))
            }
            return plain
        }
        // A displayed formula alone in its paragraph becomes a block.
        var html = text
        for (index, formula) in formulas.enumerated() where formula.isDisplayed {
            html = html.replacingOccurrences(
                of: "<p>\(MathSpans.placeholder(index))</p>", with: "<div class=\"math display\">\(NotebookReport.escape(formula.tex))</div>")
        }
        // Elsewhere, in text a math element; inside a tag (an image's alt text, a link's title)
        // the formula as written, escaped for the attribute.
        var output = ""
        var rest = html[...]
        while !rest.isEmpty {
            let isTag = rest.first == "<"
            let end = isTag ? rest.firstIndex(of: ">").map { rest.index(after: $0) } ?? rest.endIndex : rest.firstIndex(of: "<") ?? rest.endIndex
            var piece = String(rest[..<end])
            for (index, formula) in formulas.enumerated() where piece.contains(MathSpans.open) {
                let tex = NotebookReport.escape(formula.tex)
                let element = formula.isDisplayed ? "<span class=\"math display\">\(tex)</span>" : "<span class=\"math inline\">\(tex)</span>"
                piece = piece.replacingOccurrences(of: MathSpans.placeholder(index), with: isTag ? NotebookReport.escape(dollars(formula)) : element)
            }
            output += piece
            rest = rest[end...]
        }
        return output
    }
}
