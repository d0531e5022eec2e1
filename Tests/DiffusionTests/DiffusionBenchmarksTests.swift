import XCTest
@testable import Diffusion
@testable import Engine

final class DiffusionBenchmarksTests: XCTestCase {
    /// The names must be those of benchmarks/torch_reference.py's WORKLOADS, which
    /// `medsynth bench --pytorch` matches exactly, and the models the published ones.
    func testTheThreeWorkloadsMatchThePyTorchScript() throws {
        let cases = try DiffusionBenchmarks.standard()
        XCTAssertEqual(cases.map(\.name), ["unet train step b32", "autoencoder train step b32", "ddim 50 steps b16"])
        XCTAssertTrue(cases.allSatisfy { $0.unit == BenchmarkCase.milliseconds })
        XCTAssertEqual(try DiffusionBenchmarks.unet().parameterCount, 1_404_804)
        XCTAssertEqual(try DiffusionBenchmarks.autoencoder().parameterCount, 135_365)
    }

    /// Adam's first step moves every weight with a nonzero gradient by lr * g / (|g| + eps),
    /// so by at most the learning rate, 1e-4, and almost exactly that for large gradients.
    func testATrainStepIsOneAdamStepAtLearningRate1e4() throws {
        let unet = try DiffusionBenchmarks.unet(), autoencoder = try DiffusionBenchmarks.autoencoder()
        for (model, step) in [(unet as Module, try DiffusionBenchmarks.unetTrainStep(model: unet, batch: 2)),
                              (autoencoder, try DiffusionBenchmarks.autoencoderTrainStep(model: autoencoder, batch: 2))] {
            let before = model.parameters.map(\.value.scalars)
            try step.run()
            var largest: Float = 0
            for (old, parameter) in zip(before, model.parameters) {
                for (a, b) in zip(old, parameter.value.scalars) { largest = max(largest, abs(a - b)) }
            }
            XCTAssertEqual(largest, 1e-4, accuracy: 2e-6, step.name)
        }
    }

    func testDDIMSamplingRunsAtAnyStepCount() throws {
        let sampling = try DiffusionBenchmarks.ddimSampling(batch: 1, steps: 2)
        XCTAssertEqual(sampling.name, "ddim 2 steps b1")
        try sampling.run()
    }
}
