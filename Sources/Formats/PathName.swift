/// Parts of a file path, computed on the string alone.
///
/// `NSString.deletingLastPathComponent` in swift-corelibs-foundation traps on a relative path of
/// one character ("a", "a/", ".", "./"), which a user can type as a file name, so medsynth
/// takes paths apart here instead.
public enum PathName {
    /// The folder part of `path`, as `deletingLastPathComponent` gives it: "" for a bare name,
    /// "/" for a name at the root; trailing slashes are not a component.
    public static func folder(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        var folder = trimmed[..<slash]
        while folder.hasSuffix("/") { folder = folder.dropLast() }
        return folder.isEmpty ? "/" : String(folder)
    }

    /// The last component of `path`: "scan.nii.gz" for "data/scan.nii.gz"; trailing slashes
    /// are not a component ("data/" gives "data").
    public static func lastComponent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/"), trimmed != "/" else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// The extension of `path` as messages show it: what follows the last dot of its last
    /// component ("gz" for "scan.nii.gz"), or "" when that has no dot.
    public static func fileExtension(of path: String) -> String {
        let name = lastComponent(of: path)
        guard let dot = name.lastIndex(of: ".") else { return "" }
        return String(name[name.index(after: dot)...])
    }
}
