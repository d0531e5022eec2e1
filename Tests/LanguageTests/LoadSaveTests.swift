import Engine
import Formats
import XCTest
@testable import Language

/// `load` and `save` over Formats' registry: a file found by its first bytes, a contradicted
/// extension refused, PNG scaled by its own bit depth, figures written where tensors go, and
/// messages that list the extensions the registry knows.
final class LoadSaveTests: XCTestCase {
    var directory = ""
    var interpreter: Interpreter!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-load-save-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        interpreter = Interpreter(context: RuntimeContext(outputDirectory: directory, seed: 1) { _ in })
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func run(_ text: String) throws {
        _ = try interpreter.run(SourceFile(name: "t", text: text))
    }

    /// The diagnostic `text` stops with; a failure if it runs.
    func diagnostic(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Diagnostic? {
        do {
            try run(text)
            XCTFail("expected an error from: \(text)", file: file, line: line)
        } catch let diagnostic as Diagnostic {
            return diagnostic
        } catch {
            XCTFail("expected a diagnostic, got \(error)", file: file, line: line)
        }
        return nil
    }

    func tensor(_ name: String) throws -> Tensor {
        guard case .tensor(let tensor) = interpreter.globals[name] else {
            XCTFail("\(name) is \(interpreter.globals[name]?.summary ?? "unbound")")
            return Tensor(0)
        }
        return tensor
    }

    /// A file of the test folders: Tests/Scans or Tests/FormatsTests/Fixtures.
    func testFile(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(relative).path
    }

    func copy(_ source: String, to name: String) throws -> String {
        let path = directory + "/" + name
        try FileManager.default.copyItem(atPath: source, toPath: path)
        return path
    }

    func testAFileWithoutAKnownExtensionIsReadByItsFirstBytes() throws {
        let png = testFile("Scans/FatMRISlice.png"), dicom = testFile("Scans/MR_small.dcm")
        let bare = try copy(png, to: "slice"), ima = try copy(dicom, to: "IM0001.IMA")
        try run("a = load \"\(png)\"\nb = load \"\(bare)\"\nc = load \"\(dicom)\"\nd = load \"\(ima)\"")
        XCTAssertEqual(try tensor("b"), try tensor("a"))
        XCTAssertEqual(try tensor("d"), try tensor("c"))
        XCTAssertEqual(try tensor("d"), try DICOMImage(reading: dicom).pixels)
    }

    /// A 1-bit PNG reads as 0 and 1 and a 2-bit palette of greys as thirds: each file is scaled
    /// by the depth of the samples libpng delivers (8 bits for both).
    func testLowBitDepthPNGsLoadInZeroToOne() throws {
        try run("""
            one = load "\(testFile("FormatsTests/Fixtures/pillow-grey1.png"))"
            two = load "\(testFile("FormatsTests/Fixtures/pillow-palette2.png"))"
            """)
        XCTAssertEqual(try tensor("one").scalars, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
        XCTAssertEqual(try tensor("two").scalars, [0, 85, 170, 255, 0, 255, 170, 85, 0, 85, 170, 170, 255, 255, 0].map { $0 / 255 })
    }

    func testAContradictedExtensionIsRefused() throws {
        let disguised = try copy(testFile("Scans/FatMRISlice.png"), to: "scan.dcm")
        let text = "x = load \"\(disguised)\""
        let error = try XCTUnwrap(diagnostic(text))
        XCTAssertEqual(error.message, "'\(disguised)' is PNG by its first bytes, but its extension .dcm names DICOM")
        XCTAssertEqual(error.hint, "rename it to end in .png")
        XCTAssertEqual(error.column, 10, "the path is at fault")
    }

    func testLoadMessagesListWhatTheRegistryReads() throws {
        let readable = "a .png, .nii, .nii.gz, .dcm, .dicom, .h5, .hdf5 or .safetensors file"
        let notes = directory + "/notes.txt"
        try "plain words".write(toFile: notes, atomically: false, encoding: .utf8)
        let unknown = try XCTUnwrap(diagnostic("x = load \"\(notes)\""))
        XCTAssertEqual(unknown.message, "cannot tell the format of '\(notes)' from .txt or from its first bytes")
        XCTAssertEqual(unknown.expected, readable)

        try run("p = plot [1, 2, 3] title=\"line\"")
        guard case .figure(let plot) = interpreter.globals["p"], let svg = plot.path else { return XCTFail("no plot written") }
        let drawing = try XCTUnwrap(diagnostic("x = load \"\(svg)\""))
        XCTAssertEqual(drawing.message, "cannot read '\(svg)': medsynth writes SVG files but does not read them")
        XCTAssertEqual(drawing.expected, readable)
    }

    /// A slab that does not fit is reported at the option that is wrong, as before the registry.
    func testSlabErrorsPointAtTheOption() throws {
        let path = directory + "/x.h5"
        try run("save (zeros [4, 1, 2, 2]) \"\(path)\" dataset=\"/images\"")
        let text = "s = load \"\(path)\" dataset=\"/images\" first=3 count=2"
        let tooMany = try XCTUnwrap(diagnostic(text))
        XCTAssertEqual(tooMany.message, "the slab 3..<5 lies outside the first axis of 4")
        XCTAssertEqual(tooMany.found, "a dataset of shape [4, 1, 2, 2]")
        let countValue = text.distance(from: text.startIndex, to: text.range(of: "count=")!.upperBound)
        XCTAssertEqual(tooMany.column, countValue + 1, "at count's value")
        let pastTheEnd = try XCTUnwrap(diagnostic("s = load \"\(path)\" dataset=\"/images\" first=4"))
        XCTAssertEqual(pastTheEnd.message, "the slab 4..<4 lies outside the first axis of 4")
        try run("s = load \"\(path)\" dataset=\"/images\" first=1 count=2")
        XCTAssertEqual(try tensor("s").shape, [2, 1, 2, 2])
    }

    func testSaveMessagesListWhatTheRegistryWrites() throws {
        let tensorText = try XCTUnwrap(diagnostic("save (zeros [2, 2]) \"\(directory)/x.txt\""))
        XCTAssertEqual(tensorText.message, "cannot write a tensor to '\(directory)/x.txt'")
        XCTAssertEqual(tensorText.expected, "a .png, .nii, .nii.gz, .h5, .hdf5 or .safetensors path")
        let dicom = try XCTUnwrap(diagnostic("save 3 \"\(directory)/x.dcm\""))
        XCTAssertEqual(dicom.message, "cannot write a tensor to '\(directory)/x.dcm'")

        let record = try XCTUnwrap(diagnostic("r = phantom n=1 size=32 seed=1\nsave r \"\(directory)/r.h5\""))
        XCTAssertTrue(record.message.hasPrefix("cannot write a record"), record.message)
        XCTAssertEqual(record.expected, "a .safetensors path")
        let mixed = try XCTUnwrap(diagnostic("m = {image: zeros [2], note: \"text\"}\nsave m \"\(directory)/m.safetensors\""))
        XCTAssertEqual(mixed.message, "only tensors can go into a safetensors file; 'note' is not one")

        try run("p = plot [1, 2, 3] title=\"line\"")
        let plot = try XCTUnwrap(diagnostic("save p \"\(directory)/p.png\""))
        XCTAssertEqual(plot.message, "a plot is a vector figure; save it as .svg")
        try run("f = show (zeros [1, 4, 4]) title=\"dark\"")
        let raster = try XCTUnwrap(diagnostic("save f \"\(directory)/f.svg\""))
        XCTAssertEqual(raster.message, "an image figure is a raster; save it as .png, .nii, .nii.gz, .h5, .hdf5 or .safetensors")
        let batch = try XCTUnwrap(diagnostic("save (zeros [2, 1, 3, 3]) \"\(directory)/batch.png\""))
        XCTAssertTrue(batch.message.contains("a PNG holds one image"), batch.message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/batch.png"))
    }

    /// A figure saved as PNG is the PNG `show` wrote, byte for byte; saved where another
    /// tensor format is named, it holds the pixels `load` gives for that PNG.
    func testAFigureSavesAsShowWroteItAndWhereverATensorGoes() throws {
        try run("""
            f = show (phantom n=2 size=32 seed=1).image title="two"
            save f "\(directory)/copy.png"
            save f "\(directory)/copy.h5"
            save f "\(directory)/copy.nii"
            shown = load "\(directory)/two.png"
            h = load "\(directory)/copy.h5" dataset="/data"
            n = load "\(directory)/copy.nii"
            """)
        let written = try Data(contentsOf: URL(fileURLWithPath: directory + "/two.png"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/copy.png")), written)
        let shown = try tensor("shown")
        XCTAssertEqual(shown.shape[0], 3)
        XCTAssertEqual(try tensor("h"), shown)
        XCTAssertEqual(try tensor("n"), shown)
    }

    /// A plot saved as SVG is its text; a model saved and loaded through either checkpoint
    /// format is the same model.
    func testPlotsAndModelsGoThroughTheRegistry() throws {
        try run("""
            p = plot [1, 4, 9] title="squares"
            save p "\(directory)/again.svg"
            ae = autoencoder kind=kl latent=2 widths=[4, 8] groups=2 seed=2
            x = (phantom n=1 size=32 seed=1).image
            z = encode ae x
            save ae "\(directory)/ae.safetensors"
            save ae "\(directory)/ae.hdf5"
            from_h5 = encode (load "\(directory)/ae.hdf5") x
            """)
        guard case .figure(let plot) = interpreter.globals["p"], case .vector(let svg) = plot.content else { return XCTFail("no plot") }
        XCTAssertEqual(try String(contentsOfFile: directory + "/again.svg", encoding: .utf8), svg)
        XCTAssertEqual(try tensor("from_h5"), try tensor("z"))
        let checkpoint = try Checkpoint(reading: directory + "/ae.safetensors")
        XCTAssertEqual(checkpoint.configuration["model"], "autoencoder")
        // It loads back as the model, not as its tensors.
        try run("from_safetensors = encode (load \"\(directory)/ae.safetensors\") x")
        XCTAssertEqual(try tensor("from_safetensors"), try tensor("z"))
        // A safetensors file that names no model (PyTorch's, say) is its tensors by name.
        try run("save {a: zeros [2], b: ones [3]} \"\(directory)/plain.safetensors\"\nw = load \"\(directory)/plain.safetensors\"")
        guard case .record(let weights) = interpreter.globals["w"] else { return XCTFail("a plain safetensors file loads as a record") }
        XCTAssertEqual(weights.fields.map(\.name), ["a", "b"])
        // Used where a model belongs, a record of many tensors is named by its first few.
        let many = (0..<40).map { "t\($0): zeros [1]" }.joined(separator: ", ")
        let message = try XCTUnwrap(diagnostic("save {\(many)} \"\(directory)/many.safetensors\"\nr = load \"\(directory)/many.safetensors\"\ny = encode r x"))
        XCTAssertEqual(message.found, "a record of 40 fields (t0, t1, t2, t3, t4, t5, ...)")
    }

    /// Every kind of model, and a trained one, goes through safetensors as through HDF5: the same
    /// configuration and the same weights, so the same outputs.
    func testEveryModelKindRoundTripsThroughSafetensors() throws {
        try run("""
            x = (phantom n=2 size=32 seed=1).image
            m = onehot (phantom n=2 size=32 seed=1).label classes=4
            ae = autoencoder kind=vq latent=2 widths=[4, 8] groups=2 seed=2
            net = unet latent=2 cond={mask: 4} widths=[8, 16] heads=2 groups=4 seed=3
            flow = unet latent=2 cond={mask: 4} widths=[8, 16] heads=2 groups=4 process=flow seed=3
            seg = segmenter widths=[8, 16] groups=4 seed=4
            trained = train (autoencoder kind=kl latent=2 widths=[4, 8] groups=2 seed=2) data=x steps=2 batch=2 seed=1
            """)
        for name in ["ae", "net", "flow", "seg", "trained"] {
            try run("save \(name) \"\(directory)/\(name).safetensors\"\nsaved_\(name) = load \"\(directory)/\(name).safetensors\"\nh5_\(name) = load (save \(name) \"\(directory)/\(name).h5\")")
            guard case .model(let original) = interpreter.globals[name], case .model(let fromSafetensors) = interpreter.globals["saved_" + name],
                  case .model(let fromHDF5) = interpreter.globals["h5_" + name] else { return XCTFail("\(name) did not load as a model") }
            XCTAssertEqual(fromSafetensors.kindName, original.kindName, name)
            XCTAssertEqual(fromSafetensors.wrapped.checkpointConfiguration, fromHDF5.wrapped.checkpointConfiguration, name)
            XCTAssertEqual(fromSafetensors.module.parameters.map(\.value), original.module.parameters.map(\.value), name)
        }
        try run("a = decode saved_trained (encode saved_trained x)\nb = decode trained (encode trained x)\nsa = segment saved_seg x\nsb = segment seg x")
        XCTAssertEqual(try tensor("a"), try tensor("b"))
        XCTAssertEqual(try tensor("sa"), try tensor("sb"))
    }
}
