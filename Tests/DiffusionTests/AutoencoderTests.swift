import Foundation
import XCTest
@testable import Diffusion
@testable import Engine
import Formats

final class AutoencoderTests: XCTestCase {
    /// A tiny autoencoder for gradient checks: widths 4 and 8, latent 2.
    func tinyModel(_ regularizer: Autoencoder.Regularizer, seed: UInt64 = 3) throws -> Autoencoder {
        var random = RandomStream(seed: seed)
        return try Autoencoder(Autoencoder.Configuration(latentChannels: 2, outerWidth: 4, innerWidth: 8, groups: 2, regularizer: regularizer),
                               random: &random)
    }

    func testTheBenchmarkConfigurationHasTheReferenceParameterCountAndShapes() throws {
        var random = RandomStream(seed: 1)
        let plain = try Autoencoder(random: &random)
        XCTAssertEqual(plain.parameterCount, 135_365)
        // KL: the last encoder conv doubles its outputs, 64 * 9 * 4 + 4 more values.
        let kl = try Autoencoder(Autoencoder.Configuration(regularizer: .kl(weight: 1e-5)), random: &random)
        XCTAssertEqual(kl.parameterCount, 135_365 + 2_308)
        let vq = try Autoencoder(Autoencoder.Configuration(regularizer: .vq(codes: 256, commitmentWeight: 0.25)), random: &random)
        XCTAssertEqual(vq.parameterCount, 135_365 + 256 * 4)
        XCTAssertEqual(vq.namedParameters().last?.path, "quantizer.codebook")

        let images = Variable(try Tensor.rand([2, 1, 64, 64], seed: 2))
        try GradientMode.withoutGradients {
            XCTAssertEqual(try plain.encode(images).shape, [2, 4, 16, 16])
            XCTAssertEqual(try kl.encoder(images).shape, [2, 8, 16, 16])
            XCTAssertEqual(try kl.encode(images).shape, [2, 4, 16, 16])
            XCTAssertEqual(try vq.encode(images).shape, [2, 4, 16, 16])
            XCTAssertEqual(try plain(images).shape, [2, 1, 64, 64])
        }
        XCTAssertThrowsError(try plain.encode(Variable(try Tensor.zeros([1, 1, 30, 32]))))
        XCTAssertThrowsError(try plain.posterior(images))
        XCTAssertThrowsError(try Autoencoder(Autoencoder.Configuration(regularizer: .kl(weight: -1)), random: &random))
    }

    func testTheKLLatentIsThePosteriorMeanAndASampleSpreadsByItsStd() throws {
        let model = try tinyModel(.kl(weight: 0.1))
        let images = Variable(try Tensor.rand([1, 1, 8, 8], low: -1, high: 1, seed: 4))
        let posterior = try model.posterior(images)
        XCTAssertEqual(try model.encode(images).value, posterior.mean.value)
        var random = RandomStream(seed: 5)
        let sample = try model.encode(images, sampling: &random)
        var again = RandomStream(seed: 5)
        let noise = try Tensor.randn(posterior.mean.shape, using: &again)
        let expected = try posterior.mean.value + (posterior.logVariance.value * 0.5).exp() * noise
        for (a, b) in zip(sample.value.scalars, expected.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // KL of N(m, s^2) from N(0, 1), summed over the 2 x 2 x 2 latent of the one image.
        let m = posterior.mean.value.scalars, l = posterior.logVariance.value.scalars
        let kl = zip(m, l).reduce(0.0) { $0 + 0.5 * Double($1.0 * $1.0 + exp($1.1) - 1 - $1.1) }
        XCTAssertEqual(Double(try posterior.klDivergence().value.scalars[0]), kl, accuracy: 1e-5 * max(1, kl))
    }

    func testTheLogVarianceIsClampedAsInLDM() throws {
        let parameters = Variable(try Tensor(shape: [1, 2, 1, 2], scalars: [0.5, -1, -40, 25]), requiresGradient: true)
        let gaussian = try DiagonalGaussian(parameters: parameters)
        XCTAssertEqual(gaussian.mean.value.scalars, [0.5, -1])
        XCTAssertEqual(gaussian.logVariance.value.scalars, [-30, 20])
        try gaussian.logVariance.sum().backward()
        XCTAssertEqual(parameters.grad?.scalars, [0, 0, 0, 0])
    }

    func testKLLossGradientsMatchFiniteDifferences() throws {
        let model = try tinyModel(.kl(weight: 0.05))
        let target = Variable(try Tensor.rand([1, 1, 8, 8], low: -1, high: 1, seed: 6))
        let check = GradientCheck(step: 1e-2, absoluteTolerance: 2e-3, relativeTolerance: 2e-2)
        // Through the encoder, the posterior's split and clamp, the reparameterised sample (the
        // same noise every evaluation), the decoder and both terms of the loss.
        let report = try check.check([target.value]) { inputs in
            var random = RandomStream(seed: 7)
            let posterior = try model.posterior(inputs[0])
            let reconstruction = try model.decode(try posterior.sample(using: &random))
            return try Loss.meanSquaredError(reconstruction, target) + posterior.klDivergence() * 0.05
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// (L(p + h) - L(p - h)) / 2h for a few values of a parameter.
    func numericGradient(_ parameter: Variable, at positions: [Int], step: Float = 1e-2, loss: () throws -> Float) throws -> [Double] {
        let original = parameter.value
        defer { parameter.value = original }
        return try positions.map { j in
            var values = original.scalars
            values[j] = original.scalars[j] + step
            parameter.value = try Tensor(shape: original.shape, scalars: values)
            let up = try loss()
            values[j] = original.scalars[j] - step
            parameter.value = try Tensor(shape: original.shape, scalars: values)
            let down = try loss()
            return (Double(up) - Double(down)) / (2 * Double(step))
        }
    }

    func testVQLossGradientsReachCodebookDecoderAndEncoder() throws {
        let model = try tinyModel(.vq(codes: 8, commitmentWeight: 0.25))
        let images = try Tensor.rand([2, 1, 8, 8], low: -1, high: 1, seed: 8)
        var random = RandomStream(seed: 9)
        let loss = try model.loss(images: images, reconstruction: .l2, random: &random)
        try loss.total.backward()
        // The decoder: the nearest codes do not change under a small step, so the loss is
        // smooth there and finite differences of the total must agree.
        let decoderWeight = (model.decoder as! AutoencoderDecoder).input[0].conv.weight
        let positions = [0, 5, 17, 40]
        let total = { try GradientMode.withoutGradients { try model.loss(images: images, reconstruction: .l2, random: &random).total.value.scalars[0] } }
        for (j, n) in zip(positions, try numericGradient(decoderWeight, at: positions, step: 1e-3, loss: total)) {
            XCTAssertEqual(Double(decoderWeight.grad!.scalars[j]), n, accuracy: 1e-3 + 2e-2 * abs(n), "decoder value \(j)")
        }
        // The codebook learns from the codebook loss alone (the straight-through path and the
        // commitment loss stop at it), so its gradient is that of mean((z_q - sg[z])^2).
        let codebook = try XCTUnwrap(model.quantizer?.codebook)
        let counts = loss.quantization!.counts.scalars
        let used = counts.indices.filter { counts[$0] > 0 }.flatMap { [2 * $0, 2 * $0 + 1] }
        let codebookLoss = { try GradientMode.withoutGradients { try model.quantize(Variable(images)).codebookLoss.value.scalars[0] } }
        for (j, n) in zip(used, try numericGradient(codebook, at: used, step: 1e-3, loss: codebookLoss)) {
            XCTAssertEqual(Double(codebook.grad!.scalars[j]), n, accuracy: 1e-4 + 2e-2 * abs(n), "codebook value \(j)")
        }
        XCTAssertFalse(used.isEmpty)
        // Straight through: the encoder learns from the reconstruction, not only the commitment.
        let encoderGradient = try XCTUnwrap((model.encoder as! AutoencoderEncoder).units[0].conv.weight.grad)
        XCTAssertGreaterThan(try encoderGradient.abs().max().scalars[0], 1e-4)
        XCTAssertEqual(loss.quantization!.counts.scalars.reduce(0, +), 2 * 2 * 2)
    }

    func testCodebookUsageCountsPerplexityAndUsedFraction() throws {
        let usage = CodebookUsage(counts: [2, 2, 0, 0])
        XCTAssertEqual(usage.usedFraction, 0.5)
        XCTAssertEqual(usage.perplexity, 2, accuracy: 1e-12)
        var total = usage
        total.add(CodebookUsage(counts: [0, 0, 0, 4]))
        XCTAssertEqual(total.counts, [2, 2, 0, 4])
        XCTAssertEqual(total.usedFraction, 0.75)
        XCTAssertEqual(CodebookUsage(counts: [5, 0, 0]).perplexity, 1, accuracy: 1e-12)

        let model = try tinyModel(.vq(codes: 16, commitmentWeight: 0.25))
        let images = try Tensor.rand([5, 1, 8, 8], seed: 10)
        let counted = try model.codebookUsage(images: images, batchSize: 2)
        XCTAssertEqual(counted.positions, 5 * 2 * 2)
        XCTAssertThrowsError(try tinyModel(.none).codebookUsage(images: images))
    }

    func testTheScaleFactorGivesLatentsOfUnitStd() throws {
        let model = try tinyModel(.kl(weight: 1e-4))
        let images = try Tensor.rand([6, 1, 16, 16], low: -1, high: 1, seed: 11)
        let factor = try model.estimateScaleFactor(images: images, batchSize: 4)
        XCTAssertEqual(model.latentScaleFactor, factor)
        let latents = try model.diffusionLatents(of: images)
        XCTAssertEqual(latents.shape, [6, 2, 4, 4])
        let values = latents.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        XCTAssertEqual(std, 1, accuracy: 1e-5)
        // Decoding undoes the scale.
        let direct = try GradientMode.withoutGradients { try model.decode(try model.encode(Variable(images))).value }
        let scaled = try model.images(fromDiffusionLatents: latents)
        for (a, b) in zip(direct.scalars, scaled.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testACheckpointRestoresConfigurationParametersAndScaleFactor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("autoencoder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (regularizer, file) in [(Autoencoder.Regularizer.kl(weight: 2.5e-5), "kl.safetensors"),
                                    (.vq(codes: 12, commitmentWeight: 0.3), "vq.h5"), (.none, "plain.h5"),
                                    (.vq(codes: 12, commitmentWeight: 0.3, learning: .movingAverage(decay: 0.9)), "ema.safetensors")] {
            let model = try tinyModel(regularizer)
            model.latentScaleFactor = 0.8731_2345
            let path = directory.appendingPathComponent(file).path
            try Autoencoder.write(model, to: path, metadata: ["step": .integer(42)])
            let loaded = try Autoencoder(reading: path)
            XCTAssertEqual(loaded.configuration, model.configuration)
            XCTAssertEqual(loaded.latentScaleFactor, model.latentScaleFactor)
            for (a, b) in zip(loaded.namedParameters(), model.namedParameters()) {
                XCTAssertEqual(a.path, b.path)
                XCTAssertEqual(a.variable.value, b.variable.value, a.path)
            }
        }
        var broken = try tinyModel(.none).checkpoint()
        broken.configuration["groups"] = "eight"
        XCTAssertThrowsError(try Autoencoder(checkpoint: broken)) { error in
            XCTAssertEqual("\(error)", "checkpoint: configuration \"groups\" is \"eight\", expected a number")
        }
    }
}
