import Formats
import Foundation

/// Verbs on text: numbers written as strings, strings joined and split, and file names found by
/// a pattern. A string's holes (`"patient{i:03}"`) format values in the same way as `format`.
enum TextVerbs {
    static var all: [Verb] { [format, join, split, glob] }

    static let format = Verb(
        "format", "A value written as a string, in a format such as \"03\", \".2f\" or \".1%\".", category: .values,
        parameters: [
            .argument("x", .any, "a number, a string, or any value"),
            .optionalArgument("spec", .string, default: .string(""), "the format; the REPL's spelling when left out"),
        ],
        result: .string, example: "format 7 \"03\"",
        details: """
            A format is [align][+][0][width][.precision][type], as in Python: align < > ^, + for a
            sign on positive numbers, 0 to pad with zeros, width the least number of characters,
            precision the digits after the point (f, e, %) or significant digits (g, none), type
            d (whole), f (fixed), e (exponent), g (general), % (percent) or s (text). The same
            formats go in a string's holes: "patient{i:03}" is "patient" + format i "03".
            """
    ) { call in
        let spec = try call.string("spec")
        let format: TextFormat
        do {
            format = try TextFormat(parsing: spec)
        } catch {
            throw call.error("spec", "\(error)", expected: "a format such as 03, .2f, 8.3e, >10 or .1%")
        }
        let value = call.value("x")
        do {
            switch value {
            case .number(let number): return .string(try format.write(number))
            case .tensor(let tensor) where tensor.count == 1:
                return .string(try format.write(Double(tensor.withUnsafeBufferPointer { $0[0] })))
            case .string(let text): return .string(try format.write(text: text))
            default: return .string(try format.write(text: value.displayText))
            }
        } catch {
            throw call.error("x", "\(error)", found: value.summary)
        }
    }

    static let join = Verb(
        "join", "The items of a list written one after another as a string, with a separator between.",
        category: .values,
        parameters: [
            .argument("items", .list, "strings, numbers or other values"),
            .optionalArgument("separator", .string, default: .string(""), "what goes between two items"),
        ],
        result: .string, example: "join [\"a\", 1, \"b\"] \", \""
    ) { call in
        let separator = try call.string("separator")
        var text = ""
        for (index, item) in try call.list("items").enumerated() {
            if index > 0 { text += separator }
            text += item.displayText
            guard text.utf8.count <= ValueLimits.maximumStringBytes else {
                throw call.error("items", "the string would be too long (more than \(ValueLimits.maximumStringBytes) bytes)")
            }
        }
        return .string(text)
    }

    static let split = Verb(
        "split", "A string cut into a list of strings at each separator, or at runs of white space.",
        category: .values,
        parameters: [
            .argument("text", .string, "a string"),
            .optionalArgument("separator", .string, default: .nothing, "where to cut; runs of spaces, tabs and line breaks when left out"),
        ],
        result: .list, example: "split \"ED: 1\" \": \""
    ) { call in
        let text = try call.string("text")
        let pieces: [Substring]
        if let separator = try call.optionalString("separator") {
            guard !separator.isEmpty else { throw call.error("separator", "an empty separator cuts nowhere") }
            pieces = text.split(separator: separator, omittingEmptySubsequences: false)
        } else {
            pieces = text.split(whereSeparator: { $0.isWhitespace })
        }
        guard pieces.count <= ValueLimits.maximumValueCount else {
            throw call.error("text", "it would split into more than \(ValueLimits.maximumValueCount) pieces")
        }
        return .list(pieces.map { .string(String($0)) })
    }

    static let glob = Verb(
        "glob", "The paths of the files that match a pattern, sorted: * any characters, ? one, [abc] one of these.",
        category: .data,
        parameters: [.argument("pattern", .pattern, "a path with * ? [...] in its names, e.g. \"acdc/patient*/*_gt.nii.gz\"")],
        result: .list, example: "glob \"*.png\"",
        details: """
            A pattern does not cross folders: "*" matches within one name, so "acdc/*/*.nii.gz"
            looks one folder down. Relative patterns start from the notebook's folder and give
            relative paths, which load reads from the same place. No match gives an empty list.
            Names that start with a dot match only a pattern that starts with one.
            """
    ) { call in
        let pattern = try call.string("pattern")
        let resolved = call.context.resolve(pattern)
        guard !resolved.isEmpty else { throw call.error("pattern", "an empty pattern matches nothing") }
        // The folder before the first wildcard must be one the run may read; nothing outside
        // it is listed.
        let fixed = resolved.split(separator: "/", omittingEmptySubsequences: false)
            .prefix { !$0.contains(where: { "*?[".contains($0) }) }.joined(separator: "/")
        if let refusal = call.context.fileAccess.refusal(of: fixed.isEmpty ? "/" : fixed, for: .read) {
            throw call.error(
                "pattern", refusal, expected: "a pattern inside \(call.context.fileAccess.allowedDescription)",
                hint: "to allow it, run with --allow-path \(FileAccess.canonical(fixed.isEmpty ? "/" : fixed)) (see docs/security.md)")
        }
        var found = glob_t()
        defer { globfree(&found) }
        let status = Foundation.glob(resolved, 0, nil, &found)
        guard status == 0 || status == GLOB_NOMATCH else {
            throw call.error("pattern", status == GLOB_NOSPACE ? "out of memory listing the files" : "the folders of the pattern cannot be read")
        }
        guard found.gl_pathc <= ValueLimits.maximumValueCount else {
            throw call.error("pattern", "it matches more than \(ValueLimits.maximumValueCount) files")
        }
        var paths: [String] = []
        for index in 0..<Int(found.gl_pathc) {
            guard let pointer = found.gl_pathv[index] else { continue }
            let path = String(cString: pointer)
            if call.context.fileAccess.refusal(of: path, for: .read) != nil {
                throw call.error(
                    "pattern", "the pattern matches \(path), which leads outside the folders this run may use",
                    expected: "files inside \(call.context.fileAccess.allowedDescription)")
            }
            paths.append(path)
        }
        // A relative pattern gives paths relative to where it started, as it was written.
        let prefix = resolved.dropLast(pattern.count)
        let relative = !pattern.hasPrefix("/") && !pattern.hasPrefix("~") && resolved.hasSuffix(pattern)
        return .list(paths.map { .string(relative && $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0) })
    }
}
