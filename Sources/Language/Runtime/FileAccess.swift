import Formats
import Foundation

/// Which files the statements of a run may read and write: the trust boundary of a notebook.
///
/// A notebook is a file someone else may have written, so `medsynth run` and `check` confine
/// its `load` and `save` to its own folder tree, the cache and the run's output folder, plus
/// the folders the user allows (`--allow-path`). The REPL, where the user types each line, is
/// unrestricted. Paths are compared after resolving symbolic links and `..`, so a link inside
/// the notebook's folder that points elsewhere does not widen the boundary.
///
/// Inside a confined run, replacing a file that already exists needs `overwrite=true` on
/// `save`, unless the file lies in the run's output folder (figures and reports are meant to be
/// rewritten).
public struct FileAccess: Sendable, Equatable {
    /// What a statement does with a path.
    public enum Use: Sendable {
        case read, write
    }

    /// The folders a run may use, canonical; nil: anywhere.
    public let folders: [String]?
    /// The folders whose files may be replaced without `overwrite=true`, canonical.
    public let outputFolders: [String]

    /// Anywhere, and files are replaced without asking (the REPL).
    public static let unrestricted = FileAccess(folders: nil, outputFolders: [])

    /// Only inside `folders` (and `outputFolders`, which are also writable and whose files may
    /// be replaced). Relative folders start from the working directory.
    public static func confined(to folders: [String], outputFolders: [String]) -> FileAccess {
        let output = outputFolders.map(canonical)
        return FileAccess(folders: folders.map(canonical) + output, outputFolders: output)
    }

    private init(folders: [String]?, outputFolders: [String]) {
        self.folders = folders
        self.outputFolders = outputFolders
    }

    public var isRestricted: Bool { folders != nil }

    /// Why `path` (absolute, or relative to the working directory) may not be used, or nil when
    /// it may.
    public func refusal(of path: String, for use: Use) -> String? {
        guard let folders else { return nil }
        let resolved = Self.canonical(path)
        if folders.contains(where: { Self.isInside(resolved, $0) }) { return nil }
        let verb = use == .read ? "read" : "write"
        let resolvedNote = resolved == (path as NSString).standardizingPath ? "" : " (\(resolved))"
        return "a notebook may not \(verb) \(path)\(resolvedNote): it lies outside the folders this run may use"
    }

    /// Whether replacing the existing file at `path` needs the user's `overwrite=true`.
    public func replacingNeedsConsent(_ path: String) -> Bool {
        guard isRestricted else { return false }
        let resolved = Self.canonical(path)
        return !outputFolders.contains(where: { Self.isInside(resolved, $0) })
    }

    /// The folders a run may use, for messages.
    public var allowedDescription: String {
        folders.map { $0.joined(separator: ", ") } ?? "anywhere"
    }

    /// Whether `path` is `folder` or lies below it (both canonical).
    static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || folder == "/" || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    /// `path` made absolute with every symbolic link and `.`/`..` resolved as the file system
    /// would: the longest existing prefix goes through realpath(3); what does not exist yet (a
    /// file `save` is about to create) is appended with `..` applied to the resolved prefix. A
    /// dangling link is followed to where it points, since writing through it would create its
    /// target.
    public static func canonical(_ path: String) -> String {
        canonical(path, linksLeft: 40)
    }

    /// Where a path that cannot be resolved (a loop of links) stands: inside no folder.
    static let unresolvable = "/\u{0}unresolvable"

    private static func canonical(_ path: String, linksLeft: Int) -> String {
        guard linksLeft > 0 else { return unresolvable }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var resolved = "/"
        var components = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)[...]
        while let component = components.popFirst() {
            switch component {
            case ".": continue
            case "..": resolved = PathName.folder(of: resolved)
            default:
                let candidate = (resolved as NSString).appendingPathComponent(component)
                if let real = realpath(candidate, nil) {
                    resolved = String(cString: real)
                    free(real)
                    continue
                }
                let rest = components.joined(separator: "/")
                if let target = danglingLinkTarget(candidate) {
                    let base = target.hasPrefix("/") ? target : resolved + "/" + target
                    return canonical(rest.isEmpty ? base : base + "/" + rest, linksLeft: linksLeft - 1)
                }
                if errno == ELOOP { return unresolvable }
                // Nothing by this name: the rest is a path still to be made.
                resolved = candidate
                for part in components {
                    if part == ".." {
                        resolved = PathName.folder(of: resolved)
                    } else if part != "." {
                        resolved = (resolved as NSString).appendingPathComponent(part)
                    }
                }
                return resolved
            }
        }
        return resolved
    }

    /// The target of the symbolic link at `path`, when it is one.
    private static func danglingLinkTarget(_ path: String) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
