#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Engine

/// An open file descriptor, with reads and writes that either do all they were asked or throw a
/// `FormatError` naming the file (a short read is a truncated file; a short write is a full disk).
/// The descriptor is closed when the value is released, whatever path the caller took out.
final class PosixFile {
    /// The path as the caller gave it, for messages.
    let path: String
    private var descriptor: Int32

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { _ = closeDescriptor(descriptor) }
    }

    /// Opens an existing regular file for reading.
    ///
    /// Anything else is refused: a directory, and also a FIFO, socket or device, which a
    /// hostile notebook could name `scan.png` to make `load` wait forever for a writer. The file
    /// is opened with O_NONBLOCK (so opening a FIFO returns at once), checked with fstat, and
    /// then switched back to blocking reads.
    static func openForReading(_ path: String, followingLinks: Bool = true) throws -> PosixFile {
        let descriptor = retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followingLinks ? 0 : O_NOFOLLOW)) }
        guard descriptor >= 0 else {
            throw errno == ENOENT ? FormatError(file: path, "no such file") : systemError(path, "cannot open for reading")
        }
        let file = PosixFile(path: path, descriptor: descriptor)
        try requireRegularFile(descriptor: descriptor, path: path)
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            throw systemError(path, "cannot set up for reading")
        }
        return file
    }

    private static func requireRegularFile(descriptor: Int32, path: String) throws {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError(path, "cannot inspect") }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw FormatError(file: path, "is a directory, not a file")
        case S_IFIFO: throw FormatError(file: path, "is a named pipe (FIFO), not a regular file; medsynth reads only regular files")
        default: throw FormatError(file: path, "is a device or socket, not a regular file; medsynth reads only regular files")
        }
    }

    /// Another descriptor for the same open file: it keeps the file (its inode) alive after
    /// this one is closed, or its name removed.
    func duplicate() throws -> PosixFile {
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw Self.systemError(path, "cannot duplicate the descriptor of") }
        return PosixFile(path: path, descriptor: copy)
    }

    /// The identity of the open file (see `FileIdentity`).
    func identity() throws -> FileIdentity {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.systemError(path, "cannot inspect") }
        return FileIdentity(status)
    }

    /// Creates a new file for writing; fails if something already has this name.
    static func createExclusive(_ path: String) throws -> PosixFile {
        let descriptor = retryingInterrupts { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard descriptor >= 0 else { throw systemError(path, "cannot create") }
        return PosixFile(path: path, descriptor: descriptor)
    }

    /// The size of the file in bytes.
    func size() throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw PosixFile.systemError(path, "cannot inspect") }
        return Int(status.st_size)
    }

    /// Exactly `count` bytes starting at `offset`; fewer bytes in the file is an error, and so
    /// is a count over the memory budget.
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        try MemoryBudget.check(bytes: count, for: "reading \(path)")
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills `buffer` from the bytes starting at `offset`; fewer bytes in the file is an error.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let got = retryingInterrupts {
                pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            }
            if got < 0 { throw PosixFile.systemError(path, "cannot read") }
            if got == 0 {
                throw FormatError(file: path,
                    "is truncated: expected \(buffer.count) bytes at offset \(offset), but the file ends after \(done)")
            }
            done += got
        }
    }

    /// Reads from the current position to the end a piece at a time, handing each piece to
    /// `body`, until the end or until `body` returns false; whether the end was reached.
    func readPieces(size: Int = 1 << 20, _ body: (ArraySlice<UInt8>) throws -> Bool) throws -> Bool {
        var piece = [UInt8](repeating: 0, count: size)
        while true {
            let count = piece.withUnsafeMutableBytes { buffer in
                retryingInterrupts { readDescriptor(descriptor, buffer.baseAddress, buffer.count) }
            }
            guard count >= 0 else { throw PosixFile.systemError(path, "cannot read") }
            if count == 0 { return true }
            guard try body(piece[..<count]) else { return false }
        }
    }

    /// Appends all of `bytes` at the current position.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let wrote = retryingInterrupts { writeDescriptor(descriptor, bytes.baseAddress! + done, bytes.count - done) }
            if wrote < 0 { throw PosixFile.systemError(path, "cannot write") }
            done += wrote
        }
    }

    /// Appends all of `bytes`.
    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Waits until the file's contents are on the storage device.
    func synchronize() throws {
        guard fsync(descriptor) == 0 else { throw PosixFile.systemError(path, "cannot flush to disk") }
    }

    /// Closes the descriptor, reporting what close(2) reports (on some file systems a failed
    /// write shows up only here).
    func close() throws {
        guard descriptor >= 0 else { return }
        let result = closeDescriptor(descriptor)
        descriptor = -1
        guard result == 0 else { throw PosixFile.systemError(path, "cannot close") }
    }

    /// A `FormatError` for a failed system call, with the system's reason (errno).
    static func systemError(_ path: String, _ what: String) -> FormatError {
        FormatError(file: path, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// Repeats a system call that was interrupted by a signal before it did anything.
func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

// The libc calls whose names PosixFile's own methods hide.
private func closeDescriptor(_ descriptor: Int32) -> Int32 { close(descriptor) }
private func readDescriptor(_ descriptor: Int32, _ bytes: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, bytes, count)
}
private func writeDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
