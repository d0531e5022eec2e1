import Foundation

/// A function of the standard library (stdlib/*.medsynth) as `:help` and docs/verbs.md show it:
/// its head as written (`def edges_of p sigma=1`) and the comment lines right above its `def`.
public struct LibraryFunction: Sendable, Equatable {
    public var name: String
    /// The definition up to its body: `def edges_of p sigma=1`.
    public var usage: String
    /// The `--` comment right above the definition, without the dashes.
    public var documentation: String
    /// The library file's name: prelude.medsynth.
    public var file: String

    /// The documented functions of the library source `text` (from the file `file`), in order.
    public static func documented(in text: String, file: String) -> [LibraryFunction] {
        var functions: [LibraryFunction] = []
        var comment: [String] = []
        // Definitions on consecutive lines share the comment above the first (signed, unsigned).
        var previousDocumentation: String?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("--") {
                comment.append(line.dropFirst(2).trimmingCharacters(in: .whitespaces))
                previousDocumentation = nil
                continue
            }
            // Only top-level definitions: a `def` indented inside a body is that function's own.
            if rawLine.hasPrefix("def "), let name = line.split(separator: " ").dropFirst().first {
                let documentation = comment.isEmpty ? previousDocumentation ?? "" : comment.joined(separator: " ")
                functions.append(LibraryFunction(
                    name: String(name), usage: head(of: line), documentation: documentation,
                    file: (file as NSString).lastPathComponent))
                previousDocumentation = documentation
            } else {
                previousDocumentation = nil
            }
            comment = []
        }
        return functions
    }

    /// `def name params` without its body: up to ` = ` (outside an option's value) or ` do`.
    static func head(of line: String) -> String {
        if line.hasSuffix(" do") { return String(line.dropLast(3)) }
        if let equals = line.range(of: " = ") { return String(line[..<equals.lowerBound]) }
        return line
    }

    /// The documented functions of the library files at `paths`, in load order.
    public static func documented(inFiles paths: [String]) -> [LibraryFunction] {
        paths.flatMap { path in
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return [LibraryFunction]() }
            return documented(in: text, file: path)
        }
    }

    /// What `:help NAME` prints.
    public var help: String {
        "\(usage)\n\n\(documentation)\n\n(a function of the standard library, \(file))"
    }
}
