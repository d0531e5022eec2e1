import Engine
import Foundation

/// Files found by a pattern, walked in Swift rather than by glob(3): bounded, interruptible and
/// confined. Each wildcard component (`*`, `?`, `[...]`, as fnmatch(3) reads them) matches the
/// names of one folder, sorted; `.` and `..` may appear only before the first wildcard; folders
/// reached through a symbolic link are not walked into below a wildcard (a link to `.` would
/// repeat the tree without end), and names starting with a dot match only a pattern that does.
struct FileSearch {
    /// The most paths a search gives, and the most folders it lists.
    static let maximumMatches = ValueLimits.maximumValueCount
    static let maximumFoldersListed = 100_000

    enum Failure: Error {
        /// The pattern itself: `..` after a wildcard, or empty.
        case pattern(String)
        /// A folder before the first wildcard lies outside the run's folders.
        case refused(String)
        /// Too many matches or folders.
        case tooMany(String)
    }

    /// The paths matching `pattern` (resolved as `resolved`), each one the run may read; those
    /// that lead outside the run's folders are left out, and counted in `leftOut`.
    static func matches(
        of resolved: String, access: FileAccess, cancellation: CancellationFlag
    ) throws -> (paths: [String], leftOut: Int) {
        let components = resolved.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !components.isEmpty else { throw Failure.pattern("an empty pattern matches nothing") }
        let isWildcard = { (part: String) in part.contains { "*?[".contains($0) } }
        let firstWildcard = components.firstIndex(where: isWildcard) ?? components.count
        if components[firstWildcard...].contains(where: { $0 == "." || $0 == ".." }) {
            throw Failure.pattern("'.' and '..' may come only before the first wildcard of a pattern")
        }
        let prefix = (resolved.hasPrefix("/") ? "/" : "") + components[..<firstWildcard].joined(separator: "/")
        let root = prefix.isEmpty ? "." : prefix
        if let refusal = access.refusal(of: root, for: .read) { throw Failure.refused(refusal) }
        guard firstWildcard < components.count else {
            return FileManager.default.fileExists(atPath: root) ? ([root], 0) : ([], 0)
        }
        var current = [root]
        var listed = 0
        for (offset, part) in components[firstWildcard...].enumerated() {
            let isLast = firstWildcard + offset == components.count - 1
            var next: [String] = []
            for folder in current {
                try cancellation.checkCancellation()
                func join(_ name: String) -> String { folder == "." && !resolved.hasPrefix("./") ? name : folder + "/" + name }
                if !isWildcard(part) {
                    let path = join(part)
                    if isLast ? FileManager.default.fileExists(atPath: path) : isRealFolder(path) { next.append(path) }
                    continue
                }
                listed += 1
                guard listed <= maximumFoldersListed else { throw Failure.tooMany("the pattern lists more than \(maximumFoldersListed) folders") }
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
                for name in names.sorted() where fnmatch(part, name, FNM_PERIOD) == 0 {
                    let path = join(name)
                    if isLast || isRealFolder(path) { next.append(path) }
                    guard next.count <= maximumMatches else { throw Failure.tooMany("the pattern matches more than \(maximumMatches) paths") }
                }
            }
            current = next
        }
        let allowed = current.filter { access.refusal(of: $0, for: .read) == nil }
        return (allowed, current.count - allowed.count)
    }

    /// Whether `path` is a folder itself, not a link to one.
    private static func isRealFolder(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }
}
