import Foundation

/// One file of a library: its name (prelude.medsynth), its text, and where it came from.
public struct LibrarySource: Sendable, Equatable {
    public var name: String
    public var text: String
    /// A path, or "built in" for the files embedded in the binary.
    public var origin: String

    public init(name: String, text: String, origin: String) {
        (self.name, self.text, self.origin) = (name, text, origin)
    }

    /// The files at `paths`, read as UTF-8; a file that cannot be read is an error that names it.
    public static func files(_ paths: [String]) throws -> [LibrarySource] {
        try paths.map { path in
            guard let data = FileManager.default.contents(atPath: path) else { throw RuntimeError("cannot read the library \(path)") }
            guard let text = String(data: data, encoding: .utf8) else { throw RuntimeError("the library \(path) is not UTF-8 text") }
            return LibrarySource(name: (path as NSString).lastPathComponent, text: text, origin: path)
        }
    }
}

/// medsynth's standard library: the functions written in medsynth itself, stdlib/*.medsynth at
/// the top of the repository. The build embeds those files in the binary (the
/// EmbedStandardLibrary plugin writes `embeddedFiles`), so an installed medsynth always has them;
/// MEDSYNTH_STDLIB names a folder to load instead, for working on the library itself.
public enum StandardLibrary {
    /// The environment variable that names a stdlib folder to use instead of the built-in one.
    public static let environmentVariable = "MEDSYNTH_STDLIB"

    /// The library a session loads, and where it came from.
    public struct Selection: Sendable {
        /// prelude.medsynth first, then the others by name.
        public var sources: [LibrarySource]
        /// "built in (prelude.medsynth, course.medsynth)" or "MEDSYNTH_STDLIB=/path (…)".
        public var description: String
    }

    /// The files built into this binary, prelude first.
    public static var builtIn: [LibrarySource] {
        ordered(embeddedFiles.map { LibrarySource(name: $0.name, text: $0.text, origin: "built in") })
    }

    /// The library to load: MEDSYNTH_STDLIB's folder when it is set, the built-in files otherwise.
    /// A folder without prelude.medsynth is an error rather than a session without its library.
    public static func selected(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Selection {
        guard let folder = environment[environmentVariable], !folder.isEmpty else {
            let sources = builtIn
            return Selection(sources: sources, description: "built in (\(sources.map(\.name).joined(separator: ", ")))")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuntimeError(
                "\(environmentVariable)=\(folder) is not a folder",
                hint: "unset \(environmentVariable) to use the standard library built into medsynth")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".medsynth") && !$0.hasPrefix(".") } ?? []
        guard names.contains("prelude.medsynth") else {
            throw RuntimeError(
                "\(environmentVariable)=\(folder) has no prelude.medsynth",
                hint: "unset \(environmentVariable) to use the standard library built into medsynth")
        }
        let sources = ordered(try LibrarySource.files(names.map { (folder as NSString).appendingPathComponent($0) }))
        return Selection(
            sources: sources, description: "\(environmentVariable)=\(folder) (\(sources.map(\.name).joined(separator: ", ")))")
    }

    /// For an unknown name that the built-in library defines: a hint that the session runs
    /// without that part of the library, instead of a spelling suggestion.
    public static func hint(forUnknown name: String) -> String? {
        guard let file = builtIn.first(where: { source in
            LibraryFunction.documented(in: source.text, file: source.name).contains { $0.name == name }
        }) else { return nil }
        return "'\(name)' is a function of medsynth's standard library (\(file.name)), which this session did not load; "
            + "check \(environmentVariable), or unset it to use the built-in library"
    }

    static func ordered(_ sources: [LibrarySource]) -> [LibrarySource] {
        sources.sorted { ($0.name == "prelude.medsynth" ? 0 : 1, $0.name) < ($1.name == "prelude.medsynth" ? 0 : 1, $1.name) }
    }
}
