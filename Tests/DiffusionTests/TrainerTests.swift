import Foundation
import XCTest
@testable import Diffusion
@testable import Engine
import Formats

/// The training loop on a toy regression (two Linear layers, 10 samples, noisy inputs drawn from
/// the loss's stream): determinism, bit-identical resume, the NaN stop, cancellation, clipping,
/// warm-up and the checkpoint's contents.
final class TrainerTests: XCTestCase {
    /// y = tanh(x W1ᵀ + b1) W2ᵀ + b2 with 3 inputs, 8 hidden units, 2 outputs.
    final class ToyModel: Module {
        let hidden: Linear
        let output: Linear

        init(seed: UInt64, hiddenUnits: Int = 8) throws {
            var random = RandomStream(seed: seed)
            hidden = try Linear(inputs: 3, outputs: hiddenUnits, random: &random)
            output = try Linear(inputs: hiddenUnits, outputs: 2, random: &random)
        }

        func callAsFunction(_ x: Variable) throws -> Variable { try output(hidden(x).tanh()) }
    }

    /// An optimizer that records what the trainer hands it, then lets SGD step.
    final class RecordingOptimizer: StatefulOptimizer {
        let inner: SGD
        var ratesSeen: [Float] = []
        var normsSeen: [Float] = []
        init(_ inner: SGD) { self.inner = inner }
        var parameters: [Variable] { inner.parameters }
        var learningRate: Float {
            get { inner.learningRate }
            set { inner.learningRate = newValue }
        }
        func step() throws {
            ratesSeen.append(learningRate)
            normsSeen.append(gradientNorm(parameters))
            try inner.step()
        }
        func exportState() -> OptimizerState { inner.exportState() }
        func importState(_ state: OptimizerState) throws { try inner.importState(state) }
    }

    static let inputs = try! Tensor.randn([10, 3], seed: 11)
    static let targets = try! Tensor.randn([10, 2], seed: 12)

    /// Mean squared error of the batch, with inputs jittered by noise from the loss's stream (as a
    /// diffusion loss draws its noise), so that resuming must also restore the stream.
    static func loss(_ model: ToyModel, nanAtStep: Int? = nil) -> Trainer.LossFunction {
        { batch, random in
            if batch.step == nanAtStep { return Variable(Tensor(Float.nan)) }
            let x = try Self.inputs.samples(at: batch.indices) + Tensor.randn([batch.indices.count, 3], std: 0.1, using: &random)
            return try Loss.meanSquaredError(model(Variable(x)), Variable(Self.targets.samples(at: batch.indices)))
        }
    }

    func configuration(steps: Int = 12, seed: UInt64 = 7, peak: Float = 0.05, clip: Float? = 1, ema: Float? = 0.9,
                       checkpoint: String? = nil, interval: Int = 1000) throws -> TrainingConfiguration {
        try TrainingConfiguration(
            steps: steps, batchSize: 4, random: RandomKey(seed: seed),
            schedule: WarmupCosineDecay(peak: peak, minimum: 0.001, warmupSteps: 4, totalSteps: 12),
            maxGradientNorm: clip, emaDecay: ema, checkpointPath: checkpoint, checkpointInterval: interval, logInterval: 1)
    }

    func makeTrainer(_ configuration: TrainingConfiguration, modelSeed: UInt64 = 3, nanAtStep: Int? = nil) throws -> (ToyModel, Trainer) {
        let model = try ToyModel(seed: modelSeed)
        let optimizer = try Adam(parameters: model.parameters, learningRate: 0)
        let trainer = try Trainer(model: model, optimizer: optimizer, datasetCount: 10, configuration: configuration,
                                  loss: Self.loss(model, nanAtStep: nanAtStep))
        return (model, trainer)
    }

    func bits(_ module: Module) -> [[UInt32]] { module.parameters.map { $0.value.scalars.map(\.bitPattern) } }

    func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("TrainerTests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    // MARK: - An adversary

    /// The toy model with a critic trained against it: the model's loss adds 0.1 × the critic's
    /// mean score of its outputs; the critic learns to score the model's outputs 1 and the
    /// targets -1 (a least-squares GAN in miniature).
    func makeAdversarialTrainer(_ configuration: TrainingConfiguration, modelSeed: UInt64 = 3)
        throws -> (ToyModel, Linear, Trainer) {
        let model = try ToyModel(seed: modelSeed)
        var random = RandomStream(seed: modelSeed + 100)
        let critic = try Linear(inputs: 2, outputs: 1, random: &random)
        let adversary = try TrainingAdversary(model: critic, optimizer: Adam(parameters: critic.parameters, learningRate: 0.05)) { batch, random in
            let x = try Self.inputs.samples(at: batch.indices) + Tensor.randn([batch.indices.count, 3], std: 0.1, using: &random)
            let fake = try GradientMode.withoutGradients { try model(Variable(x)).value }
            let onFake = try critic(Variable(fake)) - 1, onReal = try critic(Variable(Self.targets.samples(at: batch.indices))) + 1
            return try (onFake * onFake).mean() + (onReal * onReal).mean()
        }
        let optimizer = try Adam(parameters: model.parameters, learningRate: 0)
        let plain = Self.loss(model)
        let trainer = try Trainer(model: model, optimizer: optimizer, datasetCount: 10, configuration: configuration,
                                  adversary: adversary) { batch, random in
            var replay = random
            let loss = try plain(batch, &random)
            let x = try Self.inputs.samples(at: batch.indices) + Tensor.randn([batch.indices.count, 3], std: 0.1, using: &replay)
            return try loss + critic(model(Variable(x))).mean() * 0.1
        }
        return (model, critic, trainer)
    }

    func testAnAdversaryTrainsAfterEachStepAndResumesBitIdentically() throws {
        let (wholeModel, wholeCritic, uninterrupted) = try makeAdversarialTrainer(configuration())
        let criticBefore = bits(wholeCritic)
        _ = try uninterrupted.train()
        XCTAssertNotEqual(bits(wholeCritic), criticBefore, "the critic took its own steps")
        let (plainModel, plainTrainer) = try makeTrainer(configuration())
        _ = try plainTrainer.train()
        XCTAssertNotEqual(bits(wholeModel), bits(plainModel), "the critic's term changes the model's training")

        let path = temporaryPath("adversarial.h5")
        let (_, _, first) = try makeAdversarialTrainer(configuration(checkpoint: path))
        let flag = CancellationFlag()
        _ = try first.train(cancellation: flag) { if $0.step == 5 { flag.cancel() } }
        let checkpoint = try Checkpoint(reading: path)
        XCTAssertTrue(checkpoint.parameters.contains { $0.path == "adversary.model.weight" })
        XCTAssertTrue(checkpoint.parameters.contains { $0.path.hasPrefix("adversary.optimizer.") })

        let (resumedModel, resumedCritic, second) = try makeAdversarialTrainer(configuration(checkpoint: path), modelSeed: 99)
        try second.resume(from: path)
        _ = try second.train()
        XCTAssertEqual(bits(resumedModel), bits(wholeModel))
        XCTAssertEqual(bits(resumedCritic), bits(wholeCritic))

        // A checkpoint with an adversary does not resume a run without one, and the other way round.
        let (_, plain) = try makeTrainer(configuration(checkpoint: temporaryPath("plain.h5")))
        XCTAssertThrowsError(try plain.resume(from: path)) { error in
            XCTAssertTrue("\(error)".contains("it has an adversary but this run has none"), "\(error)")
        }
    }

    // MARK: - Data order

    func testEachEpochIsAPermutationAndTheLastPartialBatchIsDropped() throws {
        var order = try BatchOrder(count: 10, batchSize: 4, random: RandomKey(seed: 7))
        XCTAssertEqual(order.batchesPerEpoch, 2)
        let epoch0 = order.permutation(epoch: 0), epoch1 = order.permutation(epoch: 1)
        XCTAssertEqual(epoch0.sorted(), Array(0..<10))
        XCTAssertNotEqual(epoch0, epoch1, "each epoch reshuffles")
        XCTAssertNotEqual(epoch0, Array(0..<10))
        XCTAssertEqual(order.indices(afterSteps: 0), Array(epoch0[0..<4]))
        XCTAssertEqual(order.indices(afterSteps: 1), Array(epoch0[4..<8]))
        XCTAssertEqual(order.indices(afterSteps: 2), Array(epoch1[0..<4]), "samples 8 and 9 of epoch 0's order are skipped")
        XCTAssertEqual(try BatchOrder(count: 10, batchSize: 4, random: RandomKey(seed: 7)).permutation(epoch: 5), order.permutation(epoch: 5))
        XCTAssertNotEqual(try BatchOrder(count: 10, batchSize: 4, random: RandomKey(seed: 8)).permutation(epoch: 0), epoch0)
        XCTAssertThrowsError(try BatchOrder(count: 3, batchSize: 4, random: RandomKey(seed: 7)))
    }

    func testEveryIndexIsEquallyLikelyInEveryPosition() throws {
        // Over 4000 shuffles of 5 items each (index, position) pair occurs 800 times on average,
        // with a binomial standard deviation of about 25.
        let order = try BatchOrder(count: 5, batchSize: 1, random: RandomKey(seed: 1))
        var counts = Array(repeating: Array(repeating: 0, count: 5), count: 5)
        for epoch in 0..<4000 {
            for (position, index) in order.permutation(epoch: epoch).enumerated() { counts[index][position] += 1 }
        }
        for row in counts { for count in row { XCTAssertEqual(Double(count), 800, accuracy: 110) } }
    }

    func testSamplesAtIndicesGathersAlongTheFirstAxis() throws {
        let data = try Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        XCTAssertEqual(try data.samples(at: [2, 0, 2]).scalars, [20, 21, 0, 1, 20, 21])
        XCTAssertEqual(try data.samples(at: [1]).shape, [1, 2])
        XCTAssertThrowsError(try data.samples(at: [3]))
    }

    // MARK: - Determinism and resume

    func testTheSameSeedGivesIdenticalWeightsAndAnotherSeedDoesNot() throws {
        let (a, trainerA) = try makeTrainer(configuration())
        let (b, trainerB) = try makeTrainer(configuration())
        let (c, trainerC) = try makeTrainer(configuration(seed: 8))
        let resultA = try trainerA.train(), resultB = try trainerB.train()
        _ = try trainerC.train()
        XCTAssertEqual(resultA.outcome, .completed)
        XCTAssertEqual(resultA.completedSteps, 12)
        XCTAssertEqual(bits(a), bits(b))
        XCTAssertEqual(resultA.history, resultB.history)
        XCTAssertNotEqual(bits(a), bits(c))
        XCTAssertEqual(resultA.history.count, 12)
        XCTAssertLessThan(resultA.history.loss.suffix(4).reduce(0, +), resultA.history.loss.prefix(4).reduce(0, +),
                          "the toy regression learns")
    }

    func testResumingFromACancelledRunGivesBitIdenticalWeights() throws {
        let (whole, uninterrupted) = try makeTrainer(configuration())
        let wholeResult = try uninterrupted.train()

        let path = temporaryPath("cancelled.h5")
        let (_, first) = try makeTrainer(configuration(checkpoint: path))
        let flag = CancellationFlag()
        let partial = try first.train(cancellation: flag) { progress in
            if progress.step == 5 { flag.cancel() }
        }
        XCTAssertEqual(partial.outcome, .cancelled(atStep: 5))
        XCTAssertEqual(partial.history.count, 5)

        // A fresh process: another initialisation, overwritten by the checkpoint.
        let (resumed, second) = try makeTrainer(configuration(checkpoint: path), modelSeed: 99)
        try second.resume(from: path)
        XCTAssertEqual(second.completedSteps, 5)
        let rest = try second.train()
        XCTAssertEqual(rest.outcome, .completed)
        XCTAssertEqual(bits(resumed), bits(whole))
        XCTAssertEqual(rest.history, wholeResult.history, "the history continues across the resume")
        XCTAssertEqual(second.average!.averages.map(\.tensor), uninterrupted.average!.averages.map(\.tensor))
    }

    func testResumingWithMoreStepsContinuesTheSameRun() throws {
        // 4 steps in a first run (safetensors this time), then a second run to 12: as 12 in one go.
        let (whole, uninterrupted) = try makeTrainer(configuration())
        _ = try uninterrupted.train()
        let path = temporaryPath("short.safetensors")
        let (_, short) = try makeTrainer(configuration(steps: 4, checkpoint: path))
        XCTAssertEqual(try short.train().outcome, .completed)
        let (resumed, long) = try makeTrainer(configuration(), modelSeed: 42)
        try long.resume(from: path)
        _ = try long.train()
        XCTAssertEqual(bits(resumed), bits(whole))
    }

    func testResumingAnotherModelOrConfigurationIsRefusedClearly() throws {
        let path = temporaryPath("reference.h5")
        let (_, trainer) = try makeTrainer(configuration(steps: 3, checkpoint: path))
        _ = try trainer.train()

        let wider = try ToyModel(seed: 1, hiddenUnits: 6)
        let widerTrainer = try Trainer(model: wider, optimizer: Adam(parameters: wider.parameters), datasetCount: 10,
                                       configuration: configuration(checkpoint: path), loss: Self.loss(wider))
        let before = bits(wider)
        XCTAssertThrowsError(try widerTrainer.resume(from: path)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("cannot resume from \(path)") && message.contains("hidden.weight")
                          && message.contains("[6, 3]") && message.contains("[8, 3]"), message)
        }
        XCTAssertEqual(bits(wider), before, "a refused checkpoint changes nothing")
        XCTAssertEqual(widerTrainer.completedSteps, 0)

        let (_, otherSeed) = try makeTrainer(configuration(seed: 5))
        XCTAssertThrowsError(try otherSeed.resume(from: path)) { error in
            XCTAssertTrue("\(error)".contains("training.random is seed 7 but this run's is seed 5"), "\(error)")
        }
        // A checkpoint from before RandomKey names a seed, not a key: its run cannot be continued.
        var earlier = try Checkpoint(reading: path)
        earlier.configuration["training.seed"] = earlier.configuration.removeValue(forKey: "training.random").map { _ in "7" }
        let earlierPath = temporaryPath("earlier.h5")
        try Checkpoint.write(earlier, to: earlierPath)
        let (_, current) = try makeTrainer(configuration())
        XCTAssertThrowsError(try current.resume(from: earlierPath)) { error in
            XCTAssertTrue("\(error)".contains("written by an earlier medsynth"), "\(error)")
        }
        let (_, noClipping) = try makeTrainer(configuration(clip: nil))
        XCTAssertThrowsError(try noClipping.resume(from: path)) { error in
            XCTAssertTrue("\(error)".contains("training.maxGradientNorm is 1.0 but this run's is none"), "\(error)")
        }
        let model = try ToyModel(seed: 3)
        let sgdTrainer = try Trainer(model: model, optimizer: SGD(parameters: model.parameters, learningRate: 0.1, momentum: 0.9),
                                     datasetCount: 10, configuration: configuration(), loss: Self.loss(model))
        XCTAssertThrowsError(try sgdTrainer.resume(from: path)) { error in
            XCTAssertTrue("\(error)".contains("Adam"), "\(error)")
        }
    }

    func testTheCheckpointHoldsModelEMAOptimizerAndHistory() throws {
        let path = temporaryPath("contents.h5")
        let (model, trainer) = try makeTrainer(configuration(steps: 6, checkpoint: path, interval: 2))
        _ = try trainer.train()
        let checkpoint = try Checkpoint(reading: path)
        let paths = Set(checkpoint.parameters.map(\.path))
        for parameter in ["hidden.weight", "hidden.bias", "output.weight", "output.bias"] {
            XCTAssertTrue(paths.contains("model." + parameter))
            XCTAssertTrue(paths.contains("ema." + parameter))
        }
        XCTAssertTrue(paths.isSuperset(of: ["optimizer.first.0", "optimizer.second.3", "history.loss"]))
        XCTAssertEqual(checkpoint.metadata["training.step"], .integer(6))
        XCTAssertEqual(checkpoint.metadata["optimizer.counter.steps.0"], .integer(6))
        XCTAssertEqual(checkpoint.metadata["ema.updates"], .integer(6))
        XCTAssertEqual(checkpoint.configuration["training.batchSize"], "4")
        XCTAssertEqual(checkpoint.tensor(at: "history.loss")?.scalars, trainer.history.loss)

        // The EMA weights load into a model of the same architecture and differ from the training weights.
        let averaged = try ToyModel(seed: 0), trained = try ToyModel(seed: 0)
        try checkpoint.loadTrainedWeights(into: averaged, .averaged)
        try checkpoint.loadTrainedWeights(into: trained, .training)
        XCTAssertEqual(bits(trained), bits(model))
        XCTAssertEqual(averaged.parameters.map(\.value), trainer.average!.averages.map(\.tensor))
        XCTAssertNotEqual(bits(averaged), bits(model))
    }

    // MARK: - Validation and wall-time checkpoints

    /// Held-out samples: the last four of another draw.
    static let heldInputs = try! Tensor.randn([4, 3], seed: 21)
    static let heldTargets = try! Tensor.randn([4, 2], seed: 22)

    func validation(_ model: ToyModel, interval: Int = 4) throws -> Trainer.Validation {
        try Trainer.Validation(loss: { batch, random in
            let x = try Self.heldInputs.samples(at: batch.indices) + Tensor.randn([batch.indices.count, 3], std: 0.1, using: &random)
            return try Loss.meanSquaredError(model(Variable(x)), Variable(Self.heldTargets.samples(at: batch.indices)))
        }, count: 4, batchSize: 3, interval: interval)
    }

    func makeValidatedTrainer(_ configuration: TrainingConfiguration, modelSeed: UInt64 = 3) throws -> (ToyModel, Trainer) {
        let model = try ToyModel(seed: modelSeed)
        let trainer = try Trainer(model: model, optimizer: try Adam(parameters: model.parameters, learningRate: 0), datasetCount: 10,
                                  configuration: configuration, validation: try validation(model), loss: Self.loss(model))
        return (model, trainer)
    }

    /// The validation loss after steps 4, 8 and 12, each the mean over the held-out set (in
    /// batches of 3 and 1) with the noise of the key's child "validation", computed here by hand;
    /// and measuring it changes nothing the run computes.
    func testValidationIsMeasuredEveryIntervalWithoutChangingTheRun() throws {
        let (plain, plainTrainer) = try makeTrainer(configuration())
        let plainResult = try plainTrainer.train()
        let (model, trainer) = try makeValidatedTrainer(configuration())
        let result = try trainer.train()
        XCTAssertEqual(bits(model), bits(plain), "validation leaves the weights as they were")
        XCTAssertEqual(result.history.loss, plainResult.history.loss)
        XCTAssertEqual(result.history.validationStep, [4, 8, 12])

        var random = try configuration().random.child("validation").stream
        let noise = try Tensor.concat([Tensor.randn([3, 3], std: 0.1, using: &random), Tensor.randn([1, 3], std: 0.1, using: &random)])
        let output = try model(Variable(Self.heldInputs + noise)).value
        let difference = try (output - Self.heldTargets).scalars
        let expected = difference.map { Double($0) * Double($0) }.reduce(0, +) / Double(difference.count)
        XCTAssertEqual(Double(result.history.validationLoss[2]), expected, accuracy: 1e-6 * expected)
        XCTAssertNotEqual(result.history.validationLoss[0], result.history.validationLoss[2])
    }

    /// A run stopped and resumed keeps its validation points, and ends with the same ones as a
    /// run never stopped.
    func testValidationHistoryTravelsInTheCheckpoint() throws {
        let (_, whole) = try makeValidatedTrainer(configuration())
        let wholeResult = try whole.train()
        let path = temporaryPath("validated.safetensors")
        let (_, first) = try makeValidatedTrainer(configuration(checkpoint: path))
        let flag = CancellationFlag()
        _ = try first.train(cancellation: flag) { if $0.step == 9 { flag.cancel() } }
        let (_, second) = try makeValidatedTrainer(configuration(checkpoint: path), modelSeed: 50)
        try second.resume(from: path)
        XCTAssertEqual(second.history.validationStep, [4, 8])
        let rest = try second.train()
        XCTAssertEqual(rest.history, wholeResult.history)
    }

    /// With a wall-time interval of 0 seconds, every step writes a checkpoint (without one, only
    /// the end would).
    func testACheckpointIsWrittenWhenItsWallTimeHasPassed() throws {
        let path = temporaryPath("timed.h5")
        var timed = try configuration(checkpoint: path)
        timed.checkpointSeconds = 0
        let (_, trainer) = try makeTrainer(timed)
        var written: [Int] = []
        trainer.afterCheckpoint = { staged, path in
            XCTAssertEqual(staged, (path as NSString).deletingPathExtension + ".staged.h5")
            XCTAssertTrue(FileManager.default.fileExists(atPath: staged), "handed over before it takes its place")
            written.append(trainer.completedSteps)
        }
        _ = try trainer.train()
        XCTAssertEqual(written, Array(1...12))
        XCTAssertFalse(FileManager.default.fileExists(atPath: Trainer.stagedPath(for: path)), "renamed into place")
        XCTAssertEqual(try Checkpoint(reading: path).metadata["training.step"], .integer(12))
        let (_, untimed) = try makeTrainer(configuration(checkpoint: temporaryPath("untimed.h5")))
        var writtenUntimed: [Int] = []
        untimed.afterCheckpoint = { _, _ in writtenUntimed.append(untimed.completedSteps) }
        _ = try untimed.train()
        XCTAssertEqual(writtenUntimed, [12])
    }

    // MARK: - Failure, cancellation, clipping, warm-up

    func testANaNLossStopsAtItsStepWithTheWeightsOfTheStepBefore() throws {
        let path = temporaryPath("nan.h5")
        let (reference, referenceTrainer) = try makeTrainer(configuration(steps: 4))
        _ = try referenceTrainer.train()
        let (model, trainer) = try makeTrainer(configuration(checkpoint: path, interval: 2), nanAtStep: 5)
        XCTAssertThrowsError(try trainer.train()) { error in
            guard case let .nonFinite(step, quantity, _, lastFiniteLoss)? = error as? TrainingError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(step, 5)
            XCTAssertEqual(quantity, "loss")
            XCTAssertEqual(lastFiniteLoss, trainer.history.loss.last)
            let message = "\(error)"
            XCTAssertTrue(message.contains("step 5") && message.contains("loss is nan") && message.contains("lower learning rate")
                          && message.contains("maxGradientNorm"), message)
        }
        XCTAssertEqual(trainer.completedSteps, 4)
        XCTAssertEqual(bits(model), bits(reference), "the weights are those after step 4")
        XCTAssertEqual(try Checkpoint(reading: path).metadata["training.step"], .integer(4),
                       "the checkpoint of step 4 is left as it was")
    }

    func testAHugeLearningRateStopsWithAnInfiniteQuantityNamed() throws {
        let (_, trainer) = try makeTrainer(configuration(peak: 1e30, clip: nil, ema: nil))
        XCTAssertThrowsError(try trainer.train()) { error in
            guard case let .nonFinite(step, _, value, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertFalse(value.isFinite)
            XCTAssertGreaterThan(step, 1)
            XCTAssertEqual(trainer.completedSteps, step - 1)
        }
    }

    func testCancellationBeforeTheFirstStepReturnsAtStepZero() throws {
        let (model, trainer) = try makeTrainer(configuration())
        let before = bits(model)
        let flag = CancellationFlag()
        flag.cancel()
        XCTAssertTrue(flag.isCancelled)
        let result = try trainer.train(cancellation: flag)
        XCTAssertEqual(result.outcome, .cancelled(atStep: 0))
        XCTAssertEqual(bits(model), before)
    }

    func testClippingBoundsTheNormTheOptimizerSeesAndWarmupSetsItsRates() throws {
        let model = try ToyModel(seed: 3)
        let optimizer = RecordingOptimizer(try SGD(parameters: model.parameters, learningRate: 0))
        let schedule = try WarmupCosineDecay(peak: 0.4, warmupSteps: 4, totalSteps: 8)
        let configuration = try TrainingConfiguration(steps: 8, batchSize: 4, random: RandomKey(seed: 1), schedule: schedule, maxGradientNorm: 0.05)
        let trainer = try Trainer(model: model, optimizer: optimizer, datasetCount: 10, configuration: configuration, loss: Self.loss(model))
        let result = try trainer.train()
        XCTAssertEqual(optimizer.ratesSeen, [0.1, 0.2, 0.3, 0.4] + (4..<8).map { schedule.learningRate(atStep: $0) })
        XCTAssertEqual(result.history.learningRate, optimizer.ratesSeen)
        XCTAssertTrue(result.history.gradientNorm.allSatisfy { $0 > 0.05 }, "the toy's raw norms exceed the bound: \(result.history.gradientNorm)")
        for norm in optimizer.normsSeen { XCTAssertLessThanOrEqual(norm, 0.05) }
        XCTAssertEqual(optimizer.normsSeen[0], 0.05, accuracy: 1e-5)
    }

    func testProgressReportsEveryStepWithARenderableLine() throws {
        let (_, trainer) = try makeTrainer(configuration(steps: 3))
        var reports: [TrainingProgress] = []
        _ = try trainer.train { reports.append($0) }
        XCTAssertEqual(reports.map(\.step), [1, 2, 3])
        XCTAssertEqual(reports.map(\.loss), trainer.history.loss)
        XCTAssertEqual(reports[0].smoothedLoss, reports[0].loss, accuracy: 1e-6, "the bias-corrected average starts at the first loss")
        XCTAssertEqual(reports[2].secondsRemaining, 0)
        XCTAssertGreaterThan(reports[2].stepsPerSecond, 0)

        let line = TrainingProgress(step: 450, totalSteps: 1000, loss: 0.02134, smoothedLoss: 0.024, stepsPerSecond: 12.34,
                                    secondsRemaining: 44.6, learningRate: 1e-4, gradientNorm: 0.8213).renderedLine()
        XCTAssertEqual(line, "[#########...........]  450/1000  45%  loss 0.02134 (0.024)  12.3 step/s  ETA 0:45  lr 1.00e-04  |g| 0.8213")
        XCTAssertEqual(ProgressLine.duration(3725), "1:02:05")
    }

    func testStepProgressLineHasTheRateAndTheTimeLeft() {
        let start = ContinuousClock.now
        let meter = StepProgress("sampling", startingAt: start)
        // 20 of 50 steps in 4 s: 5 steps a second, 30 steps (6 s) to go.
        XCTAssertEqual(meter.line(completed: 20, of: 50, at: start + .seconds(4)),
                       "sampling [########............] 20/50  40%  5.0 step/s  ETA 0:06")
        XCTAssertEqual(StepProgress("encoding", unit: "batch", startingAt: start).line(completed: 0, of: 3, at: start),
                       "encoding [....................] 0/3   0%  0.0 batch/s  ETA --")
    }

    func testSmoothedLossIsTheBiasCorrectedAverage() {
        var history = TrainingHistory()
        history.record(loss: 1, learningRate: 0, gradientNorm: 0)
        history.record(loss: 3, learningRate: 0, gradientNorm: 0)
        // β = 0.98: s = 0.98 · 0.02 · 1 + 0.02 · 3 = 0.0796; 1 - 0.98² = 0.0396; 0.0796 / 0.0396 = 2.0101.
        XCTAssertEqual(history.smoothedLoss!, 0.0796 / 0.0396, accuracy: 1e-5)
        XCTAssertNil(TrainingHistory().smoothedLoss)
    }
}
