import Engine
import Foundation
import XCTest
@testable import Diffusion
@testable import Language

/// `train` as a run that survives: checkpoints, resume, Ctrl-C keeping the partly trained
/// model, validation and the history the model carries.
final class TrainingVerbTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-train-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A session whose Ctrl-C arrives when a progress line reports `stopAt` steps (training
    /// checks the flag before each step, so it stops after exactly that many).
    func makeSession(stopAt: Int? = nil) -> Session {
        let flag = CancellationFlag()
        let context = RuntimeContext(outputDirectory: directory + "/out", seed: 0, cancellation: flag) { line in
            if let stopAt, line.contains(" \(stopAt)/") { flag.cancel() }
        }
        context.baseDirectory = directory
        let session = Session(context: context)
        XCTAssertNil(session.run("d = phantom n=8 size=32 seed=1\nv = phantom n=4 size=32 first=50 seed=1\nae = autoencoder widths=[8, 16] groups=4", name: "setup").diagnostic)
        return session
    }

    static let training = "train ae data=d.image steps=12 batch=4 log=1 seed=3"

    func model(_ name: String, in session: Session) throws -> Model {
        guard case .model(let model) = session.interpreter.globals[name] else {
            XCTFail("\(name) is not a model")
            throw CancellationError()
        }
        return model
    }

    func bits(_ model: Model) -> [[UInt32]] { model.module.parameters.map { $0.value.scalars.map(\.bitPattern) } }

    func testCtrlCKeepsAUsablePartlyTrainedModelAndSaysSo() throws {
        let session = makeSession(stopAt: 5)
        let report = session.run("m = \(Self.training)", name: "train")
        let message = try XCTUnwrap(report.diagnostic?.message)
        XCTAssertTrue(message.contains("training stopped (Ctrl-C) after 5 of 12 steps"), message)
        XCTAssertTrue(message.contains("m holds it as it was when it stopped"), message)
        let partial = try model("m", in: session)
        XCTAssertEqual(partial.training?.history.count, 5)
        XCTAssertEqual(partial.training?.isComplete, false)
        XCTAssertTrue(Value.model(partial).summary.contains("stopped after 5 of 12 steps"))
        // Usable: the next statements run (the flag is cleared) and the model encodes and decodes.
        let next = session.run("x = decode m (encode m d.image)\nh = m.history", name: "use")
        XCTAssertNil(next.diagnostic)
        guard case .tensor(let x) = session.interpreter.globals["x"] else { return XCTFail("x is not bound") }
        XCTAssertEqual(x.shape, [8, 1, 32, 32])
        guard case .record(let history) = session.interpreter.globals["h"], case .tensor(let loss) = history["loss"] else {
            return XCTFail("no history")
        }
        XCTAssertEqual(loss.shape, [5])
    }

    func testCtrlCOutsideABindingKeepsNothingAndSaysWhy() throws {
        let session = makeSession(stopAt: 5)
        let report = session.run("n = count [\(Self.training)]", name: "train")
        let message = try XCTUnwrap(report.diagnostic?.message)
        XCTAssertTrue(message.contains("only 'name = train ...' keeps what it had done"), message)
        XCTAssertNil(session.interpreter.globals["n"])
        // Nor does the partly trained model reach a verb after train: nothing is saved.
        let saved = session.run("save (\(Self.training)) \"partial.safetensors\"", name: "save")
        XCTAssertTrue(saved.diagnostic?.message.contains("training stopped (Ctrl-C)") == true, String(describing: saved.diagnostic))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/partial.safetensors"))
    }

    /// Stopped after 5 steps with a checkpoint, then run again: the same weights and history,
    /// bit for bit, as 12 steps never stopped.
    func testRunningAgainResumesBitIdentically() throws {
        let whole = makeSession()
        XCTAssertNil(whole.run("m = \(Self.training)", name: "whole").diagnostic)
        let uninterrupted = try model("m", in: whole)

        let stopped = makeSession(stopAt: 5)
        let statement = "m = \(Self.training) checkpoint=\"run.h5\" every=2"
        XCTAssertNotNil(stopped.run(statement, name: "first").diagnostic)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/run.h5"))
        var printed: [String] = []
        let again = makeSession()
        again.context.print = { printed.append($0) }
        XCTAssertNil(again.run(statement, name: "again").diagnostic)
        XCTAssertTrue(printed.contains { $0.contains("resuming at step 5 of 12") }, "\(printed)")
        let resumed = try model("m", in: again)
        XCTAssertEqual(bits(resumed), bits(uninterrupted))
        XCTAssertEqual(resumed.training?.history, uninterrupted.training?.history)
    }

    func testACheckpointOfAnotherRunIsRefusedWithTheReason() throws {
        let session = makeSession()
        XCTAssertNil(session.run("m = \(Self.training) checkpoint=\"run.safetensors\"", name: "first").diagnostic)
        let report = session.run("m = train ae data=d.image steps=12 batch=2 log=1 seed=3 checkpoint=\"run.safetensors\"", name: "other")
        let message = try XCTUnwrap(report.diagnostic?.message)
        XCTAssertTrue(message.contains("batchSize is 4 but this run's is 2"), message)
        XCTAssertEqual(report.diagnostic?.hint, "resume=false starts over and replaces it")
        XCTAssertNil(session.run("m = train ae data=d.image steps=12 batch=2 log=1 seed=3 checkpoint=\"run.safetensors\" resume=false", name: "over").diagnostic)
        XCTAssertTrue(session.run("m = \(Self.training) checkpoint=\"run.png\"", name: "png").diagnostic?.message.contains(".h5 or .safetensors") == true)
        // The same configuration on other data (or from other starting weights) is another run.
        XCTAssertNil(session.run("m = \(Self.training) checkpoint=\"data.h5\"", name: "first").diagnostic)
        let otherData = session.run("m = train ae data=v.image[0:4] steps=12 batch=4 log=1 seed=3 checkpoint=\"data.h5\"", name: "other data")
        XCTAssertTrue(otherData.diagnostic?.message.contains("training.data") == true, String(describing: otherData.diagnostic))
    }

    func testValidationLossIsRecordedAndValidationOptionsNeedData() throws {
        let session = makeSession()
        XCTAssertNil(session.run("m = \(Self.training) val_data=v.image val_every=4\nh = m.history", name: "t").diagnostic)
        guard case .record(let history) = session.interpreter.globals["h"], case .tensor(let steps) = history["val_step"],
              case .tensor(let losses) = history["val_loss"] else { return XCTFail("no validation in the history") }
        XCTAssertEqual(steps.scalars, [4, 8, 12])
        XCTAssertTrue(losses.scalars.allSatisfy { $0.isFinite && $0 > 0 })
        let missing = session.run("m = \(Self.training) val_every=4", name: "t")
        XCTAssertTrue(missing.diagnostic?.message.contains("val_every= goes with val_data=") == true, String(describing: missing.diagnostic))
        let wrong = session.run("m = \(Self.training) val_data=(zeros [2, 3, 32, 32])", name: "t")
        XCTAssertTrue(wrong.diagnostic?.message.contains("the held-out data") == true, String(describing: wrong.diagnostic))
        let noHistory = session.run("h = ae.history", name: "t")
        XCTAssertTrue(noHistory.diagnostic?.message.contains("this model has no training history") == true)
    }

    /// A notebook may not replace a file it did not make by starting a checkpoint over.
    func testResumeFalseDoesNotReplaceAFileOutsideTheOutputInAConfinedRun() throws {
        let session = makeSession()
        session.context.fileAccess = .confined(to: [directory], outputFolders: [directory + "/out"])
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/precious.h5", contents: Data("keep".utf8)))
        let report = session.run("m = \(Self.training) checkpoint=\"precious.h5\" resume=false", name: "t")
        XCTAssertTrue(report.diagnostic?.message.contains("would replace") == true, String(describing: report.diagnostic))
        XCTAssertEqual(try String(contentsOfFile: directory + "/precious.h5", encoding: .utf8), "keep")
    }

    func testPlotDrawsAHistoryWithItsValidationCurve() throws {
        let session = makeSession()
        XCTAssertNil(session.run("m = \(Self.training) val_data=v.image val_every=4\nf = plot m.history\ng = plot m title=\"run\" log=false", name: "t").diagnostic)
        guard case .figure(let figure) = session.interpreter.globals["f"], case .vector(let svg) = figure.content,
              case .figure(let titled) = session.interpreter.globals["g"] else { return XCTFail("no figure") }
        XCTAssertEqual(figure.title, "training loss")
        XCTAssertEqual(titled.title, "run")
        for name in ["batch loss", "smoothed", "validation", ">step<", ">loss<"] { XCTAssertTrue(svg.contains(name), name) }
        let untrained = session.run("f = plot ae", name: "t")
        XCTAssertTrue(untrained.diagnostic?.message.contains("no training history to plot") == true, String(describing: untrained.diagnostic))
    }
}
