/// Reading a file by name outside the format readers (a notebook, a file whose contents key a
/// cached statement) by the readers' rule: only a regular file is opened, so that a named pipe
/// cannot block a run and a device cannot make it read forever.
public enum RegularFile {
    /// Hands the contents of the regular file at `path` to `body` a piece at a time, until the
    /// end (true) or until `body` returns false (false). Throws a `FormatError` that says what
    /// is wrong: no such file, a folder, a pipe or a device, or a failed read; and, when
    /// `followingLinks` is false, a symbolic link at `path`.
    @discardableResult
    public static func readPieces(
        _ path: String, followingLinks: Bool = true, _ body: (ArraySlice<UInt8>) throws -> Bool
    ) throws -> Bool {
        try PosixFile.openForReading(path, followingLinks: followingLinks).readPieces(body)
    }
}
