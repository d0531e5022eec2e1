import Foundation
import TestSupport
import XCTest
@testable import Diffusion
@testable import Engine
@testable import Formats

/// diffusers' UNet2DModel and AutoencoderKL and MONAI's DiffusionModelUNet and AutoencoderKL,
/// read from the folders their own libraries wrote (Fixtures/make_interop_fixtures.py), give
/// PyTorch's outputs; medsynth writes them back so that the folders load the same.
final class InteropParityTests: XCTestCase {
    private func folder(_ name: String) -> String { fixtureURL("interop/\(name)").path }

    private func io(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(reading: fixtureURL("interop/\(name)/io.safetensors").path)
    }

    /// max |a - b| / max |b|: the gap relative to the output's scale.
    private func relativeGap(_ actual: Tensor, _ reference: Tensor) -> Double {
        let scale = reference.scalars.map { abs(Double($0)) }.max() ?? 0
        let gap = zip(actual.scalars, reference.scalars).map { abs(Double($0) - Double($1)) }.max() ?? 0
        return gap / max(scale, 1e-30)
    }

    private func assertClose(_ actual: Tensor, _ reference: Tensor, within tolerance: Double = 1e-4, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shape, reference.shape, what, file: file, line: line)
        let gap = relativeGap(actual, reference)
        XCTAssertLessThanOrEqual(gap, tolerance, "\(what): relative gap \(gap)", file: file, line: line)
        print("InteropParityTests: \(what) within \(gap) relative")
    }

    private func unetOutput(_ model: any DiffusionModel, _ io: SafetensorsFile) throws -> Tensor {
        let denoiser = try XCTUnwrap(model as? Denoiser)
        let unet = try XCTUnwrap(denoiser.model.unet as? DiffusersUNet)
        unet.setTraining(false)
        return try GradientMode.withoutGradients {
            try unet(Variable(io.tensor(named: "input")), timesteps: io.tensor(named: "timesteps")).value
        }
    }

    func testDiffusersAndMONAIUNetsGivePyTorchsOutputs() throws {
        for name in ["diffusers_unet", "diffusers_unet_options", "monai_unet"] {
            let model = try ModelExchange.model(from: ModelFolder(reading: folder(name)))
            let reference = try io(name)
            assertClose(try unetOutput(model, reference), try reference.tensor(named: "output"), name)
        }
    }

    func testDiffusersAndMONAIAutoencodersGivePyTorchsOutputs() throws {
        for name in ["diffusers_autoencoder", "monai_autoencoder"] {
            let autoencoder = try XCTUnwrap(try ModelExchange.model(from: ModelFolder(reading: folder(name))) as? Autoencoder)
            let reference = try io(name)
            let images = try reference.tensor(named: "input")
            try GradientMode.withoutGradients {
                let posterior = try autoencoder.posterior(Variable(images))
                assertClose(posterior.mean.value, try reference.tensor(named: "mean"), "\(name) mean")
                assertClose(posterior.logVariance.value, try reference.tensor(named: "logvar"), "\(name) log-variance")
                assertClose(try autoencoder(Variable(images)).value, try reference.tensor(named: "reconstruction"), "\(name) reconstruction")
                assertClose(try autoencoder.decode(Variable(reference.tensor(named: "latent"))).value,
                            try reference.tensor(named: "decoded"), "\(name) decoding")
            }
        }
    }

    /// DDIMPipeline's loop (diffusers' DDIMScheduler, 50 steps, leading spacing, eta 0) with a
    /// condition concatenated on the channels, run by medsynth's DDIM sampler.
    func testA50StepDDIMTrajectoryMatchesDiffusers() throws {
        let model = try XCTUnwrap(try ModelExchange.model(from: ModelFolder(reading: folder("diffusers_unet"))) as? Denoiser)
        model.model.setTraining(false)
        let reference = try SafetensorsFile(reading: fixtureURL("interop/ddim_trajectory.safetensors").path)
        let condition = try reference.tensor(named: "condition")
        let sampler = try DDIMSampler(schedule: NoiseSchedule.ddpm(), inferenceSteps: 50)
        XCTAssertEqual(sampler.timesteps.map(Float.init), try reference.tensor(named: "timesteps").scalars)
        let denoise = try model.model.denoiser(condition: condition, guidanceScale: 1)
        let result = try sampler.sample(from: reference.tensor(named: "initial"), denoiser: denoise,
                                        stepNoise: { _, _ in XCTFail("DDIM with eta 0 draws no noise"); return try Tensor.zeros([1]) })
        assertClose(result.sample, try reference.tensor(named: "final"), "50 DDIM steps")
    }

    /// Each folder written back by medsynth, for its own library, holds the same tensors under the
    /// same keys and describes the same network (for diffusers, member by member).
    func testFoldersWrittenBackMatchTheLibrariesOwn() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for (name, library) in [("diffusers_unet", ModelLibrary.diffusers), ("diffusers_unet_options", .diffusers),
                                ("diffusers_autoencoder", .diffusers), ("monai_unet", .monai), ("monai_autoencoder", .monai)] {
            let original = try ModelFolder(reading: folder(name))
            let model = try ModelExchange.model(from: original)
            let written = try ModelFolder(reading: try write(model, library, to: "\(scratch)/\(name)"))
            let theirs = Dictionary(original.weights.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(Set(written.weights.map(\.name)), Set(theirs.keys), "\(name): the same keys")
            for (key, tensor) in written.weights { XCTAssertEqual(tensor, theirs[key], "\(name): \(key)") }
            XCTAssertEqual(try ModelExchange.model(from: written).checkpointConfiguration, model.checkpointConfiguration, name)
            // diffusers writes every member of its configuration, so each must be as it wrote it;
            // MONAI's arguments are only those the fixture passed, with MONAI's defaults for the rest.
            guard library == .diffusers else { continue }
            for (key, value) in try XCTUnwrap(written.config.members) where key != "_diffusers_version" {
                if let number = value.number, let theirs = original.config[key]?.number {
                    XCTAssertEqual(number, theirs, accuracy: 1e-7 * max(1, abs(theirs)), "\(name): \(key)")
                } else {
                    XCTAssertEqual(value, original.config[key], "\(name): \(key)")
                }
            }
        }
    }

    private func write(_ model: any DiffusionModel, _ library: ModelLibrary, to path: String) throws -> String {
        try ModelExchange.write(model, as: library, to: path)
        return path
    }

    /// A model that one library cannot build is refused with what differs, not written wrongly.
    func testALayoutTheOtherLibraryCannotBuildIsRefused() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let monaiUNet = try ModelExchange.model(from: ModelFolder(reading: folder("monai_unet")))
        XCTAssertThrowsError(try ModelExchange.write(monaiUNet, as: .diffusers, to: scratch)) {
            XCTAssertTrue("\($0)".contains("diffusers has one layers_per_block for all levels, this network has [1, 2]"), "\($0)")
        }
        let options = try ModelExchange.model(from: ModelFolder(reading: folder("diffusers_unet_options")))
        XCTAssertThrowsError(try ModelExchange.write(options, as: .monai, to: scratch)) {
            XCTAssertTrue("\($0)".contains("pads its downsampling asymmetrically"), "\($0)")
        }
        let monaiAutoencoder = try ModelExchange.model(from: ModelFolder(reading: folder("monai_autoencoder")))
        XCTAssertThrowsError(try ModelExchange.write(monaiAutoencoder, as: .diffusers, to: scratch)) {
            XCTAssertTrue("\($0)".contains("no SiLU before its last convolutions"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/config.json"), "nothing written")
    }

    /// An imported model saved as medsynth's own checkpoint (HDF5 and safetensors) comes back
    /// with the same outputs, architecture included.
    func testImportedModelsRoundTripThroughMedsynthCheckpoints() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for name in ["diffusers_unet_options", "monai_unet"] {
            let model = try ModelExchange.model(from: ModelFolder(reading: folder(name)))
            for format in ["h5", "safetensors"] {
                let path = scratch.appendingPathComponent("\(name).\(format)").path
                try ModelRegistry.save(model, to: path)
                let reference = try io(name)
                XCTAssertEqual(try unetOutput(ModelRegistry.load(path), reference), try unetOutput(model, reference), "\(name).\(format)")
            }
        }
        let autoencoder = try ModelExchange.model(from: ModelFolder(reading: folder("monai_autoencoder")))
        let path = scratch.appendingPathComponent("ae.h5").path
        try ModelRegistry.save(autoencoder, to: path)
        let loaded = try XCTUnwrap(try ModelRegistry.load(path) as? Autoencoder)
        XCTAssertEqual(loaded.configuration, (autoencoder as? Autoencoder)?.configuration)
        let images = try io("monai_autoencoder").tensor(named: "input")
        XCTAssertEqual(try loaded.diffusionLatents(of: images), try (autoencoder as! Autoencoder).diffusionLatents(of: images))
    }

    /// The parameter counts that guard memory before a model is built are the built models' own.
    func testParameterCountsMatchTheBuiltNetworks() throws {
        for name in ["diffusers_unet", "diffusers_unet_options", "monai_unet"] {
            let unet = try XCTUnwrap((try ModelExchange.model(from: ModelFolder(reading: folder(name))) as? Denoiser)?.model.unet as? DiffusersUNet)
            XCTAssertEqual(unet.configuration.parameterCount, Double(unet.parameterCount), name)
        }
        for name in ["diffusers_autoencoder", "monai_autoencoder"] {
            let autoencoder = try XCTUnwrap(try ModelExchange.model(from: ModelFolder(reading: folder(name))) as? Autoencoder)
            XCTAssertEqual(autoencoder.configuration.parameterCount, Double(autoencoder.parameterCount), name)
        }
    }
}
