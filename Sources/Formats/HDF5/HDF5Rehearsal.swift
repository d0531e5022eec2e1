import Engine
import Foundation

/// libhdf5 trusts the structures inside a file: on a damaged or crafted file it can read or
/// write out of bounds and take the process down (Tests/Fuzz/crashes/hdf5 holds such files,
/// found by fuzzing libhdf5 1.10). medsynth's own checks cannot see inside the library, so a
/// file that did not come from medsynth's cache is read once in a child process first: if the
/// library crashes there, the file is refused with a message and never read here.
///
/// The child is a fork of this process that walks the whole file as a reader would (every
/// object's attributes, kinds, children, each dataset's shape and values within the memory
/// budget) on one thread, then exits. Errors it meets are not its concern: the real read
/// reports them. It costs one fork and one extra read of the file.
public enum HDF5Rehearsal {
    /// How long the child may take before the file is refused as one that does not finish:
    /// a checkpoint reads in milliseconds, and datasets past `largestRehearsedDataset` are
    /// not read by the child.
    public static let timeLimit: Double = 10

    /// The most objects the walk visits; a checkpoint has a few hundred.
    public static let maximumObjects = 100_000

    /// The largest dataset whose values the child reads (its shape and type are read whatever
    /// its size): larger ones would make the check as slow as the read.
    public static let largestRehearsedDataset = 256 << 20

    /// Reads the file at `path` in a child process; throws a `FormatError` when the child is
    /// killed by a signal (the library crashed) or runs past `timeLimit`.
    public static func check(_ path: String) throws {
        let child = fork()
        guard child >= 0 else {
            throw FormatError(file: path, "cannot start the process that checks an HDF5 file first: \(String(cString: strerror(errno)))")
        }
        if child == 0 {
            // The child: no Ctrl-C of its own (the parent's statement handles it), one thread
            // (worker threads do not survive a fork), and _exit so that nothing of the parent's
            // (buffered output, exit handlers) runs twice.
            signal(SIGINT, SIG_IGN)
            Parallel.threadCount = 1
            confineChild()
            if let file = try? HDF5File(reading: path) {
                file.walk(maximumObjects: maximumObjects, largestDataset: largestRehearsedDataset)
                try? file.close()
            }
            _exit(0)
        }
        let deadline = Date().addingTimeInterval(timeLimit)
        var status: Int32 = 0
        while true {
            let done = waitpid(child, &status, WNOHANG)
            if done == child { break }
            if done < 0 && errno != EINTR {
                throw FormatError(file: path, "lost the process that checks an HDF5 file first: \(String(cString: strerror(errno)))")
            }
            if Date() > deadline {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                throw unfinished(path)
            }
            usleep(2_000)
        }
        // WIFSIGNALED: the low 7 bits hold the signal, and are neither 0 (an exit) nor 0x7f (stopped).
        let signalNumber = status & 0x7f
        if signalNumber == SIGXCPU { throw unfinished(path) }
        if signalNumber != 0 && signalNumber != 0x7f {
            throw FormatError(
                file: path,
                "is damaged: the HDF5 library crashed reading it (signal \(signalNumber), in a separate process that checks such files first), so medsynth does not read it")
        }
        // The child exits 0 by itself; any other status is a runtime that stopped it (address
        // sanitizer or a fuzzer's crash handler exit with a status, not a signal).
        let exitStatus = (status >> 8) & 0xff
        if signalNumber == 0 && exitStatus != 0 {
            throw FormatError(
                file: path,
                "is damaged: reading it failed in a separate process that checks HDF5 files first (exit status \(exitStatus)), so medsynth does not read it")
        }
    }

    private static func unfinished(_ path: String) -> FormatError {
        FormatError(
            file: path,
            "reading it did not finish in \(Int(timeLimit)) s (in a separate process that checks HDF5 files first): the file is damaged, or far larger than it looks")
    }

    /// Limits the child to what a read may cost, and silences it, so that a file that makes the library loop or
    /// allocate without end kills the child, not the machine: its CPU time is capped at the
    /// time limit (so it ends even if its parent was killed first), and its address space at
    /// what it has now plus the memory budget (the library's own allocations are not checked
    /// against the budget).
    private static func confineChild() {
        // A crash report of the child's is not the user's business: the parent says what happened.
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 {
            dup2(null, STDOUT_FILENO)
            dup2(null, STDERR_FILENO)
        }
        let seconds = rlim_t(timeLimit)
        var cpu = rlimit(rlim_cur: seconds, rlim_max: seconds)
        setrlimit(Int32(RLIMIT_CPU.rawValue), &cpu)
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").first.flatMap({ Int($0) }), pageSize > 0 {
            let (now, overflow) = pages.multipliedReportingOverflow(by: pageSize)
            if !overflow, case (let cap, false) = now.addingReportingOverflow(MemoryBudget.limit) {
                var space = rlimit(rlim_cur: rlim_t(cap), rlim_max: rlim_t(cap))
                setrlimit(Int32(RLIMIT_AS.rawValue), &space)
            }
        }
    }
}

extension HDF5File {
    /// Visits up to `maximumObjects` objects below the root, reading each object's attributes
    /// and kind, each group's children and each dataset's shape, and the values of datasets of
    /// at most `largestDataset` bytes as Float, past objects that fail: what a reader of the
    /// whole file would ask of the library.
    public func walk(maximumObjects: Int, largestDataset: Int = .max) {
        var pending = ["/"]
        var visited = 0
        while let object = pending.popLast(), visited < maximumObjects {
            visited += 1
            _ = try? attributeNames(of: object).map { try? attribute($0, of: object) }
            switch try? kind(of: object) {
            case .group?:
                let prefix = object == "/" ? "/" : object + "/"
                pending += ((try? children(of: object)) ?? []).map { prefix + $0 }
            case .dataset?:
                if let info = try? datasetInfo(object), let count = Tensor.countIfCountable(info.shape),
                   count <= largestDataset / MemoryLayout<Float>.stride {
                    _ = try? readTensor(object)
                }
            default:
                break
            }
        }
    }
}
