import XCTest
@testable import Diffusion
@testable import Engine
@testable import Formats

/// Every kind of model goes through the registry: a checkpoint comes back as the kind it names,
/// with the same parameters; copies are independent; an unknown kind is refused by name.
final class ModelRegistryTests: XCTestCase {
    func models() throws -> [any DiffusionModel] {
        var random = RandomStream(seed: 7)
        let autoencoder = try Autoencoder(
            Autoencoder.Configuration(latentChannels: 2, outerWidth: 4, innerWidth: 8, groups: 2, regularizer: .kl(weight: 0.1)),
            random: &random)
        let layout = try ConditionLayout([ConditionGroup(name: "mask", channels: 2, dropProbability: 0.1)])
        let encoder = try ConditionEncoder(inputChannels: 2, outputChannels: 2, downsamplingFactor: 2, width: 4, random: &random)
        let unet = try UNet(.init(inputChannels: 4, outputChannels: 2, widths: [4, 8], blocksPerLevel: 1,
                                  attentionHeads: 2, groups: 2, timeEmbeddingWidth: 8), random: &random)
        let denoiser = Denoiser(model: try ConditionalUNet(layout: layout, encoder: encoder, unet: unet),
                                schedule: try NoiseSchedule(.cosine, trainingSteps: 100), prediction: .velocity)
        let segmenter = Segmenter(unet: try UNet(.init(inputChannels: 1, outputChannels: 3, widths: [4, 8], blocksPerLevel: 1,
                                                       attentionHeads: 2, groups: 2, timeEmbeddingWidth: 8), random: &random))
        let flow = Denoiser(model: try ConditionalUNet(layout: layout, encoder: encoder, unet: unet), process: .flow)
        return [autoencoder, denoiser, segmenter, flow]
    }

    func testEveryKindRoundTripsThroughItsCheckpoint() throws {
        XCTAssertEqual(ModelRegistry.all.map { $0.checkpointKind }, ["autoencoder", "conditional-unet", "segmenter", "spade", "feature_network"])
        // (The feature networks' round trip is in FeatureNetworkParityTests, SPADE's in SPADETests.)
        for model in try models() {
            let back = try ModelRegistry.model(from: try model.checkpoint())
            XCTAssertTrue(type(of: back) == type(of: model), model.kindName)
            XCTAssertEqual(back.kindName, model.kindName)
            XCTAssertEqual(back.checkpointConfiguration, model.checkpointConfiguration)
            XCTAssertEqual(back.module.parameters.map(\.value), model.module.parameters.map(\.value), model.kindName)
        }
        let denoiser = try XCTUnwrap(try ModelRegistry.model(from: try models()[1].checkpoint()) as? Denoiser)
        XCTAssertEqual(denoiser.diffusion?.prediction, .velocity)
        XCTAssertEqual(denoiser.diffusion?.schedule.trainingSteps, 100)
        // A flow model keeps its process; a checkpoint that names none (every one written before
        // flow models) is a diffusion model; an unknown process is refused by name.
        let flow = try XCTUnwrap(try ModelRegistry.model(from: try models()[3].checkpoint()) as? Denoiser)
        XCTAssertEqual(flow.process.kind, .flow)
        XCTAssertEqual(flow.kindName, "conditional flow-matching UNet on mask")
        XCTAssertNil(try models()[1].checkpoint().configuration["process"])
        var odd = try models()[3].checkpoint()
        odd.configuration["process"] = "score"
        XCTAssertThrowsError(try ModelRegistry.model(from: odd)) { error in
            XCTAssertTrue("\(error)".contains("\"process\" is \"score\", not diffusion or flow"), "\(error)")
        }
    }

    func testACopyIsIndependentAndKeepsTheTrainingMode() throws {
        let model = try models()[0]
        model.module.setTraining(false)
        let copy = try ModelRegistry.copy(model)
        XCTAssertFalse(copy.module.isTraining)
        copy.module.parameters[0].value = try Tensor.zeros(copy.module.parameters[0].value.shape)
        XCTAssertNotEqual(model.module.parameters[0].value, copy.module.parameters[0].value)
    }

    func testAnUnknownKindIsRefusedByName() throws {
        var checkpoint = try models()[0].checkpoint()
        checkpoint.configuration["model"] = "flowTransformer"
        XCTAssertThrowsError(try ModelRegistry.model(from: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("a \"flowTransformer\", not a model medsynth can load (it knows \"autoencoder\", \"conditional-unet\", \"segmenter\", \"spade\", \"feature_network\")"),
                          "\(error)")
        }
    }
}
