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
}
