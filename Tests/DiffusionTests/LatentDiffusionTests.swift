import XCTest
@testable import Diffusion
@testable import Engine
import Imaging

final class LatentDiffusionTests: XCTestCase {
    /// A small experiment: 32x32 phantoms (8x8 latents), a few steps of each stage.
    func tinySettings() -> ConditioningExperiment.Settings {
        var settings = ConditioningExperiment.Settings()
        settings.imageSize = 32
        settings.trainingSubjects = 8
        settings.heldOutCount = 3
        settings.autoencoderSteps = 6
        settings.autoencoderBatch = 4
        settings.diffusionSteps = 4
        settings.diffusionBatch = 4
        settings.samplingSteps = 5
        return settings
    }

    func tinyDiffusion(conditions: [PhantomCondition] = [.mask, .edges]) throws -> (LatentDiffusion, PhantomConditioningDataset) {
        let experiment = ConditioningExperiment(settings: tinySettings())
        var random = RandomStream(seed: 5)
        let autoencoder = try Autoencoder(Autoencoder.Configuration(regularizer: .kl(weight: 1e-6)), random: &random)
        autoencoder.setTraining(false)
        let data = try experiment.trainingData()
        try autoencoder.estimateScaleFactor(images: data.images)
        return (try experiment.makeModel(conditions: conditions, autoencoder: autoencoder), data)
    }

    func testTheTrainingLossIsTheSimpleLossOfHoEtAl() throws {
        let (diffusion, data) = try tinyDiffusion()
        let latents = try diffusion.latents(of: data.images.samples(at: [0, 1, 2]))
        let conditions = try data.conditions([.mask, .edges]).tensor.samples(at: [0, 1, 2])
        diffusion.model.setTraining(false)  // no condition drops: the loss is then a plain function of the stream
        var random = RandomStream(seed: 9, stream: 3)
        let loss = try diffusion.trainingLoss(latents: latents, conditions: conditions, random: &random)

        // The same draws by hand: t = floor(u T), ε ~ N(0, I), z_t = sqrt(ᾱ) z_0 + sqrt(1 - ᾱ) ε.
        var replay = RandomStream(seed: 9, stream: 3)
        let t = try Tensor.rand([3], using: &replay).scalars.map { Int($0 * 1000) }
        let noise = try Tensor.randn(latents.shape, using: &replay)
        let perSample = latents.count / 3
        var noisy = latents.scalars
        for i in 0..<noisy.count {
            let alphaBar = diffusion.schedule.alphaBars[t[i / perSample]]
            noisy[i] = Float(alphaBar.squareRoot() * Double(latents.scalars[i]) + (1 - alphaBar).squareRoot() * Double(noise.scalars[i]))
        }
        let output = try diffusion.model(latent: Variable(Tensor(shape: latents.shape, scalars: noisy)), condition: conditions, timesteps: t)
        let expected = zip(output.value.scalars, noise.scalars).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(noise.count)
        XCTAssertEqual(Double(loss.value.scalars[0]), expected, accuracy: 1e-4 * expected)
        XCTAssertEqual(random.position, replay.position, "the loss draws exactly t and ε")
    }

    func testTheUNetOfTheExperimentIsTheBenchmarkUNet() throws {
        let (diffusion, _) = try tinyDiffusion()
        XCTAssertEqual(diffusion.model.unet.parameterCount, 1_404_804)
        XCTAssertEqual(diffusion.model.layout.groups.map(\.name), ["mask", "edges"])
        XCTAssertEqual(diffusion.model.layout.channels, 5)
        let (maskOnly, _) = try tinyDiffusion(conditions: [.mask])
        XCTAssertEqual(maskOnly.model.unet.parameterCount, 1_404_804, "the same UNet whatever the conditions")
        XCTAssertEqual(maskOnly.model.encoder?.inputChannels, 4)
    }

    func testGenerationIsDeterministicFromItsStreamAndHasTheImagesShape() throws {
        let (diffusion, data) = try tinyDiffusion()
        let conditions = try data.conditions([.mask, .edges]).tensor.samples(at: [0, 1])
        let a = try diffusion.generate(conditions: conditions, steps: 4, random: RandomKey(seed: 4), keepingSteps: [0, 3])
        let b = try diffusion.generate(conditions: conditions, steps: 4, random: RandomKey(seed: 4))
        let c = try diffusion.generate(conditions: conditions, steps: 4, random: RandomKey(seed: 5))
        XCTAssertEqual(a.images.shape, [2, 1, 32, 32])
        XCTAssertEqual(a.images.scalars, b.images.scalars)
        XCTAssertNotEqual(a.images.scalars, c.images.scalars)
        XCTAssertEqual(a.trajectory.map(\.stepIndex), [0, 3])
        XCTAssertEqual(a.trajectory[0].sample.shape, [2, 4, 8, 8])
    }

    func testScoresAgainstHandComputedValues() throws {
        let (_, data) = try tinyDiffusion()
        let real = try data.images.samples(at: [0, 1])
        let same = try ConditioningExperiment.scores(real, against: real)
        XCTAssertEqual(same.ssim, 1, accuracy: 1e-9)
        XCTAssertEqual(same.nmse, 0, accuracy: 1e-12)
        // Half the intensity in [0, 1]: (g + 1) / 2 = (r + 1) / 4, so NMSE = 0.25 exactly.
        let half = (real + 1) * 0.5 - 1
        XCTAssertEqual(try ConditioningExperiment.scores(half, against: real).nmse, 0.25, accuracy: 1e-6)
        // Values outside [-1, 1] are clamped before scoring.
        XCTAssertEqual(try ConditioningExperiment.scores(real * 3, against: real).nmse,
                       try ConditioningExperiment.scores(real.clamp(min: -1, max: 1) * 3, against: real).nmse)
        XCTAssertEqual(try ConditioningExperiment.scores(try real.clamp(min: 5, max: 5), against: real).nmse,
                       try ConditioningExperiment.scores(try Tensor.full(real.shape, value: 1), against: real).nmse)
    }

    func testAPatchDiscriminatorJoinsTheAutoencodersTrainingFromItsStartStep() throws {
        func train(adversarialWeight: Float?) throws -> [Float] {
            var settings = tinySettings()
            settings.adversarialWeight = adversarialWeight
            settings.adversarialStartStep = 3
            let experiment = ConditioningExperiment(settings: settings)
            return try experiment.trainAutoencoder(on: experiment.trainingData()).result.history.loss
        }
        let plain = try train(adversarialWeight: nil), adversarial = try train(adversarialWeight: 0.5)
        XCTAssertEqual(Array(plain.prefix(2)), Array(adversarial.prefix(2)), "no discriminator before its start step")
        XCTAssertNotEqual(plain[2], adversarial[2], "the generator term counts from the start step")
        XCTAssertEqual(try train(adversarialWeight: 0.5), adversarial, "reproducible")
    }

    func testTheExperimentIsReproducibleFromItsSeed() throws {
        func run(seed: UInt64) throws -> (Float, [Float], ConditioningExperiment.Scores) {
            var settings = tinySettings()
            settings.seed = seed
            let experiment = ConditioningExperiment(settings: settings)
            let data = try experiment.trainingData(), heldOut = try experiment.heldOutData()
            let autoencoder = try experiment.trainAutoencoder(on: data).autoencoder
            let (diffusion, result) = try experiment.trainDiffusion(conditions: [.mask, .edges], autoencoder: autoencoder, on: data)
            XCTAssertEqual(result.completedSteps, 4)
            return (autoencoder.latentScaleFactor, result.history.loss,
                    try experiment.evaluate(diffusion, conditions: [.mask, .edges], on: heldOut).scores)
        }
        let first = try run(seed: 1), second = try run(seed: 1), other = try run(seed: 2)
        XCTAssertEqual(first.0, second.0)
        XCTAssertEqual(first.1, second.1)
        XCTAssertEqual(first.2, second.2)
        XCTAssertNotEqual(first.1, other.1)
    }
}
