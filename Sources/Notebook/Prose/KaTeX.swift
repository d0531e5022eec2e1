import Foundation
import Formats

/// KaTeX, which renders the report's formulas in the browser, without a network: the copy
/// Debian's libjs-katex installs (or the folder `MEDSYNTH_KATEX` names) is copied beside the
/// report, or inlined into it.
///
/// Without KaTeX the formulas stay in the report as the TeX that was written, set apart, and the
/// report says why.
struct KaTeX {
    /// The folder holding katex.js (or katex.min.js), katex.min.css and fonts/.
    var folder: String

    static let searchedFolders = ["/usr/share/javascript/katex", "/usr/local/share/javascript/katex", "/usr/share/katex"]

    /// What to install when it is missing, for messages.
    static let installHint = "formulas are shown as TeX because KaTeX was not found (Debian: apt-get install libjs-katex; or set MEDSYNTH_KATEX to a KaTeX folder)"

    /// The installed copy, or nil.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> KaTeX? {
        let candidates = (environment["MEDSYNTH_KATEX"].map { [$0] } ?? []) + searchedFolders
        for folder in candidates {
            let katex = KaTeX(folder: folder)
            if katex.script != nil, FileManager.default.fileExists(atPath: katex.path("katex.min.css")) { return katex }
        }
        return nil
    }

    private func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// The script's file: the minified one where it exists.
    var script: String? {
        ["katex.min.js", "katex.js"].map(path).first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The fonts the style sheet names first for each face (WOFF2, which every current browser reads).
    var fonts: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path("fonts"))) ?? []
        return names.filter { $0.hasSuffix(".woff2") }.sorted()
    }

    /// Copies the script, style sheet and fonts into `destination`.
    func copy(to destination: String) throws {
        let fonts = (destination as NSString).appendingPathComponent("fonts")
        try FileManager.default.createDirectory(atPath: fonts, withIntermediateDirectories: true)
        guard let script, let scriptData = FileManager.default.contents(atPath: script),
              let style = FileManager.default.contents(atPath: path("katex.min.css")) else {
            throw NotebookError(path: folder, line: nil, "cannot read KaTeX's files")
        }
        try AtomicWrite.write(Array(scriptData), to: (destination as NSString).appendingPathComponent("katex.min.js"))
        try AtomicWrite.write(Array(style), to: (destination as NSString).appendingPathComponent("katex.min.css"))
        for font in self.fonts {
            guard let data = FileManager.default.contents(atPath: path("fonts/" + font)) else { continue }
            try AtomicWrite.write(Array(data), to: (fonts as NSString).appendingPathComponent(font))
        }
    }

    /// The elements that load KaTeX from a copy at `link` (relative to the report).
    static func head(linkingTo link: String) -> String {
        let escaped = NotebookReport.escape(link)
        return "<link rel=\"stylesheet\" href=\"\(escaped)/katex.min.css\">\n<script defer src=\"\(escaped)/katex.min.js\"></script>"
    }

    /// The elements that carry KaTeX inside the page: the script, and the style sheet with its fonts as data URLs.
    func inlineHead() throws -> String {
        guard let script, let code = try? String(contentsOfFile: script, encoding: .utf8),
              var style = try? String(contentsOfFile: path("katex.min.css"), encoding: .utf8) else {
            throw NotebookError(path: folder, line: nil, "cannot read KaTeX's files")
        }
        for font in fonts {
            guard let data = FileManager.default.contents(atPath: path("fonts/" + font)) else { continue }
            style = style.replacingOccurrences(of: "url(fonts/\(font))", with: "url(data:font/woff2;base64,\(data.base64EncodedString()))")
        }
        // A script element ends at the first "</script" in it, whatever its context.
        let safeCode = code.replacingOccurrences(of: "</script", with: "<\\/script", options: .caseInsensitive)
        return "<style>\(style)</style>\n<script>\(safeCode)</script>"
    }

    /// Renders every math element once the page and KaTeX are loaded; a formula KaTeX cannot
    /// read is shown in red as written, instead of stopping the others.
    static let renderScript = """
        <script>
        window.addEventListener("DOMContentLoaded", function () {
          if (typeof katex === "undefined") return;
          document.querySelectorAll(".math").forEach(function (element) {
            katex.render(element.textContent, element, { displayMode: element.classList.contains("display"), throwOnError: false });
          });
        });
        </script>
        """
}
