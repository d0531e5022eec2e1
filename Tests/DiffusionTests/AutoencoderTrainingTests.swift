import XCTest
@testable import Diffusion
@testable import Engine
import Imaging

/// A few dozen Adam steps of the KL autoencoder on 32x32 phantoms: the reconstruction must
/// improve clearly, and the same seed must give the same run bit for bit.
final class AutoencoderTrainingTests: XCTestCase {
    func train(steps: Int) throws -> [Float] {
        let phantom = try Phantom(seed: 1, size: 32)
        let images = try phantom.batch(count: 32).images * 2 - 1
        var random = RandomStream(seed: 21)
        let model = try Autoencoder(Autoencoder.Configuration(regularizer: .kl(weight: 1e-5)), random: &random)
        let optimizer = try Adam(parameters: model.parameters, learningRate: 2e-3)
        var losses: [Float] = []
        for step in 0..<steps {
            let first = (step * 8) % 32
            let batch = try images.slice([.range(first..<(first + 8))])
            let loss = try model.loss(images: batch, reconstruction: .l1, random: &random)
            optimizer.zeroGradients()
            try loss.total.backward()
            try optimizer.step()
            losses.append(loss.reconstruction)
        }
        return losses
    }

    func testTheKLAutoencoderLearnsToReconstructPhantomsDeterministically() throws {
        let losses = try train(steps: 40)
        let start = losses.prefix(4).reduce(0, +) / 4, end = losses.suffix(4).reduce(0, +) / 4
        print("KL autoencoder, 32x32 phantoms: L1 \(start) over the first 4 steps, \(end) over the last 4")
        XCTAssertLessThan(end, start / 3)
        XCTAssertEqual(try train(steps: 40), losses)
    }

    /// The codebook usage on held-out phantoms of a VQ autoencoder of 256 codes after 40 steps.
    func codebookUsage(_ learning: VectorQuantizer.Learning) throws -> CodebookUsage {
        let images = try Phantom(seed: 1, size: 32).batch(count: 64).images * 2 - 1
        let heldOut = try Phantom(seed: 2, size: 32).batch(count: 32).images * 2 - 1
        var random = RandomStream(seed: 21)
        let model = try Autoencoder(
            Autoencoder.Configuration(regularizer: .vq(codes: 256, commitmentWeight: 0.25, learning: learning)), random: &random)
        let optimizer = try Adam(parameters: model.parameters, learningRate: 2e-3)
        for step in 0..<40 {
            let first = (step * 8) % 64
            let loss = try model.loss(images: try images.slice([.range(first..<(first + 8))]), reconstruction: .l1, random: &random)
            optimizer.zeroGradients()
            try loss.total.backward()
            try optimizer.step()
        }
        return try model.codebookUsage(images: heldOut)
    }

    /// Moving averages from a k-means start keep the codebook in use; the codebook loss's
    /// gradient from a uniform start leaves most codes where they started (collapse).
    func testMovingAveragesKeepTheCodebookInUse() throws {
        let averaged = try codebookUsage(.movingAverage(decay: 0.99)), gradient = try codebookUsage(.gradient)
        print("VQ, 256 codes, 40 steps on 32x32 phantoms: held-out use \(averaged.usedFraction) (perplexity \(averaged.perplexity)) "
            + "with moving averages, \(gradient.usedFraction) (perplexity \(gradient.perplexity)) by gradient")
        XCTAssertGreaterThan(averaged.usedFraction, 0.5)
        XCTAssertLessThan(gradient.usedFraction, 0.25)
        XCTAssertGreaterThan(averaged.perplexity, 4 * gradient.perplexity)
    }
}
