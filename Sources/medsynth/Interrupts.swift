import Engine
import Foundation

/// Ctrl-C (SIGINT), handled in one place: medsynth asks the running work to stop, at a point
/// where stopping loses nothing (training keeps a checkpoint, a notebook stores what finished),
/// rather than dying in the middle of a write.
///
/// - `.commands` (run, check, experiment): the first Ctrl-C or SIGTERM (a job scheduler's or
///   `kill`'s polite stop) cancels `flag`; the handler then steps aside, so a second one ends
///   the process as usual.
/// - `.prompt` (the REPL): while a statement runs, Ctrl-C cancels `flag` (the session's); at the
///   prompt it abandons the line being typed. The REPL survives every Ctrl-C.
///
/// The handler stores to atomics and plain words; at the prompt it also asks readline to
/// abandon the line, as readline's own documentation does from a SIGINT handler.
enum Interrupts {
    enum Mode { case commands, prompt }

    nonisolated(unsafe) private(set) static var mode = Mode.commands
    /// The flag Ctrl-C cancels.
    nonisolated(unsafe) private(set) static var flag = CancellationFlag()
    /// Whether a statement is running (only `.prompt` looks).
    nonisolated(unsafe) static var running = false
    /// How many times Ctrl-C was pressed: code that waits compares before and after.
    nonisolated(unsafe) private(set) static var count = 0

    /// For a command: returns the flag the first Ctrl-C cancels.
    static func installForCommand() -> CancellationFlag {
        install(.commands, CancellationFlag())
        return flag
    }

    /// For the REPL: Ctrl-C cancels `statementFlag` while a statement runs.
    static func installForPrompt(_ statementFlag: CancellationFlag) {
        install(.prompt, statementFlag)
    }

    private static func install(_ newMode: Mode, _ newFlag: CancellationFlag) {
        mode = newMode
        flag = newFlag
        signal(SIGINT) { _ in Interrupts.interrupted(by: SIGINT) }
        signal(SIGTERM, newMode == .commands ? { _ in Interrupts.interrupted(by: SIGTERM) } : SIG_DFL)
    }

    private static func interrupted(by signalNumber: Int32) {
        count += 1
        switch mode {
        case .commands:
            flag.cancel()
            signal(signalNumber, SIG_DFL)
        case .prompt:
            if running { flag.cancel() } else { LineEditor.abandonLine() }
        }
    }
}
