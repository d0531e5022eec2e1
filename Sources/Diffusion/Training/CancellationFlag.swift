import Synchronization

/// A request to stop training, safe to set from any thread (a signal handler, a UI button) while
/// the trainer runs on another. The trainer checks it before each step, finishes the step under
/// way, writes a checkpoint if it has a path, and returns a result saying where it stopped.
public final class CancellationFlag: Sendable {
    private let requested = Atomic<Bool>(false)

    /// A flag not yet set.
    public init() {}

    /// Asks the trainer to stop after the current step.
    public func cancel() { requested.store(true, ordering: .releasing) }

    /// Clears the request, so the flag can serve the next run (a REPL's next statement).
    public func reset() { requested.store(false, ordering: .releasing) }

    /// Whether `cancel()` has been called.
    public var isCancelled: Bool { requested.load(ordering: .acquiring) }
}
