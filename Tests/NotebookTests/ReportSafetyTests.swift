import Foundation
import XCTest
@testable import Language
@testable import Notebook

/// A notebook's report runs nothing the notebook wrote: script, event-handler and
/// javascript-URL payloads in every place a notebook can put text reach the HTML as text, while
/// ordinary Markdown still renders.
final class ReportSafetyTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-report-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let hostile = #"""
        ---
        title: "<script>alert(1)</script><img src=x onerror=alert(2)>"
        ---
        # Heading <script>alert(3)</script> <svg onload=alert(4)>

        Prose with <img src=x onerror=alert(5)> and <a href="javascript:alert(6)">a link</a>, <iframe src="https://example.org"></iframe>,
        <b onmouseover=alert(7)>bold</b>, <div style="width: expression(alert(8))">x</div>, <IMG SRC=x OnError=alert(9)>.

        <!-- a comment hiding <script>alert(10)</script> -->

        <script>
        alert(11)
        </script>

        <svg><script>alert(12)</script></svg>

        [js](javascript:alert(13)) [data](data:text/html;base64,PHNjcmlwdD4=) [entity](java&#115;cript:alert(14))
        [tab](java	script:alert(15)) [quote](https://example.org/" onmouseover="alert(16)) [upper](JAVASCRIPT:alert(17))

        ![alt" onerror="alert(18)](https://example.org/x.png) ![x](javascript:alert(19)) ![x](x.png" onerror="alert(20))

        [<img src=x onerror=alert(21)>](https://example.org)

        ```js" onclick="alert(22)
        code <script>alert(23)</script>
        ```

        - item <script>alert(24)</script>

        | a | b |
        |---|---|
        | <img src=x onerror=alert(25)> | 2 |

        ```medsynth {#cell_1}
        "<script>alert(26)</script><img src=x onerror=alert(27)>"
        table {name: ["<script>alert(28)</script>"], value: ["<a href=\"javascript:alert(29)\">x</a>"]}
        ```

        Fine: *emphasis*, **strong**, `a < b`, [a link](https://example.org/page?a=1&b=2), ![an image](pictures/x.png)

        - item one
        - item two

        | c | d |
        |---|---|
        | 1 | 2 |
        """#

    func render(_ text: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("hostile.medsynth")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let options = NotebookRunner.Options(
            cacheDirectory: nil, outputDirectory: (directory as NSString).appendingPathComponent("figures"), engineVersion: "test")
        let result = try NotebookRunner(options: options).run(try NotebookDocument.load(path: path))
        XCTAssertNil(result.diagnostic, "\(result.diagnostic.map(String.init(describing:)) ?? "")")
        return try String(contentsOfFile: try NotebookReport.write(result, to: directory), encoding: .utf8)
    }

    /// Every tag of `html` as written: a real tag starts with '<', and text holds none.
    func tags(_ html: String) throws -> [String] {
        let pattern = try NSRegularExpression(pattern: #"<[^>]*>"#)
        return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).map { String(html[Range($0.range, in: html)!]) }
    }

    func testPayloadsEverywhereReachTheReportAsText() throws {
        let html = try render(Self.hostile)
        XCTAssertFalse(html.lowercased().contains("<script"), html)
        for forbidden in ["<iframe", "<svg", "<!--", "<div", "<b "] {
            XCTAssertFalse(html.lowercased().contains(forbidden), "\(forbidden) in\n\(html)")
        }
        let eventHandler = try NSRegularExpression(pattern: #"\son[a-z]+\s*="#, options: .caseInsensitive)
        let scriptURL = try NSRegularExpression(pattern: #"(href|src)\s*=\s*["']?\s*(javascript|data|vbscript)"#, options: .caseInsensitive)
        let style = try NSRegularExpression(pattern: #"\sstyle\s*="#, options: .caseInsensitive)
        // What a browser reads as attributes: a quoted value is text, whatever it says.
        let quotedValue = try NSRegularExpression(pattern: #""[^"]*"|'[^']*'"#)
        for written in try tags(html) {
            let tag = quotedValue.stringByReplacingMatches(in: written, range: NSRange(written.startIndex..., in: written), withTemplate: "\"\"")
            let range = NSRange(tag.startIndex..., in: tag)
            XCTAssertNil(eventHandler.firstMatch(in: tag, range: range), "an event handler in \(tag)")
            XCTAssertNil(scriptURL.firstMatch(in: written, range: NSRange(written.startIndex..., in: written)), "a script URL in \(written)")
            if !tag.hasPrefix("<style") { XCTAssertNil(style.firstMatch(in: tag, range: range), "a style attribute in \(tag)") }
        }
        // Shown as the notebook wrote them.
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(5)&gt;"), html)
        XCTAssertTrue(html.contains(#"<pre class="output">&lt;script&gt;alert(26)&lt;/script&gt;&lt;img"#), "a displayed value")
        XCTAssertTrue(html.contains("<td>&lt;script&gt;alert(28)&lt;/script&gt;</td>"), "a table cell")
        XCTAssertTrue(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;"), "the title")
        XCTAssertTrue(html.contains("code &lt;script&gt;alert(23)&lt;/script&gt;"), "a code block")
    }

    func testOrdinaryMarkdownStillRenders() throws {
        let html = try render(Self.hostile)
        for expected in ["<em>emphasis</em>", "<strong>strong</strong>", "<code>a &lt; b</code>",
                         #"<a href="https://example.org/page?a=1&amp;b=2">a link</a>"#, #"<img src="pictures/x.png" alt="an image">"#,
                         "<li>item one</li>", "<th>c</th>", "<td>1</td>", "<h1 id=\"heading-script-alert-3-script-svg-onload-alert-4\">Heading"] {
            XCTAssertTrue(html.contains(expected), "no \(expected) in\n\(html)")
        }
    }

    /// A quote or bracket followed by a combining mark is one Swift Character but a quote or a
    /// bracket to a browser: escaping goes scalar by scalar, so no attribute can be closed early.
    func testCombiningMarksDoNotHideQuotes() throws {
        XCTAssertEqual(NotebookReport.escapeHTML("x\"\u{301} onload=alert(1) <\u{301}b"), "x&quot;\u{301} onload=alert(1) &lt;\u{301}b")
        let html = try render("```medsynth {#c}\nshow (zeros [16, 16]) title=\"x\\\"\u{301} onload=alert(1) y=z\"\n```\n")
        for tag in try tags(html) where tag.hasPrefix("<img") {
            let quotes = tag.unicodeScalars.filter { $0 == "\"" }.count
            XCTAssertEqual(quotes, 4, "src and alt, each quoted once: \(tag)")
        }
        XCTAssertTrue(html.contains("&quot;\u{301} onload=alert(1)"), html)
    }

    func testOnlyWebAndRelativeURLsAreKept() {
        for safe in ["https://example.org/a?b=1&c=2", "http://x", "mailto:a@b.org", "figures/x.png", "#section", "../up.png", "/abs/x.png"] {
            XCTAssertTrue(HTMLAllowlist.isSafeURL(safe), safe)
        }
        for unsafe in ["javascript:alert(1)", "JavaScript:x", " javascript:x", "java&#115;cript:x", "java\tscript:x",
                       "data:text/html,x", "vbscript:x", "java\u{0}script:x", "javascript&colon;x"] {
            XCTAssertFalse(HTMLAllowlist.isSafeURL(unsafe), unsafe)
        }
    }
}
