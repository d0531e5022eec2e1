import XCTest
import Engine
import Formats
@testable import Diffusion

/// Parameter counts from configurations: exact (they decide what is refused), and checked
/// against the memory budget and a checkpoint's contents before a model is built.
final class ModelSizeTests: XCTestCase {
    private func parameterCount(_ module: Module) -> Double {
        module.parameters.reduce(0) { $0 + Double($1.value.count) }
    }

    func testCountsFromConfigurationsEqualTheBuiltModels() throws {
        var random = RandomStream(seed: 1)
        for configuration in [UNet.Configuration(), UNet.Configuration(inputChannels: 1, outputChannels: 2, widths: [8], blocksPerLevel: 1,
                                                                     attentionHeads: 2, groups: 4, timeEmbeddingWidth: 16)] {
            XCTAssertEqual(configuration.parameterCount, parameterCount(try UNet(configuration, random: &random)))
        }
        for regularizer: Autoencoder.Regularizer in [.none, .kl(weight: 1e-5), .vq(codes: 16, commitmentWeight: 0.25)] {
            let configuration = Autoencoder.Configuration(latentChannels: 2, outerWidth: 4, innerWidth: 8, groups: 2, regularizer: regularizer)
            XCTAssertEqual(configuration.parameterCount, parameterCount(try Autoencoder(configuration, random: &random)))
        }
        let encoder = try ConditionEncoder(inputChannels: 5, outputChannels: 4, downsamplingFactor: 4, width: 8, random: &random)
        XCTAssertEqual(ConditionEncoder.parameterCount(inputChannels: 5, outputChannels: 4, downsamplingFactor: 4, width: 8),
                       parameterCount(encoder))
    }

    func testHugeWidthsAreRefusedBeforeAnythingIsAllocated() {
        var random = RandomStream(seed: 1)
        // Each of these layers would pass the budget alone; together they are terabytes.
        XCTAssertThrowsError(try Autoencoder(Autoencoder.Configuration(outerWidth: 1 << 30, innerWidth: 1 << 30), random: &random)) {
            XCTAssertTrue("\($0)".contains("autoencoder with widths 1073741824 and 1073741824"), "\($0)")
            XCTAssertTrue("\($0)".contains("over the memory budget"), "\($0)")
        }
        XCTAssertThrowsError(try UNet(UNet.Configuration(widths: [1 << 40, 1 << 40]), random: &random)) {
            XCTAssertTrue($0 is MemoryBudgetError, "\($0)")
        }
        // Counted in closed form: a trillion blocks per level is refused at once.
        let start = Date()
        XCTAssertThrowsError(try UNet(UNet.Configuration(blocksPerLevel: 1_000_000_000_000), random: &random)) {
            XCTAssertTrue("\($0)".contains("UNet with widths [32, 64, 128]"), "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertThrowsError(try ConditionEncoder(inputChannels: 1, outputChannels: 1, width: 1 << 31, random: &random)) {
            XCTAssertTrue("\($0)".contains("condition encoder of width 2147483648"), "\($0)")
        }
    }

    func testACheckpointWhoseConfigurationAsksForMoreThanItHoldsIsRefusedBeforeBuilding() throws {
        var random = RandomStream(seed: 1)
        let small = try Autoencoder(Autoencoder.Configuration(latentChannels: 2, outerWidth: 4, innerWidth: 8, groups: 2), random: &random)
        var checkpoint = try small.checkpoint()
        // Widths that fit the budget (about 1.3 GB of parameters) but not the checkpoint's values.
        checkpoint.configuration["outerWidth"] = "4096"
        checkpoint.configuration["innerWidth"] = "4096"
        let start = Date()
        XCTAssertThrowsError(try Autoencoder(checkpoint: checkpoint)) {
            XCTAssertTrue("\($0)".contains("the configuration does not match the parameters"), "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "the model was built before the check")
        XCTAssertEqual(parameterCount(try Autoencoder(checkpoint: try small.checkpoint())), parameterCount(small))
    }

    func testAConditionalUNetCheckpointIsComparedWithItsConfigurationBeforeBuilding() throws {
        var random = RandomStream(seed: 1)
        let layout = try ConditionLayout([ConditionGroup(name: "mask", channels: 2)])
        let encoder = try ConditionEncoder(inputChannels: 2, outputChannels: 2, downsamplingFactor: 2, width: 4, random: &random)
        let unet = try UNet(.init(inputChannels: 4, outputChannels: 2, widths: [4, 8], blocksPerLevel: 1,
                                  attentionHeads: 2, groups: 2, timeEmbeddingWidth: 8), random: &random)
        let model = try ConditionalUNet(layout: layout, encoder: encoder, unet: unet)
        XCTAssertEqual(parameterCount(try ConditionalUNet(checkpoint: try Checkpoint(module: model, configuration: model.checkpointConfiguration))), parameterCount(model))
        var checkpoint = try Checkpoint(module: model, configuration: model.checkpointConfiguration)
        checkpoint.configuration["encoderWidth"] = "100000"
        XCTAssertThrowsError(try ConditionalUNet(checkpoint: checkpoint)) {
            XCTAssertTrue("\($0)".contains("describes a conditional UNet of"), "\($0)")
        }
        checkpoint = try Checkpoint(module: model, configuration: model.checkpointConfiguration)
        checkpoint.configuration["conditions"] = "a:9223372036854775807:0.1,b:1:0.1"
        XCTAssertThrowsError(try ConditionalUNet(checkpoint: checkpoint)) {
            XCTAssertTrue("\($0)".contains("overflow a 64-bit sum"), "\($0)")
        }
    }

    /// Floating-point entries are read as Swift reads numbers ("nan" and "inf" included), so
    /// each is checked: a NaN scale factor would turn every decoded image into NaN.
    func testNonFiniteOrOutOfRangeNumbersInAConfigurationAreRefused() throws {
        var random = RandomStream(seed: 1)
        let autoencoder = try Autoencoder(
            Autoencoder.Configuration(latentChannels: 2, outerWidth: 4, innerWidth: 8, groups: 2, regularizer: .kl(weight: 1e-5)), random: &random)
        for (key, value, expected) in [
            ("latentScaleFactor", "nan", "above 0"), ("latentScaleFactor", "0", "above 0"), ("latentScaleFactor", "-2", "above 0"),
            ("latentScaleFactor", "inf", "above 0"), ("klWeight", "-inf", "at least 0"), ("klWeight", "nan", "at least 0"),
        ] {
            var checkpoint = try autoencoder.checkpoint()
            checkpoint.configuration[key] = value
            XCTAssertThrowsError(try Autoencoder(checkpoint: checkpoint), "\(key)=\(value)") {
                XCTAssertEqual("\($0)", "checkpoint: configuration \"\(key)\" is \"\(value)\", expected a finite number \(expected)")
            }
        }
        var checkpoint = try autoencoder.checkpoint()
        checkpoint.configuration["latentScaleFactor"] = "0.25"
        XCTAssertEqual(try Autoencoder(checkpoint: checkpoint).latentScaleFactor, 0.25)

        let unet = try UNet(.init(inputChannels: 2, outputChannels: 2, widths: [4], blocksPerLevel: 1,
                                  attentionHeads: 2, groups: 2, timeEmbeddingWidth: 8), random: &random)
        for dropout in ["nan", "1.5", "-0.5", "inf"] {
            var entries = unet.configuration.checkpointEntries
            entries["dropout"] = dropout
            XCTAssertThrowsError(try UNet.Configuration(checkpointEntries: CheckpointEntries(entries)), dropout) {
                XCTAssertEqual("\($0)", "checkpoint: configuration \"dropout\" is \"\(dropout)\", expected a finite number in [0, 1]")
            }
        }
    }
}
