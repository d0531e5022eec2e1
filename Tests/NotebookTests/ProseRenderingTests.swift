import Foundation
import XCTest
@testable import Language
@testable import Notebook

/// The prose of a report: Markdown as cmark-gfm renders it, formulas kept as written, raw HTML
/// shown as text, one h1, anchored headings and a table of contents.
final class ProseRenderingTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/commonmark")

    /// What the allowlist writes differently from cmark and means the same: void tags without a slash.
    func normalised(_ html: String) -> String {
        html.replacingOccurrences(of: " />", with: ">")
    }

    func testMarkdownRendersAsCmarkGFMDoes() throws {
        struct Fixture: Decodable {
            struct Case: Decodable { var markdown: String; var html: String }
            var cases: [Case]
        }
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("cases.json")))
        XCTAssertGreaterThan(fixture.cases.count, 40)
        for testCase in fixture.cases {
            let html = HTMLAllowlist.sanitise(CommonMark.render(testCase.markdown).html)
            XCTAssertEqual(html, normalised(testCase.html), "Markdown: \(testCase.markdown.debugDescription)")
        }
    }

    func testRawHTMLIsShownAsWritten() {
        XCTAssertEqual(CommonMark.render("a <b onclick=\"x\">bold</b> c").html, "<p>a &lt;b onclick=&quot;x&quot;&gt;bold&lt;/b&gt; c</p>\n")
        XCTAssertEqual(CommonMark.render("<div>\nhi\n</div>").html, "<p>&lt;div&gt;<br />\nhi<br />\n&lt;/div&gt;</p>\n")
        XCTAssertEqual(CommonMark.render("<!-- note -->").html, "<p>&lt;!-- note --&gt;</p>\n")
        // cmark's safe mode drops script URLs.
        XCTAssertEqual(CommonMark.render("[x](javascript:alert(1))").html, "<p><a href=\"\">x</a></p>\n")
    }

    func testFormulasAreFoundByPandocsDollarRules() {
        func formulas(_ text: String) -> [String] { MathSpans(extractingFrom: text).formulas.map(\.tex) }
        XCTAssertEqual(formulas(#"where $x_t = \sqrt{\bar\alpha_t}\, x_0$ holds"#), [#"x_t = \sqrt{\bar\alpha_t}\, x_0"#])
        XCTAssertEqual(formulas("costs $5 and $10"), [], "a closing $ followed by a digit")
        XCTAssertEqual(formulas("$ x$ and $x $"), [], "white space inside the dollars")
        XCTAssertEqual(formulas(#"\$x$ is a dollar"#), [])
        XCTAssertEqual(formulas("code `$x$` and ``a $b$ c``"), [])
        XCTAssertEqual(formulas("```\n$x$\n```\n\n~~~\n$y$\n~~~\n\n    $z$ indented\n\n$w$"), ["w"])
        XCTAssertEqual(formulas("$a$ and $b$"), ["a", "b"])
        XCTAssertEqual(formulas("a $x\ny$ wraps"), ["x\ny"], "a formula may wrap a line")
        XCTAssertEqual(formulas("a $x\n\ny$"), [], "but not cross a paragraph")
        let display = MathSpans(extractingFrom: "before\n\n$$\n\\sum_{s=1}^t \\beta_s\n$$\n\nafter")
        XCTAssertEqual(display.formulas, [.init(tex: "\\sum_{s=1}^t \\beta_s", isDisplayed: true)])
        XCTAssertEqual(display.markdown, "before\n\n\(MathSpans.placeholder(0))\n\nafter")
        XCTAssertEqual(formulas("$$ unclosed"), [])
        // The placeholder's characters written by the notebook cannot forge a formula.
        XCTAssertFalse(MathSpans(extractingFrom: "\u{E000}0\u{E001} $a$").markdown.hasPrefix("\u{E000}"))
    }

    func testFormulasReachTheHTMLAsWritten() {
        var prose = ProseRenderer()
        let html = prose.render(#"Noise: $x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon$, with $a<b$ and *emphasis*."#
            + "\n\n$$\n\\bar\\alpha_t = \\prod_{s=1}^t (1 - \\beta_s)\n$$", isFirstBlock: false)
        XCTAssertTrue(prose.usesMathematics)
        XCTAssertTrue(html.contains(#"<span class="math inline">x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon</span>"#), html)
        XCTAssertTrue(html.contains(#"<span class="math inline">a&lt;b</span>"#), html)
        XCTAssertTrue(html.contains("<em>emphasis</em>"), html)
        XCTAssertTrue(html.contains(#"<div class="math display">\bar\alpha_t = \prod_{s=1}^t (1 - \beta_s)</div>"#), html)
    }

    func testFormulasInAttributesAndHeadingsThatLookLikeReportAnchors() {
        var prose = ProseRenderer()
        let html = prose.render(#"![$\alpha$ map](a.png "$x<1$") and $y$"# + "\n\n## Figure 1\n\n## Cell setup", isFirstBlock: false)
        XCTAssertTrue(html.contains(#"<img src="a.png" alt="$\alpha$ map" title="$x&lt;1$">"#), html)
        XCTAssertTrue(html.contains(#"<span class="math inline">y</span>"#), html)
        XCTAssertEqual(prose.entries.map(\.id), ["section-figure-1", "section-cell-setup"])
        var references = CrossReferences()
        references.figures = ["x": [1]]
        XCTAssertTrue(references.resolve("<p>@fig:x.99999999999999999999</p>").contains("unresolved"))
    }

    func testOneH1AnchoredHeadingsAndContents() {
        var prose = ProseRenderer()
        let first = prose.render("# Forward $x_t$\n\nIntro.\n\n## Schedules\n\n### Linear", isFirstBlock: true)
        let second = prose.render("# Another top heading\n\n## Schedules\n\n## Ünïcode & more!", isFirstBlock: false)
        XCTAssertEqual(prose.pageHeading, "Forward $x_t$")
        XCTAssertTrue(first.hasPrefix(#"<h1 id="forward-x-t">Forward <span class="math inline">x_t</span></h1>"#), first)
        XCTAssertTrue(second.contains(#"<h2 id="another-top-heading">Another top heading</h2>"#), "a later h1 becomes an h2: \(second)")
        XCTAssertEqual(prose.entries.map(\.id), ["forward-x-t", "schedules", "linear", "another-top-heading", "schedules-2", "n-code-more"])
        XCTAssertEqual(prose.entries.map(\.level), [1, 2, 3, 2, 2, 2])
        let contents = NotebookReport.tableOfContents(prose.entries) ?? ""
        XCTAssertEqual(contents, ##"<nav class="toc"><p class="toc-title">Contents</p><ol><li><a href="#schedules">Schedules</a><ol>"##
            + ##"<li><a href="#linear">Linear</a></li></ol></li><li><a href="#another-top-heading">Another top heading</a></li>"##
            + ##"<li><a href="#schedules-2">Schedules</a></li><li><a href="#n-code-more">Ünïcode &amp; more!</a></li></ol></nav>"##)
        var late = ProseRenderer()
        _ = late.render("Text first.\n\n# Not the page's", isFirstBlock: true)
        XCTAssertNil(late.pageHeading, "an h1 after other prose does not head the page")
    }

    func testReferencesToFiguresAndTablesByCellLabel() {
        var references = CrossReferences()
        references.figures = ["noising": [3, 4]]
        references.tables = ["schedules": [1]]
        let html = references.resolve(
            "<p>See @fig:noising, @fig:noising.2 and @tab:schedules; not @fig:gone or @fig:noising.3. <code>@fig:noising</code></p>"
                + "<pre><code>@tab:schedules</code></pre><p><a href=\"https://x.org/@fig:noising\">link</a></p>")
        XCTAssertEqual(html, ##"<p>See <a class="reference" href="#figure-3">Figure 3</a>, <a class="reference" href="#figure-4">Figure 4</a> and "##
            + ##"<a class="reference" href="#table-1">Table 1</a>; not <span class="unresolved" title="no such figure in this report">@fig:gone</span> or "##
            + ##"<span class="unresolved" title="no such figure in this report">@fig:noising.3</span>. <code>@fig:noising</code></p>"##
            + ##"<pre><code>@tab:schedules</code></pre><p><a href="https://x.org/@fig:noising">link</a></p>"##)
    }

    func testFrontMatterTakesAuthorDateDescriptionAndComments() throws {
        let document = try NotebookDocument(text: """
            ---
            # A comment line
            title: "Forward # diffusion"   # a trailing comment
            author: 'Ada O''Brien'
            date: 2026-12-05
            description: How an image becomes noise
            toc: false
            seed: 4 # the seed
            parameters:
              steps: 10  # shortened by CI
              name: "a # b"
            ---
            text
            """, path: "n.medsynth")
        let matter = document.frontMatter
        XCTAssertEqual(matter.title, "Forward # diffusion")
        XCTAssertEqual(matter.author, "Ada O'Brien")
        XCTAssertEqual(matter.date, "2026-12-05")
        XCTAssertEqual(matter.description, "How an image becomes noise")
        XCTAssertFalse(matter.tableOfContents)
        XCTAssertEqual(matter.seed, 4)
        XCTAssertEqual(matter.parameters.map(\.value), ["10", "\"a # b\""])
        XCTAssertThrowsError(try NotebookDocument(text: "---\ntoc: maybe\n---\n", path: "n.medsynth")) { error in
            XCTAssertTrue("\(error)".contains("toc must be true or false"), "\(error)")
        }
    }

    /// docs/notebooks.md's example front matter, copied as it stands, is valid.
    func testTheDocumentedFrontMatterParses() throws {
        let docs = Self.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/notebooks.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "```yaml\n"))
        let end = try XCTUnwrap(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let document = try NotebookDocument(text: String(text[start.upperBound..<end.lowerBound]) + "text", path: "docs.medsynth")
        XCTAssertEqual(document.frontMatter.author, "A. Teacher")
        XCTAssertEqual(document.frontMatter.parameters.map(\.name), ["steps", "models"])
        XCTAssertEqual(document.frontMatter.relativeTolerance, 1e-5)
    }

    func testCellOptionsAreCheckedAndShapeTheReport() throws {
        XCTAssertThrowsError(try NotebookDocument(text: "```medsynth {echo=no}\n1\n```", path: "n.medsynth")) { error in
            XCTAssertTrue("\(error)".contains("'echo' is true or false, not 'no'"), "\(error)")
        }
        XCTAssertThrowsError(try NotebookDocument(text: "```medsynth {fold=true ech=false}\n1\n```", path: "n.medsynth")) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'echo'"), "\(error)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-prose-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = (directory as NSString).appendingPathComponent("shape.medsynth")
        try """
            ---
            title: Shapes
            author: A. Teacher
            date: 2026-12-05
            ---
            # Shapes of things

            ## Set-up

            ```medsynth {#setup echo=false}
            hidden_code_marker = 1
            ```

            ## Results with $\\alpha_t$

            As @fig:folded.2 shows (and @tab:folded lists),

            ```medsynth {#folded fold=true}
            folded_code_marker = 2
            show (zeros [4, 4])
            show (ones [4, 4]) title="ones"
            table {a: [1]}
            ```
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let options = NotebookRunner.Options(cacheDirectory: nil, outputDirectory: directory, engineVersion: "test")
        let result = try NotebookRunner(options: options).run(try NotebookDocument.load(path: path))
        let html = try String(contentsOfFile: try NotebookReport.write(result, to: directory), encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<h1").count - 1, 1, "one h1")
        XCTAssertTrue(html.contains("<title>Shapes</title>"))
        XCTAssertTrue(html.contains(#"<h1 id="shapes-of-things">Shapes of things</h1>"# + "\n" + #"<p class="byline">A. Teacher · 2026-12-05</p>"#), html)
        XCTAssertTrue(html.contains(#"<meta name="viewport""#))
        XCTAssertFalse(html.contains("hidden_code_marker"), "echo=false hides the code")
        XCTAssertTrue(html.contains("<details><summary>code of folded</summary><pre class=\"code\"><code>folded_code_marker = 2"), html)
        XCTAssertTrue(html.contains(##"<a href="#set-up">Set-up</a>"##), "the table of contents")
        XCTAssertTrue(html.contains(#"alt="Figure 1, made by cell folded"><figcaption>Figure 1</figcaption>"#), html)
        XCTAssertTrue(html.contains(#"alt="ones"><figcaption>Figure 2. ones</figcaption>"#), html)
        XCTAssertTrue(html.contains("<caption>Table 1</caption>"), html)
        XCTAssertTrue(html.contains(##"As <a class="reference" href="#figure-2">Figure 2</a> shows (and <a class="reference" href="#table-1">Table 1</a> lists)"##), html)
        XCTAssertTrue(html.contains("2 of 2 cells ran in"), html)
        if KaTeX.locate() != nil {
            XCTAssertTrue(html.contains(#"<script defer src="shape-figures/katex/katex.min.js"></script>"#), html)
            XCTAssertTrue(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("shape-figures/katex/katex.min.css")))
            XCTAssertTrue(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("shape-figures/katex/fonts/KaTeX_Main-Regular.woff2")))
        } else {
            XCTAssertTrue(html.contains("KaTeX was not found"), html)
        }

        // Embedded: one file, figures and KaTeX inside.
        let embedded = try String(contentsOfFile: try NotebookReport.write(result, to: directory, named: "one", embed: true), encoding: .utf8)
        XCTAssertFalse(embedded.contains("one-figures"), "nothing refers to a folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("one-figures")))
        XCTAssertTrue(embedded.contains(#"<img src="data:image/svg+xml;base64,"#), "figures inlined (show's as SVG)")
        if KaTeX.locate() != nil {
            XCTAssertTrue(embedded.contains("url(data:font/woff2;base64,"), "fonts inlined")
            XCTAssertFalse(embedded.contains("<script defer src="))
        }
    }
}
