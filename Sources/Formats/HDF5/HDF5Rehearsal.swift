import Engine
import Foundation

/// libhdf5 trusts the structures inside a file: on a damaged or crafted file it can read or
/// write out of bounds and take the process down (Tests/Fuzz/crashes/hdf5 holds such files,
/// found by fuzzing libhdf5 1.10). medsynth's own checks cannot see inside the library, so a
/// file that `load` meets is read once in a child process first (unless this process wrote it
/// and it has not changed since): if the library crashes there, the file is refused with a
/// message and never read here. Cache entries are authenticated instead.
///
/// The child is a fork of this process that walks the whole file as a reader would (every
/// object's attributes, kinds, children, each dataset's shape and values within the memory
/// budget) on one thread, then exits. Errors it meets are not its concern: the real read
/// reports them. It costs one fork and one extra read of the file.
public enum HDF5Rehearsal {
    /// How long the child may take before the file is refused as one that does not finish:
    /// a checkpoint reads in milliseconds, and datasets past `largestRehearsedDataset` are
    /// not read by the child. The fuzz targets give `check` less, so that a file on which the
    /// library loops is refused well within the fuzzer's own timeout.
    public static let timeLimit: Double = 10

    /// The most objects the walk visits; a checkpoint has a few hundred.
    public static let maximumObjects = 100_000

    /// The largest dataset whose values the child reads (its shape and type are read whatever
    /// its size): larger ones would make the check as slow as the read.
    public static let largestRehearsedDataset = 256 << 20

    /// The files this process wrote itself (`HDF5File.write`), as they were when written:
    /// loading one of them again needs no check. A file changed or replaced since has another
    /// identity and is checked like any other.
    nonisolated(unsafe) private static var written = Set<FileIdentity>()
    private static let writtenLock = NSLock()

    /// Records that this process wrote the file `identity` names.
    static func trust(_ identity: FileIdentity) {
        writtenLock.withLock { _ = written.insert(identity) }
    }

    /// Whether the file at `path` is one this process wrote and nothing has changed since.
    public static func wroteItself(_ path: String) -> Bool {
        guard let identity = FileIdentity(path: path) else { return false }
        return writtenLock.withLock { written.contains(identity) }
    }

    /// Reads the file at `path` in a child process, unless this process wrote it; throws a
    /// `FormatError` when the child is killed by a signal (the library crashed) or runs past
    /// `timeLimit` seconds.
    public static func check(_ path: String, timeLimit: Double = timeLimit) throws {
        if wroteItself(path) { return }
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
            dieQuietlyOnCrash()
            confineChild(timeLimit: timeLimit)
            HDF5Library.exitOnAllocationFailure = true
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
                throw unfinished(path, timeLimit: timeLimit)
            }
            usleep(2_000)
        }
        // WIFSIGNALED: the low 7 bits hold the signal, and are neither 0 (an exit) nor 0x7f (stopped).
        let signalNumber = status & 0x7f
        if signalNumber == SIGXCPU { throw unfinished(path, timeLimit: timeLimit) }
        if signalNumber != 0 && signalNumber != 0x7f {
            throw FormatError(
                file: path,
                "is damaged: the HDF5 library crashed reading it (signal \(signalNumber), in a separate process that checks such files first), so medsynth does not read it")
        }
        // The child exits 0 by itself; any other status is a runtime that stopped it (address
        // sanitizer or a fuzzer's crash handler exit with a status, not a signal).
        let exitStatus = (status >> 8) & 0xff
        if signalNumber == 0 && exitStatus == HDF5Library.allocationFailureStatus {
            throw FormatError(
                file: path,
                "is damaged or far larger than it looks: the HDF5 library could not allocate the memory reading it asks for (in a separate process that checks HDF5 files first), so medsynth does not read it")
        }
        if signalNumber == 0 && exitStatus != 0 {
            throw FormatError(
                file: path,
                "is damaged: reading it failed in a separate process that checks HDF5 files first (exit status \(exitStatus)), so medsynth does not read it")
        }
    }

    private static func unfinished(_ path: String, timeLimit: Double) -> FormatError {
        FormatError(
            file: path,
            "reading it did not finish in \(Int(timeLimit)) s (in a separate process that checks HDF5 files first): the file is damaged, or far larger than it looks")
    }

    /// A crash in the child ends it at once with its signal: no crash handler of the parent's
    /// (Swift's backtracer, which takes seconds; a fuzzer's, which would save the input as a
    /// crash of its own) runs for what is the expected outcome of a damaged file.
    private static func dieQuietlyOnCrash() {
        for crash in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            signal(crash, SIG_DFL)
        }
        #if FUZZING
        // Address sanitizer keeps its own SIGSEGV handler and then calls libFuzzer back.
        sanitizerSetDeathCallback(nil)
        #endif
    }

    /// Limits the child to what a read may cost, and silences it, so that a file that makes the library loop or
    /// allocate without end kills the child, not the machine: its CPU time is capped at the
    /// time limit (so it ends even if its parent was killed first), and its address space at
    /// what it has now plus the memory the machine lets this process use. Not less: the
    /// library's own allocations are not checked against the budget, so in the parent they
    /// succeed as far as the machine allows, and the child must meet them as the parent would
    /// (a file whose crash follows an allocation the child could not make would pass). A
    /// fuzzing build caps it at the fuzzer's budget instead, under libFuzzer's malloc limit,
    /// which the child inherits and would otherwise report as a finding of its own.
    private static func confineChild(timeLimit: Double) {
        // A crash report of the child's is not the user's business: the parent says what happened.
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 {
            dup2(null, STDOUT_FILENO)
            dup2(null, STDERR_FILENO)
        }
        let seconds = rlim_t(max(1, timeLimit.rounded(.up)))
        var cpu = rlimit(rlim_cur: seconds, rlim_max: seconds)
        setrlimit(Int32(RLIMIT_CPU.rawValue), &cpu)
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").first.flatMap({ Int($0) }), pageSize > 0 {
            let (now, overflow) = pages.multipliedReportingOverflow(by: pageSize)
            #if FUZZING
            let allowance = MemoryBudget.limit
            #else
            let allowance = max(MemoryBudget.limit, MemoryBudget.usableBytes ?? MemoryBudget.limit)
            #endif
            if !overflow, case (let cap, false) = now.addingReportingOverflow(allowance) {
                var space = rlimit(rlim_cur: rlim_t(cap), rlim_max: rlim_t(cap))
                setrlimit(Int32(RLIMIT_AS.rawValue), &space)
            }
        }
    }
}

#if FUZZING
@_silgen_name("__sanitizer_set_death_callback")
private func sanitizerSetDeathCallback(_ callback: (@convention(c) () -> Void)?)
#endif

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
