import Diffusion
import Engine
import Foundation

/// What verbs may use of the world around the interpreter: where figures go, how to print,
/// the session's seed, and a flag that asks long work (training, sampling) to stop.
public final class RuntimeContext: @unchecked Sendable {
    /// The folder `show` writes PNG files into.
    public var outputDirectory: String
    /// The seed of the keys that statements without a `seed` option draw from
    /// (`VerbCall.derivedKey`).
    public var seed: UInt64
    /// Where verbs print progress and previews (the terminal, or a report's log).
    public var print: (String) -> Void
    /// Writes text without a line break; when set, progress lines (training) redraw in place on
    /// one line instead of following each other.
    public var writeInPlace: ((String) -> Void)?
    private var progressPending = false
    /// Whether `show` also previews images in the terminal.
    public var previewsInTerminal: Bool
    /// Set by Ctrl-C; every verb that loops (training, sampling, filters, generators) stops at its
    /// next check and the statement fails, binding nothing.
    /// One flag for the context's life, so a signal handler can hold it; each statement clears it.
    public let cancellation: CancellationFlag
    /// Tolerances of `~` without `+-`: |a - b| <= absolute + relative * |b| (NumPy's isclose).
    public var defaultTolerance: (absolute: Double, relative: Double) = (1e-8, 1e-5)
    /// The folder relative file paths start from: a notebook's own folder, so that it runs the
    /// same from anywhere; nil is the working directory (the REPL).
    public var baseDirectory: String?
    /// Which files `load` and `save` may use: confined to a notebook's folders in a run,
    /// unrestricted in the REPL.
    public var fileAccess = FileAccess.unrestricted
    /// Every file `load` has read, resolved, in order (the notebook runner hashes the ones a
    /// statement with a computed path read).
    public private(set) var filesRead: [String] = []
    private var figureCount = 0
    /// Where the running statement may keep the state of long work so that a run stopped or
    /// killed part-way continues where it was: a notebook's cache gives one; nil elsewhere.
    public var partialResults: (any PartialResults)?

    public init(
        outputDirectory: String = "medsynth-out", seed: UInt64 = 0, previewsInTerminal: Bool = false,
        cancellation: CancellationFlag = CancellationFlag(), print: @escaping (String) -> Void = { Swift.print($0) }
    ) {
        self.cancellation = cancellation
        self.outputDirectory = outputDirectory
        self.seed = seed
        self.previewsInTerminal = previewsInTerminal
        self.print = print
    }

    /// Shows a progress line: redrawn in place when `writeInPlace` is set, printed otherwise.
    public func progress(_ line: String) {
        guard let writeInPlace else { return print(line) }
        writeInPlace("\r" + line + "\u{1b}[K")
        progressPending = true
    }

    /// A callback for a run of steps, called with the steps done and the steps in all, that
    /// shows how far the run has come (`StepProgress`): redrawn in place at most five times a
    /// second and at the last step, or, where lines cannot be redrawn, printed at each quarter
    /// of the run. Call `endProgress` when the run ends.
    public func stepProgress(_ label: String, unit: String = "step") -> (_ completed: Int, _ total: Int) -> Void {
        let meter = StepProgress(label, unit: unit)
        var lastShown: ContinuousClock.Instant?, lastQuarter = 0
        return { [self] completed, total in
            if writeInPlace != nil {
                let now = ContinuousClock.now
                guard completed >= total || lastShown.map({ now - $0 >= .milliseconds(200) }) ?? true else { return }
                lastShown = now
                progress(meter.line(completed: completed, of: total, at: now))
            } else {
                let quarter = total > 0 ? 4 * Swift.min(completed, total) / total : 4
                guard quarter > lastQuarter else { return }
                lastQuarter = quarter
                progress(meter.line(completed: completed, of: total))
            }
        }
    }

    /// Ends a line of progress redrawn in place, so what follows starts on a line of its own.
    public func endProgress() {
        guard progressPending, let writeInPlace else { return }
        writeInPlace("\n")
        progressPending = false
    }

    /// The next free figure path: "<outputDirectory>/figure-003.png", or one named after `name`.
    public func figurePath(named name: String?) -> String {
        figureCount += 1
        let stem = name.map { $0.replacingOccurrences(of: "/", with: "-") } ?? String(format: "figure-%03d", figureCount)
        return (outputDirectory as NSString).appendingPathComponent(stem.hasSuffix(".png") ? stem : stem + ".png")
    }

    /// `path` as the file system sees it: relative paths start from `baseDirectory`.
    public func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        guard let baseDirectory, !expanded.hasPrefix("/") else { return expanded }
        return (baseDirectory as NSString).appendingPathComponent(expanded)
    }

    /// Notes that a verb read the file at `path` (resolved).
    public func recordRead(_ path: String) {
        filesRead.append(path)
    }

    /// Clears the flag before the next statement, so that an earlier Ctrl-C does not stop it.
    public func resetCancellation() {
        cancellation.reset()
    }
}

/// Files in which the running statement keeps the state of long work, from one run of a
/// notebook to the next (a training checkpoint): the notebook cache's, authenticated like its
/// entries, so that a file planted in the cache folder is never taken for one.
public protocol PartialResults: AnyObject {
    /// The path of the statement's next file of partial state, for `verb`; nil when none can be
    /// kept. Each call within a statement gives another path, the same in every run.
    func path(for verb: String) -> String?
    /// Marks the file at `staged`, just written, as the cache's own, for the place `path` it is
    /// about to take (it is renamed there once sealed).
    func seal(_ staged: String, for path: String) throws
    /// Whether the file at `path` is as the cache sealed it.
    func vouchesFor(_ path: String) -> Bool
}

/// Thrown by a verb that Ctrl-C stopped part-way with a usable part of its work (a partly
/// trained model): `name = verb ...` binds `value` and reports the stop; anywhere else the
/// statement fails as any stopped statement does, so the partial value reaches nothing.
public struct PartialResult: Error {
    public var value: Value
    /// How far it came, and how to continue.
    public var message: String
    public var verb: String
    /// The application that threw it.
    public var span: SourceSpan

    public init(value: Value, message: String, verb: String, span: SourceSpan) {
        self.value = value
        self.message = message
        self.verb = verb
        self.span = span
    }
}
