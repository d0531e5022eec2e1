import Engine
import Formats
import Foundation
import Language

/// The report of a run: HTML (the prose rendered from Markdown, each cell's code and outputs,
/// figures, tables, SVG plots, its time and cache status, its expectations) and beside it JSON
/// with every displayed value and every expectation.
public enum NotebookReport {
    /// Writes `<folder>/<name>.html`, `<folder>/<name>.json` and the figures in
    /// `<folder>/<name>-figures/`; returns the HTML's path. `embed`: one HTML file that holds
    /// its figures and KaTeX, to send to someone (the JSON is written beside it all the same).
    @discardableResult
    public static func write(_ result: NotebookRunner.RunResult, to folder: String, named: String? = nil, embed: Bool = false) throws -> String {
        let name = named ?? defaultName(of: result.document.path)
        let figures = (folder as NSString).appendingPathComponent("\(name)-figures")
        try FileManager.default.createDirectory(atPath: embed ? folder : figures, withIntermediateDirectories: true)
        let assets = embed ? Assets.embedded : Assets.files(folder: figures, link: "\(name)-figures")
        let html = try self.html(result, assets: assets)
        let htmlPath = (folder as NSString).appendingPathComponent("\(name).html")
        try writeAtomically(html, to: htmlPath)
        try writeAtomically(json(result), to: (folder as NSString).appendingPathComponent("\(name).json"))
        return htmlPath
    }

    /// Where a report's figures and scripts go: files beside it, or into the page.
    enum Assets {
        case files(folder: String, link: String)
        case embedded

        /// The `src` of a figure: a file written for it, or a data URL.
        func source(of bytes: [UInt8], named file: String, type: String) throws -> String {
            switch self {
            case .files(let folder, let link):
                try AtomicWrite.write(bytes, to: (folder as NSString).appendingPathComponent(file))
                return "\(link)/\(file)"
            case .embedded:
                return "data:\(type);base64,\(Data(bytes).base64EncodedString())"
            }
        }

        /// The elements that load KaTeX, and a note when it is missing.
        func mathematics() throws -> (head: String, note: String?) {
            guard let katex = KaTeX.locate() else { return ("", KaTeX.installHint) }
            switch self {
            case .files(let folder, let link):
                try katex.copy(to: (folder as NSString).appendingPathComponent("katex"))
                return (KaTeX.head(linkingTo: link + "/katex"), nil)
            case .embedded:
                return (try katex.inlineHead(), nil)
            }
        }
    }

    /// The HTML of each block of the notebook's prose, as the report renders it.
    public static func proseHTML(of document: NotebookDocument) -> [String] {
        var prose = ProseRenderer()
        return document.blocks.enumerated().compactMap { index, block in
            guard case .prose(let markdown) = block else { return nil }
            return prose.render(markdown, isFirstBlock: index == 0)
        }
    }

    /// The report's name for the notebook at `path`: its file name without the extension.
    public static func defaultName(of path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// Writes text to `path` atomically (a temporary file, flushed, then a rename).
    public static func writeAtomically(_ text: String, to path: String) throws {
        do {
            try AtomicWrite.write(text, to: path)
        } catch let error as FormatError {
            throw NotebookError(path: path, line: nil, "cannot write the report: \(error.message)")
        }
    }

    /// `text` with the characters HTML gives meaning to written as entities.
    public static func escapeHTML(_ text: String) -> String { escape(text) }

    /// Scalar by scalar: a `"` followed by a combining mark is one Swift Character, which a
    /// search for the character `"` (or Foundation's, without `.literal`) does not find, yet a
    /// browser reads the quote alone, and it would end an attribute.
    static func escape(_ text: String) -> String {
        text.replacingScalars(["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"])
    }

    static func html(_ result: NotebookRunner.RunResult, assets: Assets) throws -> String {
        let document = result.document
        var prose = ProseRenderer()
        var body: [String] = []
        var results = result.cells.makeIterator()
        var figureCount = 0
        var tableCount = 0
        var references = CrossReferences()
        var proseSections: [Int] = []
        for (index, block) in document.blocks.enumerated() {
            switch block {
            case .prose(let markdown):
                proseSections.append(body.count)
                body.append("<section class=\"prose\">\(prose.render(markdown, isFirstBlock: index == 0))</section>")
            case .cell(let cell):
                var parts = ["<section class=\"cell\" id=\"cell-\(escape(cell.label))\">"]
                let code = "<pre class=\"code\"><code>\(escape(cell.code))</code></pre>"
                if cell.foldsCode {
                    parts.append("<details><summary>code of \(escape(cell.label))</summary>\(code)</details>")
                } else if cell.showsCode {
                    parts.append(code)
                }
                guard let cellResult = results.next(), cellResult.cell.label == cell.label else {
                    parts.append("<p class=\"status\">cell \(escape(cell.label)): not run (an earlier cell failed)</p></section>")
                    body.append(parts.joined(separator: "\n"))
                    continue
                }
                for output in cellResult.outputs {
                    switch output {
                    case .text(let text):
                        parts.append("<pre class=\"output\">\(escape(text))</pre>")
                    case .table(let table):
                        tableCount += 1
                        references.tables[cell.label, default: []].append(tableCount)
                        let head = table.columns.map { "<th>\(escape($0))</th>" }.joined()
                        let rows = table.rows.map { "<tr>" + $0.map { "<td>\(escape($0.displayText))</td>" }.joined() + "</tr>" }
                        parts.append("<table id=\"table-\(tableCount)\"><caption>Table \(tableCount)</caption><thead><tr>\(head)</tr></thead><tbody>\(rows.joined())</tbody></table>")
                    case .figure(let figure):
                        figureCount += 1
                        references.figures[cell.label, default: []].append(figureCount)
                        let source: String
                        switch figure.content {
                        case _ where figure.reportSVG != nil:
                            source = try assets.source(of: Array(figure.reportSVG!.utf8), named: "figure-\(figureCount).svg", type: "image/svg+xml")
                        case .raster(let image):
                            source = try assets.source(of: try PNGImage.encode(image, bitDepth: .eight, file: "figure-\(figureCount).png"), named: "figure-\(figureCount).png", type: "image/png")
                        case .vector(let svg):
                            // Shown by <img>, never inline: a browser runs no script of an SVG it
                            // shows as an image (the SVG may come from a shared cache).
                            source = try assets.source(of: Array(svg.utf8), named: "figure-\(figureCount).svg", type: "image/svg+xml")
                        }
                        let caption = figure.title.isEmpty ? "Figure \(figureCount)" : "Figure \(figureCount). \(figure.title)"
                        let alt = figure.title.isEmpty ? "Figure \(figureCount), made by cell \(cell.label)" : figure.title
                        parts.append("<figure id=\"figure-\(figureCount)\"><img src=\"\(escape(source))\" alt=\"\(escape(alt))\"><figcaption>\(escape(caption))</figcaption></figure>")
                    }
                }
                for expectation in cellResult.expectations {
                    let mark = expectation.passed ? "pass" : "fail"
                    parts.append("<p class=\"expect \(mark)\">\(mark): line \(expectation.line): <code>expect \(escape(expectation.condition))</code> — \(escape(expectation.detail))</p>")
                }
                if let diagnostic = cellResult.diagnostic {
                    parts.append("<pre class=\"error\">\(escape(diagnostic.description))</pre>")
                }
                parts.append("<p class=\"status\">cell \(escape(cell.label)): \(String(format: "%.3f", cellResult.seconds)) s, \(cellResult.cacheStatus)</p>")
                parts.append("</section>")
                body.append(parts.joined(separator: "\n"))
            }
        }

        // References may point forward, so they are resolved once every figure has its number.
        for index in proseSections { body[index] = references.resolve(body[index]) }

        let matter = document.frontMatter
        let title = matter.title ?? prose.pageHeading ?? (document.path as NSString).lastPathComponent
        var header: [String] = []
        let byline = [matter.author, matter.date].compactMap { $0 }.filter { !$0.isEmpty }
        if !byline.isEmpty { header.append("<p class=\"byline\">\(escape(byline.joined(separator: " · ")))</p>") }
        if let description = matter.description, !description.isEmpty { header.append("<p class=\"description\">\(escape(description))</p>") }
        header.append("<p class=\"status\">\(escape(summary(result)))</p>")
        if !result.parameters.isEmpty {
            header.append("<p class=\"status\">parameters: " + escape(result.parameters.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")) + "</p>")
        }
        let files = result.filesRead
        if !files.isEmpty {
            // The models and data the numbers came from, by the hash the cache keyed them by.
            header.append("<details class=\"status\"><summary>files read (\(files.count))</summary><ul>"
                + files.map { "<li><code>\(escape(result.shownPath($0.path)))</code> sha256 <code>\($0.sha256)</code></li>" }.joined()
                + "</ul></details>")
        }
        var head = ""
        if prose.usesMathematics {
            let (elements, note) = try assets.mathematics()
            head = elements.isEmpty ? "" : elements + "\n" + KaTeX.renderScript
            if let note { header.append("<p class=\"status\">\(escape(note))</p>") }
        }
        if matter.tableOfContents, let contents = tableOfContents(prose.entries) { header.append(contents) }

        // One h1: the prose's own when the notebook opens with one, else the title.
        var page = body.joined(separator: "\n")
        if prose.pageHeading != nil, let close = page.range(of: "</h1>") {
            page.insert(contentsOf: "\n" + header.joined(separator: "\n"), at: close.upperBound)
        } else {
            page = "<h1>\(escape(title))</h1>\n" + header.joined(separator: "\n") + "\n" + page
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            \(style)
            \(head)
            </head><body>
            \(page)
            </body></html>

            """
    }

    /// "N cells ran in S s (E with an error, M not run); P of Q expectations held".
    static func summary(_ result: NotebookRunner.RunResult) -> String {
        let cells = result.document.cells.count
        let errors = result.cells.filter { $0.diagnostic != nil }.count
        let notRun = cells - result.cells.count
        var text = "\(result.cells.count) of \(cells) cells ran in \(String(format: "%.2f", result.seconds)) s"
        let problems = [errors > 0 ? "\(errors) stopped on an error" : nil, notRun > 0 ? "\(notRun) not run" : nil].compactMap { $0 }
        if !problems.isEmpty { text += " (" + problems.joined(separator: ", ") + ")" }
        let passed = result.expectations.filter(\.passed).count
        return text + "; \(passed) of \(result.expectations.count) expectations held"
    }

    /// The prose's h2 and h3 headings as nested lists, when there are two or more.
    static func tableOfContents(_ entries: [ProseRenderer.Entry]) -> String? {
        let listed = entries.filter { $0.level == 2 || $0.level == 3 }
        guard listed.count >= 2 else { return nil }
        var html = "<nav class=\"toc\"><p class=\"toc-title\">Contents</p><ol>"
        var inSublist = false
        for (index, entry) in listed.enumerated() {
            if entry.level == 3, !inSublist, index > 0 {
                html += "<ol>"
                inSublist = true
            } else if entry.level == 2, inSublist {
                html += "</li></ol></li>"
                inSublist = false
            } else if index > 0 {
                html += "</li>"
            }
            html += "<li><a href=\"#\(entry.id)\">\(entry.html)</a>"
        }
        html += inSublist ? "</li></ol></li></ol></nav>" : "</li></ol></nav>"
        return html
    }

    static let style = """
        <style>
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
               max-width: 54rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.55; color: #222; }
        h1 { line-height: 1.2; }
        pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
        pre.code { border-left: 3px solid #4a7; }
        pre.error { background: #fee; border-left: 3px solid #c33; }
        details > summary { color: #4a7; cursor: pointer; font-size: .9rem; }
        .status, .byline { color: #666; font-size: .85rem; }
        .description { font-size: 1.05rem; color: #444; }
        .expect.pass { color: #275; } .expect.fail { color: #b22; font-weight: bold; }
        table { border-collapse: collapse; margin: .8rem 0; } td, th { border: 1px solid #ccc; padding: .2rem .5rem; text-align: right; }
        caption { caption-side: bottom; color: #555; font-size: .85rem; text-align: left; padding-top: .2rem; }
        figure { margin: 1rem 0; } figure img { max-width: 100%; image-rendering: pixelated; }
        figcaption { color: #555; font-size: .9rem; }
        nav.toc { background: #f8f8f4; border: 1px solid #e4e4dc; padding: .4rem 1rem; margin: 1rem 0; font-size: .92rem; }
        nav.toc .toc-title { font-weight: bold; margin: .2rem 0; } nav.toc ol { margin: .2rem 0; padding-left: 1.4rem; }
        .math { font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", serif; }
        div.math { text-align: center; margin: .8rem 0; overflow-x: auto; }
        .unresolved { color: #b22; border-bottom: 1px dotted #b22; }
        </style>
        """

    /// A table's cell in the JSON report: numbers (finite ones; NaN and infinities as text, which
    /// JSON has no number for) and bools as themselves, everything else as its text.
    static func jsonCell(_ value: Value) -> Any {
        switch value {
        case .number(let number) where number.isFinite: return number
        case .bool(let flag): return flag
        case .string(let text): return text
        case .tensor(let tensor) where tensor.count == 1 && tensor.scalars[0].isFinite: return Double(tensor.scalars[0])
        case .estimate(let estimate):
            // JSON has no NaN: a bound that is not a number is left out.
            var cell: [String: Any] = ["text": estimate.text, "level": estimate.level, "n": estimate.count]
            for (key, number) in [("value", estimate.value), ("lower", estimate.lower), ("upper", estimate.upper), ("p", estimate.pValue)] {
                if let number, number.isFinite { cell[key] = number }
            }
            return cell
        default: return value.displayText
        }
    }

    static func json(_ result: NotebookRunner.RunResult) throws -> String {
        let cells: [[String: Any]] = result.cells.map { cell in
            var entry: [String: Any] = [
                "label": cell.cell.label, "line": cell.cell.fenceLine, "seconds": cell.seconds, "cache": cell.cacheStatus,
                "displays": cell.outputs.map { output -> [String: Any] in
                    switch output {
                    case .text(let text): return ["kind": "text", "value": text]
                    case .table(let table): return ["kind": "table", "columns": table.columns, "rows": table.rows.map { $0.map(jsonCell) }]
                    case .figure(let figure):
                        var entry: [String: Any] = ["kind": "figure", "title": figure.title]
                        if let path = figure.path { entry["image"] = path }
                        return entry
                    }
                },
                "expects": cell.expectations.map { expectation -> [String: Any] in
                    ["label": cell.cell.label, "line": expectation.line, "expression": expectation.condition,
                     "value": expectation.detail, "passed": expectation.passed]
                },
                "statements": cell.statements.map {
                    ["line": $0.line, "statement": $0.canonicalForm, "source": $0.source.rawValue, "seconds": $0.seconds,
                     "key": $0.key, "depends_on": $0.dependsOn]
                },
            ]
            if let diagnostic = cell.diagnostic { entry["error"] = diagnostic.description }
            return entry
        }
        let object: [String: Any] = [
            "notebook": result.document.path, "seconds": result.seconds, "succeeded": result.succeeded, "cells": cells,
            "parameters": Dictionary(uniqueKeysWithValues: result.parameters.map { ($0.name, $0.value) }),
            "files_read": result.filesRead.map { ["path": result.shownPath($0.path), "sha256": $0.sha256] },
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self) + "\n"
    }
}

extension NotebookRunner.RunResult {
    /// Every file a statement read, with the SHA-256 of its contents that keyed the statement in
    /// the cache: the models (a feature network's weights among them) and data its numbers came
    /// from, sorted by path.
    public var filesRead: [(path: String, sha256: String)] {
        var files: [String: String] = [:]
        for statement in cells.flatMap(\.statements) {
            files.merge(statement.parts.files) { first, _ in first }
        }
        return files.keys.sorted().map { ($0, files[$0] ?? "") }
    }

    /// `path` relative to the notebook's folder when it lies inside it.
    func shownPath(_ path: String) -> String {
        let folder = ((document.path as NSString).deletingLastPathComponent as NSString).standardizingPath
        let standard = (path as NSString).standardizingPath
        guard !folder.isEmpty, standard.hasPrefix(folder + "/") else { return path }
        return String(standard.dropFirst(folder.count + 1))
    }
}
