import Foundation

/// docs/verbs.md, generated from the registry (a test keeps the file in step).
public enum VerbReference {
    public static func markdown(_ registry: VerbRegistry, functions: [LibraryFunction] = []) -> String {
        var lines = [
            "# Verbs",
            "",
            "Every verb of the medsynth language, generated from its declaration in",
            "`Sources/Language/Verbs` (the REPL's `:help VERB` prints the same). Positional arguments",
            "come first; options are written `name=value`. Do not edit by hand: run",
            "`MEDSYNTH_UPDATE_DOCS=1 scripts/test.sh` after changing a verb.",
            "",
        ]
        if !functions.isEmpty {
            lines.append("- [Functions of the standard library](#functions-of-the-standard-library): "
                + functions.map { "`\($0.name)`" }.joined(separator: ", "))
        }
        for category in Verb.Category.allCases {
            let verbs = registry.verbs.filter { $0.category == category }
            guard !verbs.isEmpty else { continue }
            lines.append("- \(category.rawValue): " + verbs.map { "[`\($0.name)`](#\($0.name))" }.joined(separator: ", "))
        }
        for category in Verb.Category.allCases {
            let verbs = registry.verbs.filter { $0.category == category }
            guard !verbs.isEmpty else { continue }
            lines += ["", "## \(category.rawValue)"]
            for verb in verbs {
                lines += ["", "### \(verb.name)", "", "`\(verb.usage)`", "", verb.summary]
                if !verb.details.isEmpty { lines += ["", verb.details] }
                if !verb.parameters.isEmpty {
                    lines += ["", "| parameter | accepts | default | meaning |", "|---|---|---|---|"]
                    for parameter in verb.parameters {
                        let defaultText: String
                        if parameter.isVariadic { defaultText = "any number" }
                        else if let value = parameter.defaultValue { defaultText = value.type == .nothing ? "—" : "`\(Verb.spell(value))`" }
                        else { defaultText = "required" }
                        let name = parameter.isPositional ? parameter.name : "\(parameter.name)="
                        lines.append("| `\(name)` | \(parameter.kind.description.replacingOccurrences(of: "|", with: "\\|")) | \(defaultText) | \(parameter.help) |")
                    }
                }
                lines += ["", "Returns \(verb.returnText).", "", "```medsynth", verb.example, "```"]
            }
        }
        if !functions.isEmpty {
            lines += ["", "## Functions of the standard library", "",
                      "Written in medsynth itself, in `stdlib/` (`prelude.medsynth` first, then the others by name),",
                      "and loaded into every session; `:help NAME` prints the same. Their comments are their documentation."]
            for function in functions {
                lines += ["", "### \(function.name)", "", "`\(function.usage)` (\(function.file))", ""]
                lines.append(function.documentation.isEmpty ? "Not documented." : function.documentation)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
