import Engine
import Formats
import Foundation
import Language

/// The report of a run: HTML (the prose rendered from Markdown, each cell's code and outputs,
/// figures, tables, SVG plots, its time and cache status, its expectations) and beside it JSON
/// with every displayed value and every expectation.
public enum NotebookReport {
    /// Writes `<folder>/<name>.html`, `<folder>/<name>.json` and the figures in
    /// `<folder>/<name>-figures/`; returns the HTML's path.
    @discardableResult
    public static func write(_ result: NotebookRunner.RunResult, to folder: String, named: String? = nil) throws -> String {
        let name = named ?? defaultName(of: result.document.path)
        let figures = (folder as NSString).appendingPathComponent("\(name)-figures")
        try FileManager.default.createDirectory(atPath: figures, withIntermediateDirectories: true)
        let html = try self.html(result, figuresFolder: figures, figuresLink: "\(name)-figures")
        let htmlPath = (folder as NSString).appendingPathComponent("\(name).html")
        try writeAtomically(html, to: htmlPath)
        try writeAtomically(json(result), to: (folder as NSString).appendingPathComponent("\(name).json"))
        return htmlPath
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

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func html(_ result: NotebookRunner.RunResult, figuresFolder: String, figuresLink: String) throws -> String {
        let document = result.document
        let title = document.frontMatter.title ?? (document.path as NSString).lastPathComponent
        var body: [String] = []
        var results = result.cells.makeIterator()
        var figureCount = 0
        for block in document.blocks {
            switch block {
            case .prose(let markdown):
                body.append("<section class=\"prose\">\(ProseHTML.render(markdown))</section>")
            case .cell(let cell):
                var parts = ["<section class=\"cell\" id=\"\(escape(cell.label))\">",
                             "<pre class=\"code\"><code>\(escape(cell.code))</code></pre>"]
                guard let cellResult = results.next(), cellResult.cell.label == cell.label else {
                    parts.append("<p class=\"status\">not run (an earlier cell failed)</p></section>")
                    body.append(parts.joined(separator: "\n"))
                    continue
                }
                for output in cellResult.outputs {
                    switch output {
                    case .text(let text):
                        parts.append("<pre class=\"output\">\(escape(text))</pre>")
                    case .table(let table):
                        let head = table.columns.map { "<th>\(escape($0))</th>" }.joined()
                        let rows = table.rows.map { "<tr>" + $0.map { "<td>\(escape($0.displayText))</td>" }.joined() + "</tr>" }
                        parts.append("<table><tr>\(head)</tr>\(rows.joined())</table>")
                    case .figure(let figure):
                        figureCount += 1
                        switch figure.content {
                        case .raster(let image):
                            let file = "figure-\(figureCount).png"
                            try PNGImage.write(image, to: (figuresFolder as NSString).appendingPathComponent(file))
                            parts.append("<figure><img src=\"\(escape(figuresLink))/\(file)\" alt=\"\(escape(figure.title))\"><figcaption>\(escape(figure.title))</figcaption></figure>")
                        case .vector(let svg):
                            // A file shown by <img>, not inline: a browser runs no script of an
                            // SVG it shows as an image (the SVG may come from a shared cache).
                            let file = "figure-\(figureCount).svg"
                            try writeAtomically(svg, to: (figuresFolder as NSString).appendingPathComponent(file))
                            parts.append("<figure><img src=\"\(escape(figuresLink))/\(file)\" alt=\"\(escape(figure.title))\"><figcaption>\(escape(figure.title))</figcaption></figure>")
                        }
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
        let passed = result.expectations.filter(\.passed).count
        let summary = "\(result.cells.count) cells in \(String(format: "%.2f", result.seconds)) s; \(passed) of \(result.expectations.count) expectations held"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; line-height: 1.5; color: #222; }
            pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
            pre.code { border-left: 3px solid #4a7; }
            pre.error { background: #fee; border-left: 3px solid #c33; }
            .status { color: #777; font-size: .85rem; }
            .expect.pass { color: #275; } .expect.fail { color: #b22; font-weight: bold; }
            table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2rem .5rem; text-align: right; }
            figure img { max-width: 100%; image-rendering: pixelated; }
            </style></head><body>
            <h1>\(escape(title))</h1>
            <p class="status">\(escape(summary))</p>
            \(result.parameters.isEmpty ? "" : "<p class=\"status\">parameters: " + escape(result.parameters.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")) + "</p>")
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }

    static func json(_ result: NotebookRunner.RunResult) throws -> String {
        let cells: [[String: Any]] = result.cells.map { cell in
            var entry: [String: Any] = [
                "label": cell.cell.label, "line": cell.cell.fenceLine, "seconds": cell.seconds, "cache": cell.cacheStatus,
                "displays": cell.outputs.map { output -> [String: Any] in
                    switch output {
                    case .text(let text): return ["kind": "text", "value": text]
                    case .table(let table): return ["kind": "table", "columns": table.columns, "rows": table.rows.map { $0.map(\.displayText) }]
                    case .figure(let figure): return ["kind": "figure", "title": figure.title]
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
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self) + "\n"
    }
}
