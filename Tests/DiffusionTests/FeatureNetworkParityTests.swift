import Foundation
import TestSupport
import XCTest
@testable import Diffusion
import Engine
import Formats

/// Inception-v3 (pytorch-fid) and ResNet-50 (torchvision) against the originals
/// (Fixtures/make_feature_network_fixtures.py): the same deterministic pseudo-random weights
/// (`deterministicWeights`), read back from a safetensors file as a user's would be, give the
/// same 2048 features of two grey images, within 5e-6 of the largest (measured: 4e-7). With
/// torchvision's pooling (padding counted) instead of pytorch-fid's, Inception is 5% off.
final class FeatureNetworkParityTests: XCTestCase {
    struct Parity: Decodable {
        let images: FixtureTensor
        let inception: FixtureTensor
        let resnet50: FixtureTensor
        let inception_parameters: StateDictLayout
        let resnet50_parameters: StateDictLayout
    }

    static func weights(_ layout: StateDictLayout) throws -> [(path: String, tensor: Tensor)] {
        try deterministicWeights(layout.entries)
    }

    /// The network of `architecture` with `stateDict`, through a safetensors file.
    func network(_ architecture: PretrainedFeatureNetwork.Architecture, _ stateDict: [(path: String, tensor: Tensor)]) throws -> PretrainedFeatureNetwork {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-feature-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("weights.safetensors").path
        try SafetensorsFile.write(stateDict.map { (name: $0.path, tensor: $0.tensor) }, to: path)
        return try PretrainedFeatureNetwork(architecture: architecture, stateDict: try Checkpoint(reading: path).parameters, source: path)
    }

    /// The largest difference over the largest reference value.
    func relativeError(_ features: Tensor, _ reference: FixtureTensor) -> Double {
        XCTAssertEqual(features.shape, reference.shape)
        let scale = reference.values.map { abs($0) }.max() ?? 1
        return zip(features.scalars, reference.values).map { abs(Double($0) - $1) }.max()! / scale
    }

    func testInceptionMatchesPytorchFID() throws {
        let parity = try loadFixture("feature_networks.json", as: Parity.self)
        let net = try network(.inceptionV3, try Self.weights(parity.inception_parameters))
        let error = relativeError(try net.features(parity.images.tensor), parity.inception)
        XCTAssertLessThan(error, 5e-6, "Inception-v3 features differ from pytorch-fid's by \(error) of the largest")
        print("Inception-v3 against pytorch-fid: largest difference \(error) of the largest feature")
    }

    func testResNet50MatchesTorchvisionInEitherNaming() throws {
        let parity = try loadFixture("feature_networks.json", as: Parity.self)
        let stateDict = try Self.weights(parity.resnet50_parameters)
        let features = try network(.resNet50, stateDict).features(parity.images.tensor)
        let error = relativeError(features, parity.resnet50)
        XCTAssertLessThan(error, 5e-6, "ResNet-50 features differ from torchvision's by \(error) of the largest")
        print("ResNet-50 against torchvision: largest difference \(error) of the largest feature")

        // RadImageNet's checkpoints hold the same tensors as nn.Sequential(children[:-1]) under
        // `backbone`, saved through DataParallel: the same network.
        let sequential = ["conv1": "0", "bn1": "1", "layer1": "4", "layer2": "5", "layer3": "6", "layer4": "7"]
        let renamed = stateDict.compactMap { path, tensor -> (path: String, tensor: Tensor)? in
            let head = String(path.prefix { $0 != "." }), rest = path.dropFirst(head.count)
            guard let index = sequential[head] else { return nil }  // fc is not in the backbone
            return ("module.backbone.\(index)\(rest)", tensor)
        }
        XCTAssertEqual(try network(.resNet50, renamed).features(parity.images.tensor), features)
    }

    func testWeightsThatDoNotFitAreNamed() throws {
        let parity = try loadFixture("feature_networks.json", as: Parity.self)
        var stateDict = try Self.weights(parity.resnet50_parameters)
        let missing = stateDict.remove(at: 5).path
        XCTAssertThrowsError(try network(.resNet50, stateDict)) { error in
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
        // One tensor under two names (DataParallel's prefix) is refused, naming both.
        let doubled = try Self.weights(parity.resnet50_parameters) + [("module.conv1.weight", try Tensor.zeros([64, 3, 7, 7]))]
        XCTAssertThrowsError(try network(.resNet50, doubled)) { error in
            XCTAssertTrue("\(error)".contains("conv1.weight and module.conv1.weight"), "\(error)")
        }
        // Inception's tensors are not a ResNet's.
        let inception = try deterministicWeights(Array(parity.inception_parameters.entries.prefix(5)))
        XCTAssertThrowsError(try network(.resNet50, inception)) { error in
            XCTAssertTrue("\(error)".contains("is missing"), "\(error)")
        }
    }

    func testACheckpointRoundTripKeepsTheNetworkAndItsHash() throws {
        let parity = try loadFixture("feature_networks.json", as: Parity.self)
        let net = try network(.resNet50, try Self.weights(parity.resnet50_parameters))
        let copy = try ModelRegistry.copy(net) as! PretrainedFeatureNetwork
        XCTAssertEqual(copy.architecture, .resNet50)
        XCTAssertEqual(copy.weightsDigest, net.weightsDigest)
        XCTAssertEqual(net.weightsDigest.count, 64)
        XCTAssertTrue(net.featureSource.hasPrefix("resnet50, weights sha256:"))
        // One changed value changes the hash.
        net.module.namedParameters()[0].variable.value = try Tensor.zeros(net.module.namedParameters()[0].variable.shape)
        XCTAssertNotEqual(net.weightsSHA256, copy.weightsDigest)
    }
}
