import Foundation
import XCTest
@testable import Language
@testable import Notebook

/// While the runner moves from its own walk of the syntax (`StatementSyntax`) to the analyser's
/// plans: both must say the same of every statement the project has (the course and training
/// notebooks, the standard library, every verb's example).
final class StatementPlanParityTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testThePlanSaysWhatTheRunnersWalkSaid() throws {
        let folder = Self.root.path
        let libraries = ["stdlib/prelude.medsynth", "stdlib/course.medsynth"].map { folder + "/" + $0 }
        let session = Session(context: RuntimeContext())
        try session.loadLibrary(libraries)
        let notebooks = try ["notebooks", "notebooks/train"].flatMap { sub in
            try FileManager.default.contentsOfDirectory(atPath: folder + "/" + sub).filter { $0.hasSuffix(".medsynth") }.sorted()
                .map { folder + "/" + sub + "/" + $0 }
        }
        var compared = 0
        var differences: [String] = []
        // Each library is planned with the names of those before it, as it loads.
        var sources: [(SourceFile, globals: [String: ValueType], functions: Set<String>)] = []
        let loading = Session(context: RuntimeContext())
        for path in libraries {
            let source = SourceFile(name: path, text: try String(contentsOfFile: path, encoding: .utf8))
            sources.append((source, loading.interpreter.globalTypes, Set(loading.interpreter.globalOrder)))
            try loading.loadLibrary([path])
        }
        let libraryGlobals = session.interpreter.globalTypes
        for path in notebooks {
            let document = try NotebookDocument.load(path: path)
            let parameters = Dictionary(uniqueKeysWithValues: document.frontMatter.parameters.map { ($0.name, ValueType.any) })
            let code = document.cells.map(\.code).joined(separator: "\n")
            sources.append((SourceFile(name: path, text: code), libraryGlobals.merging(parameters) { $1 }, session.libraryNames))
        }
        for verb in VerbRegistry.standard.verbs {
            let names: [String: ValueType] = ["net": .model, "xt": .tensor, "m": .tensor, "e": .tensor, "x": .tensor]
            sources.append((SourceFile(name: "example of \(verb.name)", text: verb.example), libraryGlobals.merging(names) { $1 },
                            session.libraryNames))
        }
        for (source, globals, libraryFunctions) in sources {
            var analyser = Analyser(registry: .standard, globals: globals)
            let statements = try Parser.parse(source)
            let plans = try analyser.plan(statements, in: source)
            var functions = libraryFunctions
            for plan in plans {
                let syntax = StatementSyntax(plan.statement, registry: .standard, functions: functions)
                let place = "\(source.name): \(plan.canonicalForm)"
                // The walk took a value bound under a verb's name (`train = phantom ...`, then
                // `train.image`) for the verb; the plan knows it is a value.
                XCTAssertEqual(plan.verbs, syntax.verbs.subtracting(plan.reads), place)
                XCTAssertTrue(plan.verbs.isSubset(of: syntax.verbs), place)
                let valuesNamedLikeVerbs = syntax.verbs.intersection(plan.reads)
                XCTAssertEqual(plan.files.literal.sorted(), syntax.paths.sorted(), place)
                XCTAssertEqual(plan.files.computed, syntax.hasComputedPath, place)
                if valuesNamedLikeVerbs.isEmpty {
                    XCTAssertEqual(plan.drawsRandomNumbers, syntax.drawsFromItsStream, place)
                } else if plan.drawsRandomNumbers != syntax.drawsFromItsStream {
                    differences.append(place)
                }
                if case .function(let definition) = plan.statement { functions.insert(definition.name) }
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 350)
        print("compared \(compared) statements; draw differently because a value has a verb's name: \(differences)")
    }
}
