import Dispatch
import Engine
import Foundation
import TestSupport
import XCTest
@testable import Language

/// Hostile arguments for every parameter of every verb, generated from the verb registry, so a
/// new verb or option is covered as soon as it is declared. Each case is the verb's own example
/// with one argument replaced by a hostile value: a number beyond any Int, NaN, an infinity, a
/// fraction where a whole number belongs; a tensor of rank 0, an empty one, one of NaN; a list of
/// such numbers, or nested deeper than the parser allows; the top of an integer option's range,
/// under a small memory budget. Each must give a value or a diagnostic; it must never trap. A trap ends the test
/// process, which is how this suite detects one (set MEDSYNTH_HOSTILE_TRACE=1 to print each case
/// before it runs, so the last line printed names the culprit).
final class HostileVerbTests: XCTestCase {
    /// Numbers for number and integer parameters: as users write NaN and infinities.
    /// 2^53 is the largest whole number the language passes on; 2^32 overflows 32-bit counters.
    static let hostileNumbers = [
        "1e30", "-1e30", "1e300", "1e400", "0/0", "1/0", "-1/0", "log 0", "2^62", "2^53", "-2^53", "2^32", "0.5", "-1",
    ]

    /// Tensors for tensor parameters: rank 0, empty, NaN, infinite, huge values, an empty batch.
    static let hostileTensors = [
        "zeros []", "[]", "(zeros [2, 3])[:, 0:0]", "(zeros [1, 1, 8, 8])[0:0]",
        "(zeros [1, 1, 8, 8]) / 0", "(ones [1, 1, 8, 8]) / 0", "(ones [1, 1, 8, 8]) * 1e30",
    ]

    /// Lists for list parameters (shapes, axes, widths, step indices, classes, windows).
    static let hostileLists = [
        "[1e30]", "[-1e30]", "[0/0]", "[1/0, 1]", "[1e30, 8]", "[-1]", "[0.5]", "[2^62, 2^62, 2^62]",
        "[1073741824, 1073741824, 1073741824]", "[4294967296, 4294967296]", "[]",
        // Deeper than the parser nests (the depth class).
        String(repeating: "[", count: 150) + "1" + String(repeating: "]", count: 150),
    ]

    /// (verb, parameter) pairs left out, each with the reason.
    static let exclusions: [String: String] = [:]

    /// Options whose top of range is legitimate long work rather than an allocation: they are
    /// tried with the other hostile values only. Ctrl-C stops them (VerbCancellationTests).
    static let longAtTheTopOfTheirRange: [String: String] = [
        "train steps": "ten million training steps take hours by design",
    ]

    /// The longest a case may take before the suite stops it and fails.
    static let timeLimit = 10.0

    var directory = ""
    var interpreter: Interpreter!
    var budget: MemoryBudgetOverride!

    override func setUpWithError() throws {
        // A budget of 1 GiB, whatever the machine: the allocation cases ask for more, and no
        // case may take more.
        budget = MemoryBudgetOverride(1 << 30)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let context = RuntimeContext(outputDirectory: directory, seed: 1) { _ in }
        context.baseDirectory = directory
        interpreter = Interpreter(context: context)
        // The names and files the verbs' examples use, small.
        try VerbExamples.writeFiles(in: directory)
        try interpreter.run(SourceFile(name: "setup", text: VerbExamples.setup))
    }

    override func tearDown() {
        budget.restore()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testEveryVerbSurvivesHostileArguments() throws {
        var cases = 0
        for verb in VerbRegistry.standard.verbs {
            for parameter in verb.parameters where Self.exclusions["\(verb.name) \(parameter.name)"] == nil {
                var values = Self.hostileValues(for: parameter.kind)
                if Self.longAtTheTopOfTheirRange["\(verb.name) \(parameter.name)"] != nil, case .integer(let range) = parameter.kind {
                    values.removeAll { $0 == "\(range.upperBound)" }
                }
                for value in values {
                    let statement = try Self.substitute(value, for: parameter, in: verb)
                    try expectNoTrap(statement)
                    cases += 1
                }
            }
        }
        // Every verb has a parameter that takes hostile values (so each is reached), and most
        // of them many: a registry or a generator that lost its cases would show here.
        XCTAssertGreaterThan(cases, 40 * Self.hostileNumbers.count)
    }

    /// The reproducers of issue 13, each with the key part of its message.
    func testTheIssuesReproducersGiveClearErrors() throws {
        let reproducers: [(String, String)] = [
            ("reshape (zeros [2, 3]) [1e30]", "'reshape' needs whole numbers in -1...1073741824 for shape"),
            ("mean (zeros [2, 3]) axes=[1e300]", "'mean' needs whole numbers in -64...64 for axes"),
            ("noise x (schedule) t=1e30", "'noise' needs a whole number in 0...999 for t"),
            ("diffuse net cond=[m, e] steps=2 keep=[1e30]", "'diffuse' needs whole numbers in 0...1 for keep"),
            ("autoencoder widths=[1e30, 8]", "'autoencoder' needs whole numbers in 1...4096 for widths"),
            ("metric dice m m classes=[1e30]", "'metric' needs whole numbers in 0...65535 for classes"),
            ("metric dice ((zeros [1, 1, 4, 4]) / 0) (zeros [1, 1, 4, 4])", "label maps of whole numbers in 0...65535 for x"),
            ("zeros [1073741824, 1073741824, 1073741824]", "zeros: shape [1073741824, 1073741824, 1073741824] is too large to count"),
            ("reshape (zeros [2, 3]) [4294967296, 4294967296]", "'reshape' needs whole numbers in -1...1073741824 for shape"),
            ("(zeros [4])[1e30]", "expected a whole number"),
            ("(zeros [4])[0/0]", "expected a whole number"),
            ("(zeros [4])[::1e30]", "expected a whole number"),
            ("blur x sigma=(1/0)", "'blur' needs a finite number for sigma"),
            ("phantom n=1e30", "'phantom' needs a whole number in 1...100000 for n"),
            // Options each in range that together ask for more than the memory budget (1 GiB here).
            ("phantom n=100000 size=256", "phantom: [100000, 1, 256, 256] needs 24.4 GiB, over the memory budget of 1.0 GiB"),
            ("holes n=100000 size=4096", "holes: [100000, 1, 4096, 4096] needs 6.1 TiB, over the memory budget of 1.0 GiB"),
            ("resize (zeros [64, 1, 8, 8]) size=8192", "resize: [64, 1, 8192, 8192] needs 16.0 GiB, over the memory budget"),
            ("(zeros [65536, 1]) + (zeros [1, 65536])", "the shapes [65536, 1] and [1, 65536] broadcast to [65536, 65536]: broadcast: [65536, 65536] needs 16.0 GiB, over the memory budget"),
        ]
        for (statement, message) in reproducers {
            let found = try diagnostic(statement)
            XCTAssertTrue(found.contains(message), "\(statement): \(found)")
        }
        // A huge step is an Int the language passes on clamped, with the right result.
        XCTAssertEqual(try diagnostic("y = (linspace 0 3 count=4)[::999999999999999]\nexpect y == [0]"), "no error")
        XCTAssertEqual(try diagnostic("y = (linspace 0 3 count=4)[1::-999999999999999]\nexpect y == [1]"), "no error")
    }

    /// An engine error is told in the verb's name, once: not "onehot: oneHot: ..." nor
    /// "corrupt: DenoisingTask: ...".
    func testEngineErrorsNameTheVerbOnce() throws {
        for (statement, message) in [
            ("onehot ((zeros [1, 1, 2, 2]) / 0) classes=4", "onehot: label -nan at [0, 0, 0, 0] is outside 0..<4"),
            ("corrupt x kind=\"salt\" amount=2", "corrupt: the amount must be in [0, 1], got 2.0"),
        ] {
            XCTAssertEqual(try diagnostic(statement), message, statement)
        }
    }

    // MARK: Generating cases

    static func hostileValues(for kind: Parameter.Kind) -> [String] {
        switch kind {
        case .number: return hostileNumbers
        // The top of the declared range: each option in range, the verb asks for the most it
        // can (the allocation class, against the suite's 1 GiB budget).
        case .integer(let range): return hostileNumbers + ["\(range.upperBound)"]
        case .tensor: return hostileTensors + hostileNumbers
        case .list: return hostileLists + ["1e30", "0/0"]
        case .any: return hostileNumbers + hostileLists + hostileTensors
        case .pattern: return ["\"\"", "\"[\"", "\"*/*/../*\"", "\"\\\\*\""]
        case .string, .bool, .model, .schedule, .choice, .path, .folder, .output: return []
        }
    }

    /// The verb's example with `value` given for `parameter`: in place of the argument the
    /// example gives, or added as an option.
    static func substitute(_ value: String, for parameter: Parameter, in verb: Verb) throws -> String {
        let source = SourceFile(name: "example of \(verb.name)", text: verb.example)
        let statements = try Parser.parse(source)
        var text = Array(verb.example.unicodeScalars)
        let replacement = Array("(\(value))".unicodeScalars)
        guard let application = statements.lazy.compactMap({ firstApplication(of: verb.name, in: $0) }).first else {
            // The example names the verb alone: apply it to the value.
            let written = parameter.isPositional ? "\(verb.name) (\(value))" : "\(verb.name) \(parameter.name)=(\(value))"
            return verb.example.replacingOccurrences(of: verb.name, with: written)
        }
        if parameter.isPositional {
            let index = verb.positionalParameters.firstIndex { $0.name == parameter.name }!
            if parameter.isVariadic, let first = application.arguments.first {
                let span = application.arguments.dropFirst().reduce(first.span) { $0.through($1.span) }
                text.replaceSubrange(balanced(span, in: text), with: replacement)
            } else if index < application.arguments.count {
                text.replaceSubrange(balanced(application.arguments[index].span, in: text), with: replacement)
            } else {
                // An optional positional argument the example leaves out comes after the others.
                let end = application.arguments.last.map { balanced($0.span, in: text).upperBound } ?? application.calleeSpan.end
                text.replaceSubrange(end..<end, with: Array(" ".unicodeScalars) + replacement)
            }
        } else if let option = application.options.first(where: { $0.name == parameter.name }) {
            text.replaceSubrange(balanced(option.value.span, in: text), with: replacement)
        } else {
            let end = balanced(application.span, in: text).upperBound
            text.replaceSubrange(end..<end, with: Array(" \(parameter.name)=".unicodeScalars) + replacement)
        }
        return String(String.UnicodeScalarView(text))
    }

    /// A span of `text` widened over the parentheses it lacks: a parenthesised expression's
    /// span lies inside its `(` and `)`, as that of `(phantom n=2).image` starts at `phantom`.
    static func balanced(_ span: SourceSpan, in text: [Unicode.Scalar]) -> Range<Int> {
        var (start, end) = (span.start, span.end)
        var unclosed = text[start..<end].reduce(0) { $0 + ($1 == "(" ? 1 : $1 == ")" ? -1 : 0) }
        while unclosed < 0, start > 0 {
            start -= 1
            if text[start] == "(" { unclosed += 1 }
        }
        while unclosed > 0, end < text.count {
            if text[end] == ")" { unclosed -= 1 }
            end += 1
        }
        return start..<end
    }

    static func firstApplication(of verb: String, in statement: Statement) -> Application? {
        switch statement {
        case .binding(_, _, let value, _), .expression(let value, _), .expect(let value, _):
            return firstApplication(of: verb, in: value)
        default:
            return nil
        }
    }

    static func firstApplication(of verb: String, in expression: Language.Expression) -> Application? {
        switch expression {
        case .application(let application):
            if application.callee == verb { return application }
            return (application.arguments + application.options.map(\.value)).lazy.compactMap { firstApplication(of: verb, in: $0) }.first
        case .field(let base, _, _), .unary(_, let base, _):
            return firstApplication(of: verb, in: base)
        default:
            return nil
        }
    }

    // MARK: Running cases

    /// Runs `statement`: a value or a diagnostic with a message, within the time limit.
    func expectNoTrap(_ statement: String, file: StaticString = #filePath, line: UInt = #line) throws {
        if ProcessInfo.processInfo.environment["MEDSYNTH_HOSTILE_TRACE"] == "1" {
            FileHandle.standardError.write(Data("hostile: \(statement)\n".utf8))
        }
        let context = interpreter.context
        // A case the watchdog stopped must not stop the next one before it starts.
        context.resetCancellation()
        let watchdog = DispatchWorkItem { context.cancellation.cancel() }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.timeLimit, execute: watchdog)
        defer { watchdog.cancel() }
        let start = Date()
        let startCPU = Self.processCPUSeconds()
        do {
            try interpreter.run(SourceFile(name: "hostile", text: statement))
        } catch {
            XCTAssertFalse(error.message.isEmpty, "\(statement) failed without a message", file: file, line: line)
            if ProcessInfo.processInfo.environment["MEDSYNTH_HOSTILE_TRACE"] == "1" {
                FileHandle.standardError.write(Data("hostile: error \(error.message)\n".utf8))
            }
        }
        let seconds = Date().timeIntervalSince(start)
        if ProcessInfo.processInfo.environment["MEDSYNTH_HOSTILE_TRACE"] == "1" {
            FileHandle.standardError.write(Data("hostile: took \(String(format: "%.2f", seconds)) s\n".utf8))
        }
        // A hang shows on a quiet machine as both: ten seconds pass and the process computes
        // through them. On a loaded one the clock alone runs slow (and the watchdog stops the
        // statement, as Ctrl-C would), so the lesser of the two is what is held to the limit.
        let cpuSeconds = Self.processCPUSeconds() - startCPU
        XCTAssertLessThan(min(seconds, cpuSeconds), Self.timeLimit,
                          "\(statement) took \(seconds) s (\(cpuSeconds) s of CPU)", file: file, line: line)
    }

    /// The CPU time this process has used, all threads together.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The diagnostic's message for `text`, or "no error".
    func diagnostic(_ text: String) throws -> String {
        interpreter.context.resetCancellation()
        do {
            try interpreter.run(SourceFile(name: "hostile", text: text))
            return "no error"
        } catch {
            return error.message
        }
    }
}
