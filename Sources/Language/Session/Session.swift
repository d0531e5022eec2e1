import Engine
import Foundation

/// An interpreter with its context, as the REPL and `medsynth run` use it: runs source text
/// statement by statement, reports each outcome and turns errors into diagnostics, and keeps
/// going after an error.
public final class Session {
    /// Runs what the session is given; the interpreter holds what it bound.
    public let executor: Executor
    public var interpreter: Interpreter { executor.interpreter }
    public var context: RuntimeContext { interpreter.context }
    /// Names the libraries bound; `variables()` leaves them out.
    public private(set) var libraryNames: Set<String> = []
    /// Expectations run so far, passed or failed.
    public private(set) var expectations: [Expectation] = []

    public init(context: RuntimeContext, registry: VerbRegistry = .standard) {
        executor = Executor(interpreter: Interpreter(registry: registry, context: context))
    }

    /// Binds a name at the top level (a binding taken over from another session).
    public func define(_ name: String, _ value: Value) {
        executor.define(name, value)
    }

    /// What running a piece of source did.
    public struct Report {
        /// Text to show for each statement that displays something, in order.
        public var displays: [String] = []
        public var failedExpectations: [Expectation] = []
        /// The error that stopped the source, if one did; statements before it have run and keep
        /// their bindings, the failing one bound nothing (see `Interpreter.execute`).
        public var diagnostic: Diagnostic?
    }

    /// Checks and runs `text`; `show` writes what each statement displays as it goes.
    @discardableResult
    public func run(_ text: String, name: String, firstLine: Int = 1, show: (String) -> Void = { _ in }) -> Report {
        var report = Report()
        func record(_ expectation: Expectation) {
            expectations.append(expectation)
            if !expectation.passed {
                report.failedExpectations.append(expectation)
                show(Self.describeFailure(expectation))
            }
        }
        let source = SourceFile(name: name, text: text, firstLine: firstLine)
        // A Ctrl-C stops the entry it was pressed during, not the next one.
        context.resetCancellation()
        do {
            try executor.run(source) { _, outcome in
                switch outcome {
                case .displayed(let value):
                    let text = value.displayText
                    if !text.isEmpty {
                        report.displays.append(text)
                        show(text)
                    }
                case .expectation(let expectation):
                    record(expectation)
                case .looped(_, let inLoop):
                    inLoop.forEach(record)
                default:
                    break
                }
            }
        } catch {
            report.diagnostic = error
        }
        return report
    }

    /// "expect failed at notes.medsynth:12: metric ssim x y > 0.9 (0.8731 > 0.9)".
    public static func describeFailure(_ expectation: Expectation) -> String {
        "expect failed at \(expectation.source.name):\(expectation.line): \(expectation.condition)\n  values: \(expectation.detail)"
    }

    /// One row per bound name: name, type, shape and memory, for `:vars`.
    public func variables() -> Table {
        let rows = interpreter.globalOrder.compactMap { name -> [Value]? in
            guard !libraryNames.contains(name), let value = interpreter.globals[name] else { return nil }
            let (shape, bytes) = Self.shapeAndBytes(of: value)
            return [.string(name), .string(value.type.rawValue), .string(shape), .string(Self.formatBytes(bytes))]
        }
        return Table(columns: ["name", "type", "shape", "memory"], rows: rows)
    }

    static func shapeAndBytes(of value: Value) -> (String, Int) {
        switch value {
        case .tensor(let tensor):
            return ("\(tensor.shape)", tensor.count * MemoryLayout<Float>.size)
        case .model(let model):
            return ("\(model.parameterCount) parameters", model.parameterCount * MemoryLayout<Float>.size)
        case .list(let items):
            return ("\(items.count) items", items.reduce(0) { $0 + shapeAndBytes(of: $1).1 })
        case .record(let record):
            let shapes = record.fields.map { "\($0.name) \(shapeAndBytes(of: $0.value).0)" }
            return (shapes.joined(separator: ", "), record.fields.reduce(0) { $0 + shapeAndBytes(of: $1.value).1 })
        case .schedule(let schedule):
            return ("T = \(schedule.trainingSteps)", schedule.trainingSteps * 3 * MemoryLayout<Double>.size)
        case .figure(let figure):
            if case .raster(let image) = figure.content { return ("\(image.shape)", image.count * 4) }
            return ("svg", 0)
        default:
            return ("", 0)
        }
    }

    static func formatBytes(_ bytes: Int) -> String {
        if bytes == 0 { return "" }
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        if bytes < 1 << 30 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        return String(format: "%.2f GiB", Double(bytes) / Double(1 << 30))
    }

    /// Runs library files (stdlib/*.medsynth) into the session; a library that does not load
    /// is an error that names it.
    public func loadLibrary(_ paths: [String]) throws {
        try loadLibrary(sources: LibrarySource.files(paths))
    }

    /// Runs library sources (the standard library, built in or from MEDSYNTH_STDLIB) into the
    /// session; a library that does not load is an error that names it.
    public func loadLibrary(sources: [LibrarySource]) throws {
        for source in sources {
            if let diagnostic = run(source.text, name: source.origin == "built in" ? "stdlib/\(source.name)" : source.origin).diagnostic {
                throw diagnostic
            }
        }
        libraryNames.formUnion(interpreter.globalOrder)
    }

    /// Binds, as this session's library, what `other` bound (a fresh session's standard
    /// library, after `reset`): `variables()` leaves those names out, as it did before.
    public func adoptLibrary(of other: Session) {
        for name in other.interpreter.globalOrder {
            if let value = other.interpreter.globals[name] { define(name, value) }
        }
        libraryNames = other.libraryNames
    }

    /// Forgets every binding and expectation.
    public func reset() {
        interpreter.reset()
        executor.resynchronise()
        expectations = []
        libraryNames = []
    }
}
