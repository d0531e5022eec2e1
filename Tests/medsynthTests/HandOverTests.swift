import Foundation
import XCTest
@testable import Formats

/// `medsynth export NOTEBOOK LABEL FOLDER` hands a training statement over to PyTorch. The export
/// is tested everywhere; training it with PyTorch (python3 and torchrun with two processes on the
/// CPU) and loading the result back only where torch is installed: elsewhere those tests say they
/// were skipped.
final class HandOverTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("handover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A small version of notebooks/train/2-conditioning: latents of a small autoencoder, a mask
    /// and edges, and one training statement per architecture.
    static func notebook(steps: Int) -> String {
        """
        ---
        title: hand-over
        seed: 1
        ---
        # Hand-over

        ```medsynth {#data}
        p = phantom n=16 size=32 seed=1
        images = signed p.image
        masks = onehot p.label classes=4
        outlines = edges images quantiles=true low=0.8 high=0.9
        ae = train (autoencoder kind=kl latent=4 widths=[8, 16] groups=4 seed=1) data=images steps=2 batch=4 seed=1
        z = encode ae images
        ```

        ```medsynth {#both}
        note = "the statement before the training runs too"
        both = train (unet latent=4 cond={mask: 4, edges: 1} widths=[16, 32] heads=2 groups=4 seed=1) data=z cond=[masks, outlines] steps=\(steps) batch=8 lr=0.001 log=1000 seed=1
        ```

        ```medsynth {#diffusers}
        d = train (unet2d latent=4 cond={mask: 4, edges: 1} widths=[16, 32] blocks=1 attention=1 head=8 groups=4 seed=1) data=z cond=[masks, outlines] steps=\(steps) batch=8 lr=0.001 log=1000 seed=1
        ```

        ```medsynth {#look}
        save both.history.loss "own-both.safetensors" overwrite=true
        save d.history.loss "own-diffusers.safetensors" overwrite=true
        m = load "handover/result.safetensors"
        s = diffuse m cond=[masks[0:2], outlines[0:2]] steps=5 seed=1
        expect shape s == [2, 4, 8, 8]
        ```
        """
    }

    private func binary() throws -> URL {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("medsynth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no medsynth binary at \(binary.path)") }
        return binary
    }

    @discardableResult
    private func run(_ executable: URL, _ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    private func export(_ label: String, steps: Int = 50, to name: String = "handover") throws -> URL {
        let notebook = folder.appendingPathComponent("train.medsynth")
        try Self.notebook(steps: steps).write(to: notebook, atomically: true, encoding: .utf8)
        let result = try run(try binary(), ["export", notebook.path, label, folder.appendingPathComponent(name).path, "--no-cache"],
                             in: folder)
        XCTAssertEqual(result.status, 0, result.output)
        return folder.appendingPathComponent(name)
    }

    func testExportWritesTheStatementsModelDataAndHyperparameters() throws {
        let handover = try export("both")
        for file in ["start.safetensors", "data.safetensors", "training.json", "train.py", "README.md"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: handover.appendingPathComponent(file).path), file)
        }
        let data = try SafetensorsFile(reading: handover.appendingPathComponent("data.safetensors").path)
        XCTAssertEqual(try data.tensor(named: "latents").shape, [16, 4, 8, 8])
        XCTAssertEqual(try data.tensor(named: "conditions").shape, [16, 5, 32, 32], "mask and edges, in the model's order")
        XCTAssertEqual(try data.tensor(named: "alphas_cumprod").shape, [1000])
        let json = try JSONValue.parse(Array(try Data(contentsOf: handover.appendingPathComponent("training.json"))))
        XCTAssertEqual(json["steps"]?.integer, 50)
        XCTAssertEqual(json["batch"]?.integer, 8)
        XCTAssertEqual(json["warmup"]?.integer, 5, "train's default: a tenth of the steps")
        XCTAssertEqual(json["ema"]?.number ?? 0, 0.999, accuracy: 1e-9)
        XCTAssertEqual(json["unet"]?["kind"]?.string, "medsynth")
        XCTAssertEqual(json["conditions"]?.array?.compactMap { $0["name"]?.string }, ["mask", "edges"])
        let start = try Checkpoint(reading: handover.appendingPathComponent("start.safetensors").path)
        XCTAssertEqual(start.configuration["model"], "conditional-unet")
    }

    func testExportRefusesWhatItCannotHandOver() throws {
        let notebook = folder.appendingPathComponent("train.medsynth")
        try Self.notebook(steps: 5).write(to: notebook, atomically: true, encoding: .utf8)
        for (label, expected) in [("nothing", "has no cell labelled 'nothing'"), ("data", "the hand-over trains denoisers"),
                                  ("look", "has no training statement")] {
            let result = try run(try binary(), ["export", notebook.path, label, folder.appendingPathComponent("x").path, "--no-cache"], in: folder)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.output.contains(expected), result.output)
        }
    }

    // MARK: - With PyTorch

    private func python() throws -> URL {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        guard let python = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else { throw XCTSkip("no python3") }
        let check = try run(URL(fileURLWithPath: python), ["-c", "import torch, safetensors, diffusers"], in: folder)
        guard check.status == 0 else { throw XCTSkip("PyTorch, safetensors or diffusers is not installed: the hand-over's training is not tested here") }
        return URL(fileURLWithPath: python)
    }

    /// The loss of every step in a history.csv.
    private func losses(_ csv: URL) throws -> [Double] {
        try String(contentsOf: csv, encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let fields = line.split(separator: ",")
            return fields.count == 3 ? Double(fields[1]) : nil
        }
    }

    /// The hand-over of both architectures trains under PyTorch in one process and under
    /// torchrun with two (gloo, CPU), to a loss close to medsynth's own over the same 50 steps,
    /// and the result loads back into the notebook, which samples with it.
    func testTheHandOverTrainsInPyTorchAndComesBack() throws {
        let python = try python()
        let torchrun = python.deletingLastPathComponent().appendingPathComponent("torchrun")
        var pytorch: [String: (single: [Double], distributed: [Double])] = [:]
        for (label, name) in [("both", "handover"), ("diffusers", "handover-diffusers")] {
            let handover = try export(label, to: name)
            let single = try run(python, ["train.py", "--device", "cpu", "--out", "single"], in: handover)
            XCTAssertEqual(single.status, 0, single.output)
            XCTAssertTrue(single.output.contains("check: PyTorch reproduces medsynth's output"), single.output)
            let distributed = try run(torchrun, ["--nproc_per_node=2", "train.py", "--device", "cpu"], in: handover)
            XCTAssertEqual(distributed.status, 0, distributed.output)
            pytorch[label] = (try losses(handover.appendingPathComponent("single/history.csv")),
                              try losses(handover.appendingPathComponent("history.csv")))
        }
        // medsynth's own run of the same statements; its last cell loads torchrun's result back.
        let back = try run(try binary(), ["run", folder.appendingPathComponent("train.medsynth").path, "--no-cache"], in: folder)
        XCTAssertTrue(back.output.contains("1 of 1 expectations held"), back.output)
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        for label in ["both", "diffusers"] {
            let own = try SafetensorsFile(reading: folder.appendingPathComponent("own-\(label).safetensors").path)
                .tensor(named: "data").scalars.map(Double.init)
            let (single, distributed) = pytorch[label]!
            guard single.count == 50, distributed.count == 50, !own.isEmpty else {
                return XCTFail("\(label): \(single.count) and \(distributed.count) steps of PyTorch, \(own.count) of medsynth")
            }
            let last = (medsynth: mean(Array(own.suffix(10))), python: mean(Array(single.suffix(10))), torchrun: mean(Array(distributed.suffix(10))))
            print("HandOverTests \(label): mean loss of steps 41-50: medsynth \(last.medsynth), python \(last.python), torchrun x2 \(last.torchrun); "
                + "step 50: medsynth \(own.last!), python \(single.last!), torchrun x2 \(distributed.last!)")
            for (what, value) in [("python", last.python), ("torchrun", last.torchrun)] {
                XCTAssertLessThan(abs(value - last.medsynth) / last.medsynth, 0.35, "\(label): \(what) trains like medsynth")
            }
            XCTAssertLessThan(last.python, mean(Array(single.prefix(5))), "\(label): the loss falls")
        }
    }
}
