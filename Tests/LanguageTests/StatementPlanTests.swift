import XCTest
@testable import Language

/// What the analyser's plan says of a statement, before it runs.
final class StatementPlanTests: XCTestCase {
    func plans(_ text: String, globals: [String: ValueType] = [:]) throws -> [StatementPlan] {
        var analyser = Analyser(registry: .standard, globals: globals)
        let source = SourceFile(name: "plan", text: text)
        return try analyser.plan(try Parser.parse(source), in: source)
    }

    func testVerbsFunctionsAndNamesRead() throws {
        let plans = try plans("""
            k = 2
            def f x = blur x sigma=k
            y = f (zeros [1, 1, 4, 4]) + k
            """)
        XCTAssertEqual(plans.map(\.writes), [["k"], ["f"], ["y"]])
        XCTAssertEqual(plans[1].verbs, ["blur"])
        XCTAssertTrue(plans[1].isDefinition)
        XCTAssertFalse(plans[1].isCacheable)
        XCTAssertEqual(plans[2].reads, ["f", "k"])
        XCTAssertEqual(plans[2].calls, ["f"])
        XCTAssertEqual(plans[2].verbs, ["zeros"])
        XCTAssertTrue(plans[2].isCacheable)
    }

    /// A value bound under a verb's name is read as that value, not applied as the verb.
    func testAValueNamedLikeAVerbIsAValue() throws {
        let plans = try plans("train = phantom n=2 size=32 seed=1\nx = train.image")
        XCTAssertEqual(plans[1].reads, ["train"])
        XCTAssertEqual(plans[1].verbs, [])
        XCTAssertFalse(plans[1].drawsRandomNumbers)
    }

    /// A statement draws from its own stream when a verb that draws is not given its seed, or
    /// when it calls a function; a verb named alone is applied with no options.
    func testWhichStatementsDraw() throws {
        let plans = try plans("""
            a = randn [2]
            b = randn [2] seed=3
            def g x = x + 1
            c = g 1
            d = zeros [2]
            e = (autoencoder)
            """)
        XCTAssertEqual(plans.map(\.drawsRandomNumbers), [true, false, false, true, false, true])
        XCTAssertEqual(plans[5].verbs, ["autoencoder"])
    }

    func testFilesAndSideEffects() throws {
        let plans = try plans("""
            a = load "scan.png"
            dir = "data"
            b = load (dir + "/scan.png")
            save a "out.png" overwrite=true
            """)
        XCTAssertEqual(plans[0].files, StatementPlan.FileUse(literal: ["scan.png"], computed: false))
        XCTAssertTrue(plans[0].isCacheable)
        XCTAssertTrue(plans[2].files.computed)
        XCTAssertFalse(plans[2].isCacheable)
        XCTAssertEqual(plans[3].files.literal, ["out.png"])
        XCTAssertEqual(plans[3].sideEffects, ["save"])
        XCTAssertFalse(plans[3].isCacheable)
    }

    /// Every verb with a seed option declares that it draws, and only those: the plan learns of
    /// randomness from the declaration, never by running.
    func testEveryVerbThatDrawsDeclaresIt() {
        for verb in VerbRegistry.standard.verbs {
            let hasSeed = verb.options.contains { $0.name == "seed" }
            XCTAssertEqual(verb.randomness, hasSeed ? .seeded(by: "seed") : .none, verb.name)
        }
        XCTAssertEqual(VerbRegistry.standard.verbs.filter { $0.randomness != .none }.count, 19)
    }

    /// A verb that draws without declaring it is refused when it asks for its random key.
    func testAnUndeclaredDrawIsRefused() throws {
        let verb = Verb("sneaky", "draws", category: .values, result: .number, example: "sneaky") { call in
            .number(Double(try call.randomKey().seed % 10))
        }
        let interpreter = Interpreter(registry: VerbRegistry([verb]))
        let source = SourceFile(name: "t", text: "sneaky")
        XCTAssertThrowsError(try interpreter.execute(try Parser.parse(source)[0], in: source)) { error in
            XCTAssertTrue("\(error)".contains("does not declare it"), "\(error)")
        }
    }

    /// A call reads the globals its function reads when it runs, through the functions it
    /// calls, as they are bound at the call; and the default tolerance if one of them uses it.
    func testACallReadsWhatItsFunctionsRead() throws {
        let plans = try plans("""
            k = 2
            t = 1
            def inner x = x * k
            def close x = x ~ t
            def f x = inner x
            g = f
            y = f 1
            z = g 1
            w = close 1
            """)
        XCTAssertEqual(plans[4].reads, ["inner", "k"], "a definition reads what its body reads")
        XCTAssertEqual(plans[6].reads, ["f", "inner", "k"])
        XCTAssertEqual(plans[7].reads, ["g", "f", "inner", "k"])
        XCTAssertFalse(plans[6].usesDefaultTolerance)
        XCTAssertEqual(plans[8].reads, ["close", "t"])
        XCTAssertTrue(plans[8].usesDefaultTolerance)
        XCTAssertTrue(plans[3].usesDefaultTolerance)
    }

    /// An analyser made from what an interpreter bound (after an error, or for a new session
    /// over it) knows what its functions read.
    func testAFreshAnalyserKnowsWhatBoundFunctionsRead() throws {
        let interpreter = Interpreter()
        try interpreter.run(SourceFile(name: "a", text: "k = 2\ndef f x = x * k"))
        let plans = try Executor(interpreter: interpreter).plan(SourceFile(name: "b", text: "y = f 1"))
        XCTAssertEqual(plans[0].reads, ["f", "k"])
    }

    /// A function whose parameters all have defaults runs when it is named alone: the statement
    /// calls it (and its result is a value, which can be indexed); a function named as an
    /// argument is passed on, and the statement reads what it reads.
    func testAFunctionNamedAloneRunsAndOnePassedOnIsRead() throws {
        let plans = try plans("""
            a = 1
            def g k=1 = zeros [2] + k + a
            def f x = x + a
            def apply g x = g x
            y = g
            first = y[0]
            z = apply f 1
            """)
        XCTAssertEqual(plans[4].calls, ["g"])
        XCTAssertEqual(plans[4].reads, ["g", "a"])
        XCTAssertTrue(plans[4].drawsRandomNumbers)
        XCTAssertEqual(plans[5].reads, ["y"], "y holds g's result, not g")
        XCTAssertEqual(plans[6].reads, ["apply", "f", "a"])
    }
}
