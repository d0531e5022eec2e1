import ArgumentParser
import Engine
import Foundation
import Formats
import Imaging
import Notebook

/// `medsynth diff A.json B.json`: what changed between two runs of a notebook, from their JSON
/// reports: numbers within tolerances, tables cell by cell, expectations, and figures (their
/// images by SSIM); optionally a page with the figures side by side.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two runs of a notebook through their JSON reports (numbers within tolerances, figures by SSIM).",
        discussion: """
            Cells are matched by label, displays in order, expectations by line. A number agrees \
            when |a - b| <= tolerance + relative-tolerance |b|, as `~` does. Exits 1 when anything \
            differs, 0 when the runs agree.
            """)

    @Argument(help: "The first run's JSON report.", completion: .file(extensions: ["json"]))
    var first: String

    @Argument(help: "The second run's JSON report.", completion: .file(extensions: ["json"]))
    var second: String

    @Option(help: "The absolute tolerance.")
    var tolerance = 1e-8

    @Option(help: "The relative tolerance.")
    var relativeTolerance = 1e-5

    @Option(help: "Figures whose images have an SSIM below this differ.")
    var minimumSsim = 0.99

    @Option(help: "Also write an HTML page with every figure of both runs side by side.")
    var html: String?

    func run() throws {
        var reports: [[String: Any]] = []
        for path in [first, second] {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("error: \(path): cannot be read")
                throw ExitCode(2)
            }
            switch ReportComparison.parse(data) {
            case .success(let report): reports.append(report)
            case .failure(let error):
                printError("error: \(path): \(error)")
                throw ExitCode(2)
            }
        }
        var comparison = ReportComparison()
        comparison.absoluteTolerance = tolerance
        comparison.relativeTolerance = relativeTolerance
        comparison.minimumSSIM = minimumSsim
        comparison.imageSimilarity = Self.similarity
        comparison.compare(reports[0], reports[1])
        for difference in comparison.differences { print(difference) }
        for (place, score) in comparison.figureScores { print(String(format: "%@: SSIM %.4f", place, score)) }
        if let html {
            try NotebookReport.writeAtomically(Self.sideBySide(reports[0], reports[1], comparison), to: html)
            print("figures side by side: \(html)")
        }
        print("\(comparison.compared) values compared; \(comparison.differences.isEmpty ? "the runs agree" : "\(comparison.differences.count) differ")")
        if !comparison.differences.isEmpty { throw ExitCode(1) }
    }

    /// SSIM of two PNG files, as grey images in 0...1 (colour is averaged); nil when either
    /// cannot be read, or they differ in size or are smaller than SSIM's window.
    static func similarity(_ a: String, _ b: String) -> Double? {
        func grey(_ path: String) -> Tensor? {
            guard let image = try? PNGImage(reading: path).intensities, image.rank == 3 else { return nil }
            return try? image.mean(axes: [0], keepDims: true)
        }
        guard let x = grey(a), let y = grey(b), x.shape == y.shape, x.shape[1] >= 11, x.shape[2] >= 11 else { return nil }
        return try? Metrics.structuralSimilarity(x, y, dataRange: 1)
    }

    /// A page listing the differences, then each figure of the two runs side by side.
    static func sideBySide(_ a: [String: Any], _ b: [String: Any], _ comparison: ReportComparison) -> String {
        func figures(_ report: [String: Any]) -> [(place: String, title: String, image: String?)] {
            ((report["cells"] as? [[String: Any]]) ?? []).flatMap { cell in
                ((cell["displays"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "figure" }.map {
                    ("cell \(cell["label"] as? String ?? "")", $0["title"] as? String ?? "", $0["image"] as? String)
                }
            }
        }
        let escape = NotebookReport.escapeHTML
        func image(_ path: String?) -> String {
            guard let path else { return "<p>(no image file)</p>" }
            return "<img src=\"\(escape(URL(fileURLWithPath: path).absoluteString))\" alt=\"\(escape(path))\">"
        }
        var rows = ""
        for (x, y) in zip(figures(a), figures(b)) {
            rows += "<tr><th colspan=\"2\">\(escape(x.place)): \(escape(x.title))</th></tr><tr><td>\(image(x.image))</td><td>\(image(y.image))</td></tr>\n"
        }
        let list = comparison.differences.map { "<li>\(escape($0.description))</li>" }.joined()
        return """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>medsynth diff</title>
            <style>body { font-family: system-ui, sans-serif; margin: 2rem; } td { vertical-align: top; padding: .3rem; }
            img { max-width: 48vw; image-rendering: pixelated; } th { text-align: left; padding-top: 1rem; }</style></head><body>
            <h1>\(escape((a["notebook"] as? String) ?? "")) against \(escape((b["notebook"] as? String) ?? ""))</h1>
            <p>\(comparison.compared) values compared; \(comparison.differences.count) differ.</p><ul>\(list)</ul>
            <table><tr><th>first run</th><th>second run</th></tr>
            \(rows)</table></body></html>

            """
    }
}
