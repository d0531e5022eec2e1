import Foundation
import TestSupport
import XCTest
@testable import Diffusion
@testable import Engine
import Formats

/// The benchmark autoencoder against its PyTorch twin (Fixtures/make_autoencoder_fixtures.py):
/// same weights and input, so the same latent, reconstruction, loss and gradients.
final class AutoencoderParityTests: XCTestCase {
    struct Parity: Decodable {
        let input: FixtureTensor
        let latent: FixtureTensor
        let reconstruction: FixtureTensor
        let loss: Double
        let gradients: [String: FixtureTensor]
    }

    func testForwardAndGradientsMatchPyTorch() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let weights = try Checkpoint(reading: fixtures.appendingPathComponent("autoencoder_weights.safetensors").path)
        let parity = try loadFixture("autoencoder_parity.json", as: Parity.self)
        var random = RandomStream(seed: 0)
        let model = try Autoencoder(random: &random)
        try weights.load(into: model)

        let x = Variable(parity.input.tensor)
        let latent = try model.encode(x)
        let reconstruction = try model.decode(latent)
        assertMatchesFixture(latent.value, parity.latent, absolute: 1e-4, "latent")
        assertMatchesFixture(reconstruction.value, parity.reconstruction, absolute: 1e-4, "reconstruction")
        let forward = zip(latent.value.scalars + reconstruction.value.scalars, parity.latent.values + parity.reconstruction.values)
            .reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }

        let loss = try Loss.meanSquaredError(reconstruction, x)
        XCTAssertEqual(Double(loss.value.scalars[0]), parity.loss, accuracy: 1e-5)
        try loss.backward()
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.path, $0.variable) })
        XCTAssertEqual(parity.gradients.count, 6)
        var worst = 0.0
        for (path, reference) in parity.gradients.sorted(by: { $0.key < $1.key }) {
            let gradient = try XCTUnwrap(parameters[path]?.grad, path)
            assertMatchesFixture(gradient, reference, absolute: 1e-3, path)
            worst = zip(gradient.scalars, reference.values).reduce(worst) { max($0, abs(Double($1.0) - $1.1)) }
        }
        print("autoencoder parity: largest deviation \(forward) forward, \(worst) in the gradients")
    }
}
