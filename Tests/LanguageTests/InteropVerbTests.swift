import Diffusion
import Engine
import Formats
import XCTest
@testable import Language

/// unet2d and autoencoder_kl make diffusers-architecture models that train, sample and condition
/// like the course's; export writes them as diffusers and MONAI save models, and load of such a
/// folder gives the same model back.
final class InteropVerbTests: XCTestCase {
    var directory = ""
    var interpreter: Interpreter!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-interop-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        interpreter = Interpreter(context: RuntimeContext(outputDirectory: directory, seed: 1) { _ in })
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func run(_ text: String) throws {
        _ = try interpreter.run(SourceFile(name: "t", text: text))
    }

    func tensor(_ name: String) throws -> Tensor {
        guard case .tensor(let tensor) = interpreter.globals[name] else {
            XCTFail("\(name) is \(interpreter.globals[name]?.summary ?? "unbound")")
            return Tensor(0)
        }
        return tensor
    }

    func model(_ name: String) throws -> any DiffusionModel {
        guard case .model(let model) = interpreter.globals[name] else {
            XCTFail("\(name) is \(interpreter.globals[name]?.summary ?? "unbound")")
            throw CancellationError()
        }
        return model.wrapped
    }

    /// The course's experiment in small: an AutoencoderKL and a UNet2DModel conditioned on a
    /// mask and edges train, sample with guidance, and come back from both libraries' folders
    /// with the same outputs.
    func testTheCoursesConditioningRunsOnDiffusersArchitectures() throws {
        try run("""
            p = phantom n=4 size=32 seed=1
            x = p.image * 2 - 1
            m = onehot p.label classes=4
            e = edges p.image
            vae = train (autoencoder_kl latent=2 widths=[8, 16, 16] groups=4 seed=2) data=x steps=3 batch=2 seed=3
            z = encode vae x
            net = unet2d latent=2 cond={mask: 4, edges: 1} widths=[16, 32] blocks=1 attention=1 head=8 groups=4 seed=4
            trained = train net data=z cond=[m, e] steps=3 batch=2 seed=5
            s = diffuse trained cond=[m, e] steps=4 guidance=2 unconditional=["edges"] seed=6
            images = decode vae s
            export trained "\(directory)/unet"
            export trained "\(directory)/unet-monai" library=monai
            export vae "\(directory)/vae"
            back = load "\(directory)/unet"
            back_monai = load "\(directory)/unet-monai"
            vae_back = load "\(directory)/vae"
            s_back = diffuse back cond=[m, e] steps=4 guidance=2 unconditional=["edges"] seed=6
            s_monai = diffuse back_monai cond=[m, e] steps=4 guidance=2 unconditional=["edges"] seed=6
            z_back = encode vae_back x
            """)
        XCTAssertEqual(try tensor("z").shape, [4, 2, 8, 8], "three levels: latents 4 times smaller")
        XCTAssertEqual(try tensor("images").shape, [4, 1, 32, 32])
        XCTAssertEqual(try tensor("s_back"), try tensor("s"), "the diffusers folder samples the same")
        XCTAssertEqual(try tensor("s_monai"), try tensor("s"), "the MONAI folder samples the same")
        XCTAssertEqual(try tensor("z_back"), try tensor("z"), "the VAE comes back with its scale factor")
        let back = try XCTUnwrap(try model("back") as? Denoiser)
        XCTAssertEqual(back.model.layout.groups.map(\.name), ["mask", "edges"], "medsynth.json keeps the groups")
        XCTAssertEqual(back.model.encoder?.outputChannels, 5, "and the learned encoder")
        XCTAssertTrue(back.model.unet is DiffusersUNet)
        let config = try ModelFolder(reading: "\(directory)/unet").config
        XCTAssertEqual(config["_class_name"]?.string, "UNet2DModel")
        XCTAssertEqual(config["in_channels"]?.integer, 7, "the latent's 2 channels and the encoder's 5")
        XCTAssertEqual(config["down_block_types"], .array([.string("DownBlock2D"), .string("AttnDownBlock2D")]))
    }

    /// Without an encoder the conditions go in as they are, after the latent: a UNet2DModel
    /// from elsewhere that reads in_channels = latent + condition channels loads as one group.
    func testAForeignUNetLoadsWithItsExtraChannelsAsOneCondition() throws {
        try run("""
            net = unet2d latent=3 cond=2 encoder=none widths=[8, 16] blocks=1 attention=1 head=8 groups=4 seed=1
            export net "\(directory)/plain"
            """)
        // What diffusers alone would have written: no medsynth.json, no scheduler.
        for extra in [ModelFolder.medsynthName, ModelFolder.schedulerName] {
            try FileManager.default.removeItem(atPath: "\(directory)/plain/\(extra)")
        }
        try run("""
            foreign = load "\(directory)/plain"
            c = randn [2, 2, 8, 8] seed=2
            a = diffuse net cond=c steps=3 seed=3
            b = diffuse foreign cond=c steps=3 seed=3
            """)
        let foreign = try XCTUnwrap(try model("foreign") as? Denoiser)
        XCTAssertEqual(foreign.model.layout.groups.map(\.name), ["condition"])
        XCTAssertNil(foreign.model.encoder)
        XCTAssertEqual(try tensor("a"), try tensor("b"))
    }

    /// What cannot be exported or loaded says why, at the argument.
    func testRefusalsSayWhy() throws {
        try run("net = unet latent=2 cond=1 widths=[8, 16] groups=4 seed=1\nsave (zeros [2]) \"\(directory)/file.h5\"")
        for (statement, expected) in [
            ("export net \"\(directory)/x\"", "only a UNet2DModel"),
            ("export (autoencoder latent=2 widths=[8, 16] groups=4) \"\(directory)/x\"", "only an AutoencoderKL"),
            ("export (autoencoder_kl widths=[8, 16] groups=4 layout=monai) \"\(directory)/x\"", "diffusers cannot build this layout"),
            ("export (unet2d cond=1 widths=[8, 16] groups=4 head=8) \"\(directory)/file.h5\"", "is a file; export writes a folder"),
            ("load \"\(directory)\"", "is a folder without config.json"),
            ("unet2d cond=1 widths=[8, 12] groups=4 head=8", "the width 12 cannot be split into heads of 8 channels"),
            ("unet2d cond=1 widths=[8, 16] groups=4 attention=3", "at most 2 can have attention"),
        ] {
            XCTAssertThrowsError(try run(statement), statement) { XCTAssertTrue("\($0)".contains(expected), "\(statement): \($0)") }
        }
    }
}
