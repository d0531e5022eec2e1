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
}
