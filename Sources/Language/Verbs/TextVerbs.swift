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
            sign on positive numbers, 0 to pad with zeros (after the sign, or on the side an alignment names), width the least number of characters,
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
        switch value.written(in: format) {
        case .success(let text): return .string(text)
        case .failure(let problem): throw call.error("x", "\(problem)", found: value.summary)
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
            pieces = text.split(separator: separator, maxSplits: ValueLimits.maximumValueCount, omittingEmptySubsequences: false)
        } else {
            pieces = text.split(maxSplits: ValueLimits.maximumValueCount, omittingEmptySubsequences: true, whereSeparator: { $0.isWhitespace })
        }
        // The pieces stop at the limit, the rest left in the last: more than the limit is refused.
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
            Names that start with a dot match only a pattern that starts with one; '.' and '..'
            may come only before the first wildcard, and below a wildcard a folder that is a
            symbolic link is not walked into. In a notebook run, paths that lead outside its
            folders are left out (a note says how many).
            """
    ) { call in
        let pattern = try call.string("pattern")
        let resolved = call.context.resolve(pattern)
        let paths = try search(resolved, call, "pattern")
        // What the pattern found keys what reads the list, in a notebook's cache.
        for path in paths { call.context.recordRead(path) }
        // A relative pattern gives paths relative to where it started, as it was written.
        let prefix = resolved.dropLast(pattern.count)
        let relative = !pattern.hasPrefix("/") && !pattern.hasPrefix("~") && resolved.hasSuffix(pattern)
        return .list(paths.map { .string(relative && $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0) })
    }
}

extension TextVerbs {
    /// The paths `resolved` matches (`FileSearch`), with its failures as errors at `option`.
    static func search(_ resolved: String, _ call: VerbCall, _ option: String) throws -> [String] {
        do {
            let (paths, leftOut) = try FileSearch.matches(of: resolved, access: call.context.fileAccess, cancellation: call.context.cancellation)
            if leftOut > 0 {
                call.context.print("note: \(leftOut) matching path\(leftOut == 1 ? "" : "s") left out: they lead outside the folders this run may use")
            }
            return paths
        } catch let failure as FileSearch.Failure {
            switch failure {
            case .pattern(let message), .tooMany(let message):
                throw call.error(option, message)
            case .refused(let refusal):
                throw call.error(
                    option, refusal, expected: "a pattern inside \(call.context.fileAccess.allowedDescription)",
                    hint: "to allow a folder, run with --allow-path FOLDER (see docs/security.md)")
            }
        }
    }
}
