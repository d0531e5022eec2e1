import Foundation
import Language
import Notebook

/// The readers of medsynth's own text formats: notebooks and the cache's index.
enum NotebookTargets {
    /// As `medsynth check` reads a notebook before it runs anything: the document (front
    /// matter, fences, parameters), then each cell lexed, parsed, analysed and put in canonical
    /// form (the text its cache key hashes). Nothing is executed.
    static func notebook(_ input: [UInt8]) throws {
        let path = ScratchDirectory.file("input.medsynth", containing: input)
        let document = try NotebookDocument.load(path: path)
        // The parameters are bound first, as the runner binds them: `name = value`.
        let parameters = document.frontMatter.parameters.map { parameter in
            SourceFile(name: "\(path), parameter \(parameter.name)", text: "\(parameter.name) = \(parameter.value)",
                       firstLine: parameter.line)
        }
        let cells = document.cells.map { cell in
            SourceFile(name: "\(path), cell \(cell.label)", text: cell.code, firstLine: cell.firstLine)
        }
        // Planned as a dry run plans them: one executor across the cells, nothing run.
        let executor = Executor(interpreter: Interpreter())
        // The prose as the report renders it: whatever it holds, no tag of the notebook's own
        // survives (the report's own are added around it).
        for html in NotebookReport.proseHTML(of: document) {
            let lowered = html.lowercased()
            for forbidden in ["<script", "<iframe", "<svg", "<style", "<object", "<embed", "<!--"] where lowered.contains(forbidden) {
                fatalError("the rendered prose holds '\(forbidden)': \(html.prefix(2000))")
            }
        }
        for source in parameters + cells {
            _ = try executor.plan(source).map(\.canonicalForm)
        }
    }

    /// Opens a fresh cache directory whose index.json holds the input, as every run opens its
    /// cache (reading the index, clearing strays from the empty entries folder).
    ///
    /// It does not look the index's keys up: decoding an entry is the cache-entry target.
    static func cacheIndex(_ input: [UInt8]) throws {
        let directory = ScratchDirectory.emptyDirectory("cache")
        _ = ScratchDirectory.file("cache/index.json", containing: input)
        _ = try TensorCache(directory: directory)
    }
}
