import ArgumentParser
import Diffusion
import Engine
import Formats
import Foundation
import Imaging

/// `medsynth experiment`: Capitão et al.'s conditioning experiment on the phantom, in stages
/// whose results are files in --out, so that the stages can run apart (and the two diffusion
/// models side by side, one core each).
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Train and compare latent diffusion models conditioned on mask, or mask and edges.",
        discussion: """
            Stages: `autoencoder` trains the KL autoencoder and scores its held-out reconstructions; \
            `diffusion --conditions mask,edges` trains a latent diffusion model on that autoencoder's \
            latents; `evaluate` generates images for the held-out subjects with every trained model \
            and prints SSIM and NMSE against the real images; `all` runs them in order for mask and \
            for mask,edges. Everything follows from --seed. Ctrl-C stops training after the current \
            step and keeps a checkpoint.
            """
    )

    enum Stage: String, ExpressibleByArgument, CaseIterable {
        case autoencoder, diffusion, evaluate, all
    }

    @Argument(help: "autoencoder, diffusion, evaluate or all.")
    var stage: Stage = .all

    @Option(help: "The folder for checkpoints and results.")
    var out = "out/conditioning"

    @Option(help: "The conditions of the diffusion stage, comma-separated: mask, edges.")
    var conditions = "mask,edges"

    @Option(help: "The seed of data, weights, batch order and noise.")
    var seed: UInt64 = 1

    @Option(help: "Autoencoder training steps.")
    var autoencoderSteps: Int?

    @Option(help: "Diffusion training steps.")
    var diffusionSteps: Int?

    @Option(help: "Training subjects (two images each, end-diastole and end-systole).")
    var trainingSubjects: Int?

    @Option(help: "Held-out subjects to generate and score.")
    var heldOut: Int?

    @Option(help: "Classifier-free guidance scale at sampling (1: the conditional model alone).")
    var guidance: Float?

    var settings: ConditioningExperiment.Settings {
        var settings = ConditioningExperiment.Settings()
        settings.seed = seed
        if let autoencoderSteps { settings.autoencoderSteps = autoencoderSteps }
        if let diffusionSteps { settings.diffusionSteps = diffusionSteps }
        if let trainingSubjects { settings.trainingSubjects = trainingSubjects }
        if let heldOut { settings.heldOutCount = heldOut }
        if let guidance { settings.guidanceScale = guidance }
        return settings
    }

    func parsedConditions() throws -> [PhantomCondition] {
        try conditions.split(separator: ",").map { name in
            guard let condition = PhantomCondition(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown condition \"\(name)\"; the conditions are \(PhantomCondition.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return condition
        }
    }

    func validate() throws {
        _ = try parsedConditions()
        for (name, value) in [("--autoencoder-steps", autoencoderSteps), ("--diffusion-steps", diffusionSteps),
                              ("--training-subjects", trainingSubjects), ("--held-out", heldOut)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let experiment = ConditioningExperiment(settings: settings)
        let interrupt = Interrupts.installForCommand()
        switch stage {
        case .autoencoder:
            try trainAutoencoder(experiment, interrupt)
        case .diffusion:
            try trainDiffusion(experiment, conditions: parsedConditions(), interrupt)
        case .evaluate:
            try evaluate(experiment)
        case .all:
            try trainAutoencoder(experiment, interrupt)
            for conditions in [[PhantomCondition.mask], [.mask, .edges]] {
                try trainDiffusion(experiment, conditions: conditions, interrupt)
            }
            try evaluate(experiment)
        }
    }

    var autoencoderPath: String { "\(out)/autoencoder.h5" }

    func diffusionPath(_ conditions: [PhantomCondition]) -> String {
        "\(out)/diffusion-\(conditions.map(\.rawValue).joined(separator: "+")).h5"
    }

    func trainAutoencoder(_ experiment: ConditioningExperiment, _ interrupt: CancellationFlag) throws {
        let clock = ContinuousClock(), start = clock.now
        let training = try experiment.trainingData(), heldOut = try experiment.heldOutData()
        print("autoencoder: \(training.count) training images, \(heldOut.count) held out, \(experiment.settings.autoencoderSteps) steps")
        let (autoencoder, result) = try experiment.trainAutoencoder(
            on: training, checkpointPath: "\(out)/autoencoder-training.h5", cancellation: interrupt, progress: showProgress)
        finishProgress()
        guard case .completed = result.outcome else {
            throw ValidationError("autoencoder training stopped at step \(result.completedSteps); its checkpoint is \(out)/autoencoder-training.h5")
        }
        try Autoencoder.write(autoencoder, to: autoencoderPath)
        let scores = try experiment.evaluate(autoencoder: autoencoder, on: heldOut).scores
        print(String(format: "autoencoder: held-out SSIM %.4f, NMSE %.4f, latent scale factor %.4f, %@; saved %@",
                     scores.ssim, scores.nmse, autoencoder.latentScaleFactor, elapsed(since: start, clock), autoencoderPath))
    }

    func trainDiffusion(_ experiment: ConditioningExperiment, conditions: [PhantomCondition], _ interrupt: CancellationFlag) throws {
        let clock = ContinuousClock(), start = clock.now
        let autoencoder = try Autoencoder(reading: autoencoderPath)
        let training = try experiment.trainingData()
        let path = diffusionPath(conditions)
        print("diffusion (\(conditions.map(\.rawValue).joined(separator: " + "))): \(training.count) images, \(experiment.settings.diffusionSteps) steps")
        let (_, result) = try experiment.trainDiffusion(
            conditions: conditions, autoencoder: autoencoder, on: training, checkpointPath: path,
            cancellation: interrupt, progress: showProgress)
        finishProgress()
        guard case .completed = result.outcome else {
            throw ValidationError("diffusion training stopped at step \(result.completedSteps); its checkpoint is \(path)")
        }
        print("diffusion (\(conditions.map(\.rawValue).joined(separator: " + "))): final smoothed loss \(result.history.smoothedLoss ?? .nan), \(elapsed(since: start, clock)); saved \(path)")
    }

    func evaluate(_ experiment: ConditioningExperiment) throws {
        let autoencoder = try Autoencoder(reading: autoencoderPath)
        let heldOut = try experiment.heldOutData()
        var rows: [(String, ConditioningExperiment.Scores)] = [
            ("autoencoder reconstruction", try experiment.evaluate(autoencoder: autoencoder, on: heldOut).scores)
        ]
        var figures: [Tensor] = [heldOut.images]
        for conditions in [[PhantomCondition.mask], [.edges], [.mask, .edges]] {
            let path = diffusionPath(conditions)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let diffusion = try experiment.makeModel(conditions: conditions, autoencoder: autoencoder)
            try Checkpoint(reading: path).loadTrainedWeights(into: diffusion.model, .averaged)
            let (generated, scores) = try experiment.evaluate(diffusion, conditions: conditions, on: heldOut)
            rows.append((conditions.map(\.rawValue).joined(separator: " + "), scores))
            figures.append(generated)
        }
        print("\(heldOut.count) held-out subjects, DDIM \(experiment.settings.samplingSteps) steps, guidance \(experiment.settings.guidanceScale)")
        print("model                          SSIM     NMSE")
        for (name, scores) in rows {
            print(name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: " %.4f   %.4f", scores.ssim, scores.nmse))
        }
        let json = try JSONSerialization.data(withJSONObject: rows.map { ["model": $0.0, "ssim": $0.1.ssim, "nmse": $0.1.nmse] },
                                              options: [.prettyPrinted, .sortedKeys])
        try AtomicWrite.write([UInt8](json), to: "\(out)/results.json")
        // One row per model (the real images first), eight subjects each.
        let titles = ["real"] + rows.dropFirst().map(\.0)
        let grid = try zip(titles, figures).map { title, images in
            try (0 ..< Swift.min(8, images.shape[0])).map { i in
                FigurePanel.image(try images[.at(i), .at(0)], window: -1...1, title: i == 0 ? title : "")
            }
        }
        try PNGImage.write(ImageGrid(rows: grid).render(), to: "\(out)/generated.png")
        print("wrote \(out)/results.json and \(out)/generated.png (rows: real, then each model)")
    }

    func showProgress(_ progress: TrainingProgress) {
        FileHandle.standardError.write(Data(("\r" + progress.renderedLine()).utf8))
    }

    func finishProgress() {
        FileHandle.standardError.write(Data("\n".utf8))
    }

    func elapsed(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> String {
        String(format: "%.0f s", (clock.now - start) / .seconds(1))
    }
}
