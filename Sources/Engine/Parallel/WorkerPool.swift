import Foundation
import Synchronization

/// The threads behind `Parallel.forEachChunk`: the caller plus helper threads that stay awake
/// for a moment between jobs.
///
/// A model's forward and backward are thousands of short parallel loops in a row (a DDIM step
/// at batch 16 runs over 100 of them, many of 20-100 microseconds). Handing each to Dispatch
/// woke a sleeping worker through the kernel every time, and the waking cost about as much as
/// a small loop itself. Here a helper that has just finished a job spins, watching for the
/// next one, for about `spinLimit` checks (tens of microseconds) before it sleeps on a
/// condition; a job that follows soon starts on every core at once. The caller always takes
/// part (it runs participant 0), so a pool of n - 1 helpers gives n threads.
///
/// One job at a time: a loop started inside a job (a nested loop) or from another thread while
/// a job runs does not wait for the pool but runs on its own caller, one chunk after another,
/// which computes the same values (chunks never depend on the thread that runs them).
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Checks of the job counter a helper makes before it sleeps.
    static let spinLimit = 20_000

    /// The current job's number times `participantLimit` plus its number of participants, in
    /// one value so that a helper reads the two together: a new job changes it, and a helper
    /// that sees a new value runs its part if it takes part.
    private let announcement = Atomic<Int>(0)
    static let participantLimit = 1 << 10
    /// Helpers still running the current job.
    private let pending = Atomic<Int>(0)
    /// Helpers asleep (or about to be) on `condition`.
    private let sleepers = Atomic<Int>(0)
    /// Whether a job is running; taken with a compare-and-exchange, never waited for.
    private let busy = Atomic<Bool>(false)
    private let condition = NSCondition()

    /// The current job: written by the caller before it announces the job and read by the
    /// helpers that take part after they see the announcement (whose release and acquire order
    /// the two); it stays until they have all reported.
    private var job: ((Int) -> Void)?
    /// The helpers started so far (only the caller of a job, holding `busy`, starts more).
    private var helpers = 0

    /// Runs `body(0)`, ..., `body(participants - 1)` at once, `body(0)` on the caller, and
    /// returns when all have returned; false, without running anything, if a job is already
    /// running (the caller then runs the work itself).
    func run(participants: Int, _ body: (Int) -> Void) -> Bool {
        precondition(participants < Self.participantLimit, "WorkerPool: at most \(Self.participantLimit - 1) threads")
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while helpers < participants - 1 { startHelper(helpers + 1, after: announcement.load(ordering: .relaxed)) }
        withoutActuallyEscaping(body) { body in
            job = body
            pending.store(participants - 1, ordering: .relaxed)
            let number = announcement.load(ordering: .relaxed) / Self.participantLimit + 1
            announcement.store(number * Self.participantLimit + participants, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
            body(0)
            while pending.load(ordering: .acquiring) > 0 {}
            job = nil
        }
        return true
    }

    /// Starts helper `index`, which waits for the first job announced after `announced` (the
    /// one about to be announced, which it must not miss however late the thread starts).
    private func startHelper(_ index: Int, after announced: Int) {
        helpers += 1
        let thread = Thread { [self] in helperLoop(index, after: announced) }
        thread.name = "medsynth worker \(index)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Runs part `index` of the current job. A function of its own, so that the helper's
    /// reference to the job ends when it returns, before the helper reports: the caller's
    /// `withoutActuallyEscaping` checks that no reference outlives the job.
    @inline(never)
    private func runPart(_ index: Int) {
        job?(index)
    }

    /// Helper `index`: waits for each new job, runs its part if it takes part, and reports.
    private func helperLoop(_ index: Int, after announced: Int) -> Never {
        var seen = announced
        while true {
            var spins = 0
            var current = announcement.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                if spins >= Self.spinLimit {
                    condition.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while announcement.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    condition.unlock()
                    spins = 0
                }
                current = announcement.load(ordering: .acquiring)
            }
            seen = current
            if index < current % Self.participantLimit {
                runPart(index)
                pending.subtract(1, ordering: .releasing)
            }
        }
    }
}
