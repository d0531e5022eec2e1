import Engine
import Foundation
import XCTest
@testable import Language
@testable import Notebook

/// The determinism contract: a value depends only on its random key, not on the thread count,
/// the batch it is drawn in, or the order of statements. Every comparison is bit for bit.
final class DeterminismContractTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-determinism-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The bindings of a fresh run (no cache) of `text`, by name.
    func bindings(_ text: String) throws -> [String: Value] {
        let path = (directory as NSString).appendingPathComponent("n-\(UUID().uuidString).medsynth")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let options = NotebookRunner.Options(
            cacheDirectory: nil, outputDirectory: (directory as NSString).appendingPathComponent("figures"), engineVersion: "test")
        let result = try NotebookRunner(options: options).run(try NotebookDocument.load(path: path))
        XCTAssertNil(result.diagnostic, "\(result.diagnostic.map(String.init(describing:)) ?? "")")
        return Dictionary(result.bindings.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
    }

    func tensor(_ value: Value?, _ field: String? = nil) throws -> Tensor {
        switch (value, field) {
        case (.tensor(let tensor)?, nil): return tensor
        case (.record(let record)?, let field?):
            guard case .tensor(let tensor)? = record[field] else { throw RuntimeError("no tensor field \(field)") }
            return tensor
        default: throw RuntimeError("not a tensor: \(String(describing: value))")
        }
    }

    /// The first `count` items of a batch, bit patterns.
    func firstItems(_ tensor: Tensor, _ count: Int) -> [UInt32] {
        let perItem = tensor.count / tensor.shape[0]
        return tensor.scalars.prefix(count * perItem).map(\.bitPattern)
    }

    static func notebook(_ body: String, seed: Int = 5) -> String {
        "---\ntitle: determinism\nseed: \(seed)\n---\n\n```medsynth {#c}\n\(body)\n```\n"
    }

    /// `phantom n=8` gives the same first 4 subjects as `n=4`, and so do the random verbs that
    /// work item by item on them (corrupt, holes), under a derived key and an explicit seed.
    func testEightItemsStartWithTheFourItems() throws {
        func body(_ n: Int) -> String {
            """
            d = phantom n=\(n) size=32
            s = phantom n=\(n) size=32 seed=11
            noisy = corrupt (d.image * 2 - 1) amount=0.2
            masks = holes n=\(n) size=32 coverage=0.3
            """
        }
        let eight = try bindings(Self.notebook(body(8))), four = try bindings(Self.notebook(body(4)))
        for (name, field) in [("d", "image"), ("d", "label"), ("s", "image"), ("noisy", nil), ("masks", nil)] as [(String, String?)] {
            let a = try tensor(eight[name], field), b = try tensor(four[name], field)
            XCTAssertEqual(a.shape[0], 8, name)
            XCTAssertEqual(firstItems(a, 4), firstItems(b, 4), "\(name)\(field.map { "." + $0 } ?? "")")
        }
    }

    /// `diffuse` of 8 items gives the same first 4 as of 4 items: each item draws x_T and its
    /// step noise from its own key, and the UNet treats the items of a batch independently.
    func testDiffusingEightItemsStartsWithTheFourItems() throws {
        func body(_ n: Int) -> String {
            """
            p = phantom n=\(n) size=32 seed=1
            m = onehot p.label classes=4
            e = edges p.image
            net = unet latent=4 cond={mask: 4, edges: 1} widths=[8, 16] heads=2 groups=4 seed=3
            ddim = diffuse net cond=[m, e] steps=3 sampler=ddim eta=0.5
            ddpm = diffuse net cond=[m, e] steps=3 sampler=ddpm
            guided = diffuse net cond=[m, e] steps=3 guidance=2 seed=4
            """
        }
        let eight = try bindings(Self.notebook(body(8))), four = try bindings(Self.notebook(body(4)))
        for name in ["ddim", "ddpm", "guided"] {
            let a = try tensor(eight[name]), b = try tensor(four[name])
            XCTAssertEqual(a.shape, [8, 4, 8, 8], name)
            XCTAssertEqual(firstItems(a, 4), firstItems(b, 4), name)
        }
    }

    /// The same notebook gives bit-identical values on 1, 2 and 4 threads (the engine's and
    /// OpenBLAS's), training included.
    func testThreadCountsGiveBitIdenticalValues() throws {
        let text = Self.notebook("""
            p = phantom n=4 size=32
            m = onehot p.label classes=4
            e = edges p.image
            z = randn [4, 4, 8, 8]
            net = unet latent=4 cond={mask: 4, edges: 1} widths=[8, 16] heads=2 groups=4
            net = train net data=z cond=[m, e] steps=3 batch=2 log=1000
            x = diffuse net cond=[m, e] steps=3 sampler=ddpm
            """)
        // Engine's threads only: OpenBLAS runs every call on one core (`OpenBLAS.threadsPerCall`).
        var runs: [Int: [String]] = [:]
        for threads in [1, 2, 4] {
            let values = try Parallel.withThreadCount(threads) { try bindings(text) }
            runs[threads] = values.keys.sorted().map { "\($0) = \(CacheMutationTests.bits(values[$0]!))" }
        }
        XCTAssertEqual(runs[1], runs[2], "1 and 2 threads")
        XCTAssertEqual(runs[1], runs[4], "1 and 4 threads")
        XCTAssertTrue(runs[1]!.contains { $0.hasPrefix("x = [4, 4, 8, 8]") })
    }

    /// Swapping two independent statements changes no value: a derived key names the
    /// statement, not its position.
    func testSwappingIndependentStatementsChangesNoValue() throws {
        let first = try bindings(Self.notebook("a = randn [3]\nb = phantom n=2 size=32"))
        let swapped = try bindings(Self.notebook("b = phantom n=2 size=32\na = randn [3]"))
        XCTAssertEqual(CacheMutationTests.bits(first["a"]!), CacheMutationTests.bits(swapped["a"]!))
        XCTAssertEqual(try tensor(first["b"], "image"), try tensor(swapped["b"], "image"))
        let otherSeed = try bindings(Self.notebook("a = randn [3]", seed: 6))
        XCTAssertNotEqual(CacheMutationTests.bits(first["a"]!), CacheMutationTests.bits(otherSeed["a"]!))
    }
}
