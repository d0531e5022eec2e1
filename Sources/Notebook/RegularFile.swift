import Foundation

/// Files a run opens by name (a notebook, a file whose hash keys a statement), opened only when
/// they are regular files: a named pipe would block the run and a device could never end.
enum RegularFile {
    /// Why a path was not opened.
    enum Refusal: Error {
        case missing
        case notRegular
    }

    /// A descriptor open for reading on the regular file at `path`; the caller closes it.
    static func open(_ path: String) -> Result<Int32, Refusal> {
        // O_NONBLOCK: opening a pipe for reading would otherwise wait for a writer.
        let descriptor = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.missing) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            return .failure(.notRegular)
        }
        return .success(descriptor)
    }

    /// How reading a file a piece at a time ended.
    enum ReadEnd {
        case end, stopped, failed
    }

    /// Reads the open `descriptor` a piece at a time, handing each piece to `body`, until the
    /// end of the file or until `body` returns false.
    static func readPieces(_ descriptor: Int32, _ body: (ArraySlice<UInt8>) -> Bool) -> ReadEnd {
        var piece = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = piece.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return .failed }
            if count == 0 { return .end }
            guard body(piece[..<count]) else { return .stopped }
        }
    }
}
