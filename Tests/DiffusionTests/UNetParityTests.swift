import Foundation
import XCTest
import Formats
@testable import Diffusion
@testable import Engine

/// The UNet against PyTorch's (benchmarks/torch_models.py) on the small configuration of
/// Fixtures/make_unet_fixtures.py, with the same weights.
final class UNetParityTests: XCTestCase {
    func testForwardAndGradientsMatchPyTorch() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/unet_parity.safetensors").path
        let file = try SafetensorsFile(reading: path)
        let data: Set<String> = ["input", "timesteps", "weighting", "output"]
        var weights: [(path: String, tensor: Tensor)] = [], gradients: [String: Tensor] = [:]
        for (name, tensor) in try file.tensors() {
            if name.hasPrefix("grad.") {
                gradients[String(name.dropFirst(5))] = tensor
            } else if !data.contains(name) {
                weights.append((name, tensor))
            }
        }
        var random = RandomStream(seed: 1)
        let unet = try UNet(.init(inputChannels: 5, outputChannels: 3, widths: [8, 16, 32], blocksPerLevel: 2,
                                  attentionHeads: 2, groups: 4, timeEmbeddingWidth: 32), random: &random)
        XCTAssertEqual(unet.parameterCount, 89_339)
        try unet.loadParameters(weights, from: "unet_parity.safetensors")

        let input = Variable(try file.tensor(named: "input"), requiresGradient: true)
        let output = try unet(input, timesteps: file.tensor(named: "timesteps"))
        let reference = try file.tensor(named: "output")
        let forwardDeviation = maximumDeviation(output.value, reference)
        XCTAssertLessThan(forwardDeviation, 1e-4, "forward")

        try output.backward(gradient: file.tensor(named: "weighting"))
        let parameters = Dictionary(uniqueKeysWithValues: unet.namedParameters().map { ($0.path, $0.variable) })
        XCTAssertEqual(gradients.count, 16)
        var gradientDeviation: Float = 0
        for (name, expected) in gradients.sorted(by: { $0.key < $1.key }) {
            let actual = name == "input" ? input.grad : parameters[name]?.grad
            guard let actual, actual.shape == expected.shape else { XCTFail("no gradient of shape \(expected.shape) for \(name)"); continue }
            let deviation = maximumDeviation(actual, expected)
            XCTAssertLessThan(deviation, 1e-3, "gradient of \(name)")
            gradientDeviation = max(gradientDeviation, deviation)
        }
        print("UNet parity: largest deviation forward \(forwardDeviation), gradients \(gradientDeviation)")
    }

    private func maximumDeviation(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        return zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
    }
}
