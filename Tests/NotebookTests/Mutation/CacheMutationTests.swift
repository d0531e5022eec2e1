import Engine
import Formats
import Foundation
import XCTest
@testable import Language
@testable import Notebook

/// The cache, proved by mutation. Random notebooks (`MutationNotebook`) take random edits; after
/// each edit a run on the cache the whole chain of edits shares must give exactly what a run
/// without a cache gives (outputs, expectations, bindings bit for bit, written files), and must
/// recompute every statement the edit affects (as the model computes them, without asking the
/// analyser or the cache) and little else.
///
/// 100 edits here (CI); `scripts/mutation.sh` runs 1,000 or more
/// (MEDSYNTH_MUTATION_EDITS, MEDSYNTH_MUTATION_SEED; MEDSYNTH_MUTATION_VERBOSE=1 prints each
/// chain's first notebook).
final class CacheMutationTests: XCTestCase {
    struct Tally {
        var edits = 0
        var stale: [String] = []
        var affected = 0
        var recomputed = 0
        var alwaysRun = 0
        var worst: [(extra: Int, edit: String)] = []
        var byEdit: [String: (count: Int, affected: Int, recomputed: Int)] = [:]
    }

    func testWarmRunsMatchFreshRunsAfterRandomEdits() throws {
        let environment = ProcessInfo.processInfo.environment
        let edits = environment["MEDSYNTH_MUTATION_EDITS"].flatMap(Int.init) ?? 100
        let seed = environment["MEDSYNTH_MUTATION_SEED"].flatMap(UInt64.init) ?? 2026
        var random = SplitMix(seed)
        var tally = Tally()
        let start = Date()
        var chain = 0
        while tally.edits < edits {
            chain += 1
            try runChain(length: min(25, edits - tally.edits), random: &random, tally: &tally, chain: chain)
        }
        let seconds = Date().timeIntervalSince(start)
        let ratio = tally.affected == 0 ? 1 : Double(tally.recomputed) / Double(tally.affected)
        print("""
            cache mutation (seed \(seed)): \(tally.edits) edits in \(chain) chains, \(String(format: "%.1f", seconds)) s; \
            stale: \(tally.stale.count); affected \(tally.affected), recomputed \(tally.recomputed) \
            (\(String(format: "%.3f", ratio))x); always run apart: \(tally.alwaysRun)
            """)
        for (edit, counts) in tally.byEdit.sorted(by: { $0.key < $1.key }) {
            print("  \(edit): \(counts.count) edits, affected \(counts.affected), recomputed \(counts.recomputed)")
        }
        for (extra, edit) in tally.worst.sorted(by: { $0.extra > $1.extra }).prefix(3) where extra > 0 {
            print("  recomputed \(extra) more than affected: \(edit)")
        }
        XCTAssertEqual(tally.stale, [], "stale results (seed \(seed))")
        XCTAssertLessThanOrEqual(Double(tally.recomputed), 1.10 * Double(tally.affected), "recomputation beyond the affected set")
    }

    /// A new notebook and a new cache, then `length` edits.
    private func runChain(length: Int, random: inout SplitMix, tally: inout Tally, chain: Int) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-mutation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let warm = root + "/warm", fresh = root + "/fresh", cache = root + "/cache"
        var fileVersions: [String: Int] = [:]
        for folder in [warm, fresh] {
            for sub in ["data", "out"] { try FileManager.default.createDirectory(atPath: "\(folder)/\(sub)", withIntermediateDirectories: true) }
        }
        for file in MutationNotebook.files { try writeData(file, version: 0, into: [warm, fresh]) }

        var notebook = MutationGenerator.notebook(&random)
        if ProcessInfo.processInfo.environment["MEDSYNTH_MUTATION_VERBOSE"] != nil { print(notebook.text) }
        var seen: Set<String> = []
        var ignored = Tally()
        try compare(notebook, warm: warm, fresh: fresh, cache: cache, versions: fileVersions, seen: &seen, edit: "start", tally: &ignored)
        for _ in 0..<length {
            var edited = notebook
            var versions = fileVersions
            var description = ""
            for _ in 0..<50 {
                (edited, versions, description) = MutationGenerator.edit(notebook, versions: fileVersions, &random)
                if edited.judge(fileVersions: versions) != nil { break }
            }
            guard edited.judge(fileVersions: versions) != nil else { continue }
            for (file, version) in versions where fileVersions[file] != version {
                try writeData(file, version: version, into: [warm, fresh])
            }
            notebook = edited
            fileVersions = versions
            tally.edits += 1
            try compare(notebook, warm: warm, fresh: fresh, cache: cache, versions: fileVersions, seen: &seen,
                        edit: "chain \(chain) edit \(tally.edits): \(description)", tally: &tally)
        }
    }

    /// Runs the notebook warm and fresh, and checks the one against the other and the model.
    private func compare(
        _ notebook: MutationNotebook, warm: String, fresh: String, cache: String, versions: [String: Int],
        seen: inout Set<String>, edit: String, tally: inout Tally
    ) throws {
        let warmRun = try run(notebook, in: warm, cache: cache)
        let freshRun = try run(notebook, in: fresh, cache: nil)
        let judgements = notebook.judge(fileVersions: versions)!
        var problems: [String] = []
        if let diagnostic = warmRun.diagnostic ?? freshRun.diagnostic { problems.append("error: \(diagnostic)") }
        if Self.outputs(warmRun) != Self.outputs(freshRun) { problems.append("outputs differ: \(Self.outputs(warmRun)) vs \(Self.outputs(freshRun))") }
        if Self.bindings(warmRun) != Self.bindings(freshRun) { problems.append("bindings differ: \(Self.bindings(warmRun)) vs \(Self.bindings(freshRun))") }
        if try Self.written(warm) != Self.written(fresh) { problems.append("written files differ") }
        let records = warmRun.cells.flatMap(\.statements)
        if records.count != judgements.count { problems.append("\(records.count) statements ran, the model has \(judgements.count)") }
        var affected = 0, recomputed = 0, alwaysRun = 0
        for (index, (record, judgement)) in zip(records, judgements).enumerated() {
            guard judgement.cacheable else {
                alwaysRun += 1
                continue
            }
            // A statement identical to an earlier one of this run shares its entry.
            let isAffected = seen.insert(judgement.id).inserted
            let ran = record.source != .cached
            if isAffected { affected += 1 }
            if ran { recomputed += 1 }
            if isAffected, !ran {
                problems.append("statement \(index + 1) (\(record.canonicalForm)) is affected but came from the cache (files \(record.parts.files))")
            }
        }
        guard edit != "start" else {
            if !problems.isEmpty { XCTFail("the first run of a chain: \(problems)\n\(notebook.text)") }
            return
        }
        tally.affected += affected
        tally.recomputed += recomputed
        tally.alwaysRun += alwaysRun
        let kind = String(edit.split(separator: ":").last?.split(separator: " ").first ?? "")
        let counts = tally.byEdit[kind] ?? (0, 0, 0)
        tally.byEdit[kind] = (counts.count + 1, counts.affected + affected, counts.recomputed + recomputed)
        tally.worst.append((recomputed - affected, edit))
        if !problems.isEmpty { tally.stale.append("\(edit): \(problems.joined(separator: "; "))\n\(notebook.text)") }
    }

    private func run(_ notebook: MutationNotebook, in folder: String, cache: String?) throws -> NotebookRunner.RunResult {
        let path = folder + "/notes.medsynth"
        try Data(notebook.text.utf8).write(to: URL(fileURLWithPath: path))
        let options = NotebookRunner.Options(cacheDirectory: cache, outputDirectory: folder + "/figures", engineVersion: "mutation")
        return try NotebookRunner(options: options).run(try NotebookDocument.load(path: path))
    }

    /// A small grey image whose pixels differ for every file and version (the cache keys files
    /// by their contents, as the model does by name and version).
    private func writeData(_ file: String, version: Int, into folders: [String]) throws {
        var pixels = SplitMix(UInt64(version * 16 + MutationNotebook.files.firstIndex(of: file)!))
        let values = (0..<16).map { _ in Float(pixels.below(256)) / 255 }
        let image = try Tensor(shape: [1, 4, 4], scalars: values)
        for folder in folders { try PNGImage.write(image, to: "\(folder)/data/\(file)") }
    }

    static func outputs(_ run: NotebookRunner.RunResult) -> [String] {
        run.cells.flatMap { cell in
            cell.outputs.map { output -> String in
                if case .text(let text) = output { return text }
                return "\(output)"
            } + cell.expectations.map { "\($0.condition): \($0.passed) \($0.detail)" }
        }
    }

    static func bindings(_ run: NotebookRunner.RunResult) -> [String] {
        run.bindings.map { "\($0.name) = \(bits($0.value))" }
    }

    /// A value with every float's bits, so that equal means bit-identical.
    static func bits(_ value: Value) -> String {
        switch value {
        case .tensor(let tensor): return "\(tensor.shape) " + tensor.scalars.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
        case .number(let number): return String(number.bitPattern, radix: 16)
        case .list(let items): return "[" + items.map(bits).joined(separator: ", ") + "]"
        case .function(let callable): return "function \(callable.name)"
        default: return value.inlineText
        }
    }

    /// The files the notebook wrote, with their bytes.
    static func written(_ folder: String) throws -> [String: Data] {
        let out = folder + "/out"
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: out) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
        }
        return files
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a small, seedable generator for the test's choices.
struct SplitMix {
    private var state: UInt64
    init(_ seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func chance(_ probability: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < probability }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
