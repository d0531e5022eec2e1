import Diffusion
import Engine
import Formats
import XCTest
@testable import Language

/// A kind of model that exists only in this file: an intensity calibrator, y = w x + b on every
/// pixel, trained on images and the images they should become (labels=). No other file knows
/// it. Listed among the kinds, as the one registration line in `ModelRegistry.all` would list
/// it, it has its verb `calibrator` (from its recipe), `train` trains it, `save` writes it, and
/// the registry reads it back.
private final class Calibrator: Module, TrainableModel {
    static let checkpointKind = "calibrator"

    let map: Linear

    init(random: inout RandomStream) throws {
        map = try Linear(inputs: 1, outputs: 1, random: &random)
    }

    static let recipe: ModelRecipe? = ModelRecipe(
        verb: "calibrator", summary: "A new intensity calibrator, y = w x + b on every pixel.", example: "cal = calibrator",
        options: [ModelOption("bias", .number, default: .number(0), "the initial b")]
    ) { options, random in
        let calibrator = try Calibrator(random: &random)
        let bias = try options.double("bias")
        guard abs(bias) <= 10 else { throw ModelOptionError("bias", "the initial bias lies in -10...10") }
        calibrator.map.bias!.value = try Tensor(shape: [1], scalars: [Float(bias)])
        return calibrator
    }

    /// The kinds medsynth ships with and this one: what its registration line would make.
    static var kinds: [any DiffusionModel.Type] { ModelRegistry.all + [Calibrator.self] }

    convenience init(checkpoint: Checkpoint) throws {
        guard checkpoint.configuration["model"] == Self.checkpointKind else {
            throw CheckpointError(parameter: nil, "the checkpoint holds no calibrator")
        }
        var unused = RandomStream(seed: 0)
        try self.init(random: &unused)
        try checkpoint.load(into: self)
    }

    var checkpointConfiguration: [String: String] { ["model": Self.checkpointKind] }
    var module: Module { self }
    var kindName: String { "intensity calibrator" }

    var weight: Float { map.weight.value.scalars[0] }
    var bias: Float { map.bias!.value.scalars[0] }

    /// w x + b on every pixel of images [N, 1, H, W].
    func callAsFunction(_ images: Variable) throws -> Variable {
        let pixels = try images.reshaped([images.shape.reduce(1, *), 1])
        return try map(pixels).reshaped(images.shape)
    }

    static var trainingInputs: Set<ModelInputError.Argument> { [.labels] }

    func trainingObjective(on data: TrainingData) throws -> Trainer.LossFunction {
        let images = data.data
        guard images.shape[1] == 1 else {
            throw ModelInputError(.data, "a calibrator maps 1-channel images", found: ModelInputError.shape(images.shape))
        }
        guard let targets = data.labels else {
            throw ModelInputError(.labels, "a calibrator trains on images and the images they should become")
        }
        guard targets.shape == images.shape else {
            throw ModelInputError(.labels, "the targets have the images' shape \(images.shape)", found: ModelInputError.shape(targets.shape))
        }
        return { batch, _ in
            try Loss.meanSquaredError(try self(Variable(images.samples(at: batch.indices))), Variable(targets.samples(at: batch.indices)))
        }
    }
}

final class NewModelKindTests: XCTestCase {
    var directory = ""
    var interpreter: Interpreter!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-kind-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let verbs = VerbRegistry(VerbRegistry.standard.verbs + [ModelVerbs.constructor(Calibrator.recipe!)])
        interpreter = Interpreter(registry: verbs, context: RuntimeContext(outputDirectory: directory, seed: 1) { _ in })
        try interpreter.run(SourceFile(name: "t", text: "cal = calibrator bias=0.5 seed=3\nx = randn [8, 1, 4, 4] seed=1\ny = x * 3 - 1"))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    fileprivate func calibrator(_ name: String) throws -> Calibrator {
        guard case .model(let model) = interpreter.globals[name], let calibrator = model.as(Calibrator.self) else {
            XCTFail("\(name) is \(interpreter.globals[name]?.summary ?? "unbound"), not a calibrator")
            throw CheckpointError(parameter: nil, "no calibrator")
        }
        return calibrator
    }

    func diagnostic(_ text: String) -> String {
        do {
            try interpreter.run(SourceFile(name: "t", text: text))
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// `train` fits y = 3 x - 1 (least squares, no noise: the answer is exact), without changing
    /// the model it was given; `save` writes it and the registry, told of the kind, reads it back.
    func testTrainSaveAndLoadAKindNoOtherFileKnows() throws {
        let before = try calibrator("cal")
        let (weight, bias) = (before.weight, before.bias)
        XCTAssertEqual(bias, 0.5, "the recipe's option")
        try interpreter.run(SourceFile(name: "t", text: """
            fit = train cal data=x labels=y steps=400 batch=8 lr=0.05 log=1000 seed=2
            save fit "\(directory)/cal.h5"
            """))
        let fit = try calibrator("fit")
        XCTAssertEqual(fit.weight, 3, accuracy: 1e-3)
        XCTAssertEqual(fit.bias, -1, accuracy: 1e-3)
        XCTAssertEqual([before.weight, before.bias], [weight, bias], "the model given is not changed")
        XCTAssertFalse(fit.isTraining, "train returns the model in evaluation mode")

        let checkpoint = try Checkpoint(reading: "\(directory)/cal.h5")
        let back = try XCTUnwrap(try ModelRegistry.model(from: checkpoint, among: Calibrator.kinds) as? Calibrator)
        XCTAssertEqual([back.weight, back.bias], [fit.weight, fit.bias])
        // Without its registration line, loading says which kinds medsynth knows.
        let refusal = diagnostic("again = load \"\(directory)/cal.h5\"")
        XCTAssertTrue(refusal.contains("\"calibrator\"") && refusal.contains("\"autoencoder\""), refusal)
    }

    /// The kind's own checks reach the user at the option at fault; inputs it does not use are
    /// refused by `train`, which knows nothing of the kind.
    func testItsInputErrorsPointAtTheOption() {
        let missing = diagnostic("a = train cal data=x steps=1")
        XCTAssertTrue(missing.contains("a calibrator trains on images and the images they should become"), missing)
        XCTAssertTrue(missing.contains("hint: give labels="), missing)

        let shape = diagnostic("a = train cal data=x labels=(y[:, :, 0:2]) steps=1")
        XCTAssertTrue(shape.contains("the targets have the images' shape [8, 1, 4, 4]"), shape)
        XCTAssertTrue(shape.contains("found a tensor of shape [8, 1, 2, 4]"), shape)
        XCTAssertTrue(shape.contains("1:30"), "at labels=: \(shape)")

        let unused = diagnostic("a = train cal data=x labels=y cond=[x] steps=1")
        XCTAssertTrue(unused.contains("the intensity calibrator does not train on cond="), unused)
        XCTAssertTrue(unused.contains("hint: it trains on data= and labels="), unused)

        let option = diagnostic("c = calibrator bias=20")
        XCTAssertTrue(option.contains("the initial bias lies in -10...10") && option.contains("1:21"), "at bias=: \(option)")

        let sampled = diagnostic("z = diffuse cal cond=[x]")
        XCTAssertTrue(sampled.contains("'diffuse' needs a model that makes latents from noise"), sampled)
    }

    /// Without ema=, a kind keeps no average unless it says so; with it, any kind does.
    func testTheAverageIsTheKindsDefaultUnlessAsked() throws {
        try interpreter.run(SourceFile(name: "t", text: """
            plain = train cal data=x labels=y steps=3 batch=8 lr=0.05 log=1000 seed=2
            none = train cal data=x labels=y steps=3 batch=8 lr=0.05 ema=0 log=1000 seed=2
            averaged = train cal data=x labels=y steps=3 batch=8 lr=0.05 ema=0.5 log=1000 seed=2
            """))
        XCTAssertEqual(try calibrator("plain").weight, try calibrator("none").weight)
        XCTAssertNotEqual(try calibrator("plain").weight, try calibrator("averaged").weight)
    }

    func parameters(_ name: String) -> [Tensor] {
        guard case .model(let model) = interpreter.globals[name] else {
            XCTFail("\(name) is not a model")
            return []
        }
        return model.module.parameters.map(\.value)
    }

    /// The shipped kinds keep their defaults: a UNet returns the EMA of its weights (decay
    /// 0.999), an autoencoder its last weights.
    func testTheShippedKindsDefaultAverages() throws {
        try interpreter.run(SourceFile(name: "t", text: """
            p = phantom n=2 size=32 seed=1
            m = onehot p.label classes=4
            net = unet latent=1 cond={mask: 4} widths=[8, 16] groups=4 seed=1
            z = randn [2, 1, 8, 8] seed=2
            u = train net data=z cond=[m] steps=3 batch=2 log=1000 seed=4
            u999 = train net data=z cond=[m] steps=3 batch=2 ema=0.999 log=1000 seed=4
            u0 = train net data=z cond=[m] steps=3 batch=2 ema=0 log=1000 seed=4
            ae = autoencoder widths=[8, 16] groups=4 seed=1
            a = train ae data=p.image steps=3 batch=2 log=1000 seed=4
            a0 = train ae data=p.image steps=3 batch=2 ema=0 log=1000 seed=4
            a9 = train ae data=p.image steps=3 batch=2 ema=0.9 log=1000 seed=4
            """))
        XCTAssertEqual(parameters("u"), parameters("u999"))
        XCTAssertNotEqual(parameters("u"), parameters("u0"))
        XCTAssertEqual(parameters("a"), parameters("a0"))
        XCTAssertNotEqual(parameters("a"), parameters("a9"))
    }
}
