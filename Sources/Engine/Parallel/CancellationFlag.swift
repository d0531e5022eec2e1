import Synchronization

/// A request to stop long work, safe to set from any thread (a signal handler, a UI button) while
/// the work runs on another.
///
/// Every loop that can run for long checks it between pieces of work (an image, a row block, a
/// training or sampling step): the trainer finishes its step and returns where it stopped; other
/// work throws `CancellationError` from `checkCancellation()` and leaves no partial result. Work
/// takes the flag as an optional last parameter, `cancellation: CancellationFlag? = nil`, so that
/// a caller who never cancels passes nothing.
public final class CancellationFlag: Sendable {
    private let requested = Atomic<Bool>(false)

    /// A flag not yet set.
    public init() {}

    /// Asks the work under way to stop at its next check.
    public func cancel() { requested.store(true, ordering: .releasing) }

    /// Clears the request, so the flag can serve the next run (a REPL's next statement).
    public func reset() { requested.store(false, ordering: .releasing) }

    /// Whether `cancel()` has been called.
    public var isCancelled: Bool { requested.load(ordering: .acquiring) }

    /// Throws `CancellationError` if `cancel()` has been called: the check a long loop makes
    /// between pieces of work (as `Task.checkCancellation()` does for a task).
    public func checkCancellation() throws {
        if isCancelled { throw CancellationError() }
    }
}
