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
        var text = text
        for (index, formula) in formulas.enumerated() {
            let placeholder = MathSpans.placeholder(index)
            guard markup else {
                let dollars = formula.isDisplayed ? "$$" : "$"
                text = text.replacingOccurrences(of: placeholder, with: dollars + formula.tex + dollars)
                continue
            }
            let tex = NotebookReport.escape(formula.tex)
            if formula.isDisplayed {
                text = text.replacingOccurrences(of: "<p>\(placeholder)</p>", with: "<div class=\"math display\">\(tex)</div>")
                text = text.replacingOccurrences(of: placeholder, with: "<span class=\"math display\">\(tex)</span>")
            } else {
                text = text.replacingOccurrences(of: placeholder, with: "<span class=\"math inline\">\(tex)</span>")
            }
        }
        return text
    }
}
