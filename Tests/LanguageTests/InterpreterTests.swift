import Engine
import XCTest
@testable import Language

/// Evaluation: values, operators, functions, loops, expectations and the environment.
final class InterpreterTests: XCTestCase {
    var printed: [String] = []

    func makeInterpreter(seed: UInt64 = 0) -> Interpreter {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-lang-\(UUID().uuidString)").path
        return Interpreter(context: RuntimeContext(outputDirectory: directory, seed: seed) { [unowned self] in self.printed.append($0) })
    }

    /// The value of the last statement of `text`.
    func value(_ text: String, in interpreter: Interpreter? = nil) throws -> Value {
        guard let value = try (interpreter ?? makeInterpreter()).lastValue(text) else {
            XCTFail("no value from \(text)")
            return .nothing
        }
        return value
    }

    func number(_ text: String) throws -> Double {
        guard case .number(let number) = try value(text) else { XCTFail("\(text) is not a number"); return .nan }
        return number
    }

    func tensor(_ text: String, in interpreter: Interpreter? = nil) throws -> Tensor {
        guard case .tensor(let tensor) = try value(text, in: interpreter) else { XCTFail("\(text) is not a tensor"); return Tensor(0) }
        return tensor
    }

    func testArithmeticFollowsPrecedence() throws {
        XCTAssertEqual(try number("1 + 2 * 3"), 7)
        XCTAssertEqual(try number("(1 + 2) * 3"), 9)
        XCTAssertEqual(try number("2 ^ 3 ^ 2"), 512)
        XCTAssertEqual(try number("-2 ^ 2"), -4)
        XCTAssertEqual(try number("10 - 4 - 3"), 3)
        XCTAssertEqual(try number("7 / 2"), 3.5)
    }

    func testBindingsFunctionsAndOptions() throws {
        XCTAssertEqual(try number("a = 3\nb = a * 2\nb + 1"), 7)
        XCTAssertEqual(try number("def f x y=2 = x * y\nf 5"), 10)
        XCTAssertEqual(try number("def f x y=2 = x * y\nf 5 y=3"), 15)
        XCTAssertEqual(try number("def g x do\n  y = x + 1\n  y * 2\nend\ng 4"), 10)
        // A function's locals do not leak, and endless recursion is an error, not a crash.
        XCTAssertThrowsError(try value("def forever x = forever x\nforever 1")) { error in
            XCTAssertTrue("\(error)".contains("calls itself too deeply"), "\(error)")
        }
        let interpreter = makeInterpreter()
        _ = try value("def g x do\n  inner = x\n  inner\nend\ng 1", in: interpreter)
        XCTAssertNil(interpreter.globals["inner"])
    }

    func testLoopsBindInTheSurroundingScope() throws {
        XCTAssertEqual(try number("total = 0\nfor i in 1..4 do total = total + i end\ntotal"), 10)
        XCTAssertEqual(try number("n = 0\nfor x in [5, 6, 7] do\n  n = n + x\nend\nn"), 18)
        let interpreter = makeInterpreter()
        _ = try value("for i in 0..2 do last = i end\nlast", in: interpreter)
        XCTAssertNil(interpreter.globals["i"], "the loop variable is the loop's own")
    }

    func testListsRecordsAndIndexing() throws {
        XCTAssertEqual(try number("xs = [10, 20, 30]\nxs[-1]"), 30)
        guard case .list(let slice) = try value("[1, 2, 3, 4][1:3]") else { return XCTFail() }
        XCTAssertEqual(slice.count, 2)
        XCTAssertEqual(try number("r = {a: 1, b: {c: 5}}\nr.b.c"), 5)
        XCTAssertEqual(try number("count ([1, 2] + [3])"), 3)
    }

    func testTensorsBroadcastIndexAndSlice() throws {
        let x = try tensor("x = reshape (linspace 0 11 count=12) [3, 4]\nx[1:3, ::2] * 2 + 1")
        XCTAssertEqual(x.shape, [2, 2])
        XCTAssertEqual(x.scalars, [9, 13, 17, 21])
        let row = try tensor("reshape (linspace 0 5 count=6) [2, 3] - [1, 1, 1]")
        XCTAssertEqual(row.scalars, [-1, 0, 1, 2, 3, 4])
        XCTAssertEqual(try number("mean [1, 2, 3, 4]"), 2.5)
        XCTAssertEqual(try number("(zeros [2, 3]).count"), 6)
        let compared = try tensor("[1, 2, 3] > 1.5")
        XCTAssertEqual(compared.scalars, [0, 1, 1])
    }

    func testExpectationsReportTheirValues() throws {
        let interpreter = makeInterpreter()
        let outcomes = try interpreter.run(SourceFile(name: "t", text: """
            x = 0.51
            expect x ~ 0.5 +- 0.02
            expect x ~ 0.5 +- 0.001
            expect x ~ 0.5 +- 5%
            expect x in 0.4..0.6
            expect x > 0.6
            expect [1, 2] ~ [1, 2.00000001]
            """))
        let results = outcomes.compactMap { outcome -> Expectation? in
            if case .expectation(let expectation) = outcome { return expectation }
            return nil
        }
        XCTAssertEqual(results.map(\.passed), [true, false, true, true, false, true])
        XCTAssertEqual(results[1].detail, "0.51 ~ 0.5 +- 0.001 (off by 0.01)")
        XCTAssertEqual(results[4].detail, "0.51 > 0.6")
        XCTAssertEqual(results[4].line, 6)
        XCTAssertEqual(results[4].condition, "x > 0.6")
    }

    func testTheSameScriptGivesTheSameNumbers() throws {
        let script = "n = randn [4] \nm = randn [4]\nexplicit = randn [4] seed=3"
        let first = makeInterpreter(seed: 5), second = makeInterpreter(seed: 5), other = makeInterpreter(seed: 6)
        for interpreter in [first, second, other] { try interpreter.run(SourceFile(name: "t", text: script)) }
        func scalars(_ interpreter: Interpreter, _ name: String) -> [Float] {
            guard case .tensor(let tensor) = interpreter.globals[name] else { return [] }
            return tensor.scalars
        }
        XCTAssertEqual(scalars(first, "n"), scalars(second, "n"))
        XCTAssertNotEqual(scalars(first, "n"), scalars(first, "m"), "statements draw from their own streams")
        XCTAssertNotEqual(scalars(first, "n"), scalars(other, "n"), "the session seed matters")
        XCTAssertEqual(scalars(first, "explicit"), scalars(other, "explicit"), "an explicit seed overrides it")
        XCTAssertEqual(scalars(first, "explicit"), try Tensor.randn([4], seed: 3).scalars)
    }

    func testAnErrorLeavesEarlierBindingsAndTheSessionGoesOn() throws {
        let interpreter = makeInterpreter()
        _ = try? interpreter.run(SourceFile(name: "t", text: "a = 1"))
        XCTAssertThrowsError(try interpreter.run(SourceFile(name: "t", text: "b = [1, 2][5]")))
        guard case .number(2) = try value("a + 1", in: interpreter) else { return XCTFail("a is gone") }
        _ = try interpreter.run(SourceFile(name: "t", text: "c = a + 1"))
        guard case .number(2) = interpreter.globals["c"] else { return XCTFail("the session did not go on") }
    }

    func testTheAnalyserChecksEverythingBeforeAnythingRuns() throws {
        let interpreter = makeInterpreter()
        XCTAssertThrowsError(try interpreter.run(SourceFile(name: "t", text: "a = 1\nb = edgse a"))) { error in
            XCTAssertEqual((error as? Diagnostic)?.line, 2)
        }
        XCTAssertNil(interpreter.globals["a"], "nothing ran")
    }

    func testReadsAndWritesOfStatements() throws {
        var analyser = Analyser(registry: .standard)
        let statements = try Parser.parse(SourceFile(name: "t", text: """
            t = phantom n=2 seed=1
            m = onehot t.label classes=4
            def double x = x * 2
            y = double (mean m)
            for i in 0..1 do z = i + y end
            show t.image
            for i in 0..1 do
              image = t.image * i
              s = mean image
            end
            for i in 0..1 do
              w = s + 1
              s = w
            end
            y = y + 1
            for xs in [[]] do
              for x in xs do v = x end
              u = v + 1
            end
            for i in [1] do
              for s in [10] do s = s + 1 end
              k = s + i
            end
            """))
        let effects = try analyser.check(statements, in: SourceFile(name: "t", text: ""))
        XCTAssertEqual(effects.map(\.writes), [
            ["t"], ["m"], ["double"], ["y"], ["z"], [], ["image", "s"], ["w", "s"], ["y"], ["v", "u"], ["k"],
        ])
        // A loop reading what its body just bound depends only on its real inputs; one that
        // reads a name before binding it (s in the second loop) reads the earlier value. A
        // nested loop may run zero times (v), and its variable is not the global (s): those
        // reads stay inputs.
        XCTAssertEqual(effects.map(\.reads), [[], ["t"], [], ["double", "m"], ["y"], ["t"], ["t"], ["s"], ["y"], ["v"], ["s"]])
    }
}
