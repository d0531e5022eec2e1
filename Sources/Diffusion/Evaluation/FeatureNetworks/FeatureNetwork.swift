import Engine
import Formats

/// A network whose features compare sets of images: what `features` applies, and what Fréchet
/// distances, KID, precision and recall are computed through with `features=`. A result names
/// the network and the SHA-256 of its weights (`featureSource`), so a number can be traced to
/// the exact extractor that made it.
public protocol FeatureNetwork: DiffusionModel {
    /// The channel counts of the images it takes.
    var acceptedChannels: [Int] { get }
    /// The range its images are expected in, for messages and help: "0...1", "-1...1".
    var imageRange: String { get }
    /// Its name in results: "inception-v3", "segmenter of 4 classes".
    var featureNetworkName: String { get }
    /// Features [N, D] of images [N, C, H, W], without gradients.
    func features(_ images: Tensor) throws -> Tensor
    /// The network and its weights, as results name them.
    var featureSource: String { get }
}

/// Inception-v3 and ResNet-50: modules that map images to features.
protocol FrozenFeatureExtractor: Module {
    func features(_ images: Tensor) throws -> Tensor
}

extension InceptionV3: FrozenFeatureExtractor {}
extension ResNet50: FrozenFeatureExtractor {}

extension FeatureNetwork {
    /// The network and its weights, as results name them: "inception-v3, weights sha256:…".
    public var featureSource: String { "\(featureNetworkName), weights sha256:\(weightsSHA256)" }
}

extension DiffusionModel {
    /// The SHA-256 of the model's parameters: for each, in the module's order, its path, a zero
    /// byte, its shape as little-endian 64-bit integers and its values as little-endian float32.
    /// It names the weights whatever file format they came in.
    public var weightsSHA256: String {
        var hash = SHA256()
        for (path, variable) in module.namedParameters() {
            hash.update(Array(path.utf8) + [0])
            for extent in variable.shape { withUnsafeBytes(of: Int64(extent).littleEndian) { hash.update($0) } }
            variable.value.withUnsafeBufferPointer { values in
                // float32 is little-endian on every platform Swift runs medsynth on.
                hash.update(UnsafeRawBufferPointer(values))
            }
        }
        return hash.finalize()
    }
}

/// A standard feature network whose weights a user brings: Inception-v3 in pytorch-fid's layout
/// (for FID; Heusel et al. 2017) or torchvision's ResNet-50 (RadImageNet's and ImageNet's
/// weights). Made from a state dict (safetensors or HDF5) by `feature_network`; saved and cached
/// as a checkpoint of kind "feature_network".
public final class PretrainedFeatureNetwork: FeatureNetwork {
    public enum Architecture: String, CaseIterable, Sendable {
        case inceptionV3 = "inception_v3"
        case resNet50 = "resnet50"

        /// What it is and the layout its weights come in.
        public var summary: String {
            switch self {
            case .inceptionV3: return "Inception-v3 in pytorch-fid's layout (pt_inception-2015-12-05), 2048 pool features"
            case .resNet50: return "ResNet-50 in torchvision's layout (RadImageNet's backbone.N names too), 2048 pool features"
            }
        }
    }

    public static let checkpointKind = "feature_network"
    public let architecture: Architecture
    let network: any FrozenFeatureExtractor
    /// Computed once: hashing Inception's 95 MB of weights takes a while.
    public private(set) lazy var weightsDigest: String = weightsSHA256

    /// The network of `architecture` with the tensors of a state dict, by PyTorch's names. Names
    /// are accepted as torchvision and pytorch-fid write them, with DataParallel's `module.`
    /// prefix, and for ResNet-50 as RadImageNet's `backbone.N` Sequential; the classifier
    /// (`fc`, `AuxLogits`) and `num_batches_tracked` counters are ignored. A tensor missing, of
    /// another shape, or unknown is named in the error.
    public init(architecture: Architecture, stateDict: [(path: String, tensor: Tensor)], source: String) throws {
        self.architecture = architecture
        // Each tensor by this module's name; one name reached from two (conv1 and module.conv1) is refused.
        var weights: [(path: String, tensor: Tensor)] = [], originals: [String: String] = [:]
        for (original, tensor) in stateDict {
            guard let path = Self.standardName(original, architecture: architecture) else { continue }
            if let first = originals[path] {
                throw ModuleError("\(first) and \(original) in \(source) are both \(path): one state dict holds it twice")
            }
            originals[path] = original
            weights.append((path, tensor))
        }
        switch architecture {
        case .inceptionV3: network = try InceptionV3(weights: weights, source: source)
        case .resNet50: network = try ResNet50(weights: weights, source: source)
        }
        network.setTraining(false)
    }

    public convenience init(checkpoint: Checkpoint) throws {
        let entries = CheckpointEntries(checkpoint.configuration)
        try entries.requireModel(Self.checkpointKind)
        let name = checkpoint.configuration["architecture"] ?? ""
        guard let architecture = Architecture(rawValue: name) else {
            throw CheckpointError(parameter: nil, "configuration \"architecture\" is \"\(name)\", expected "
                + Architecture.allCases.map(\.rawValue).joined(separator: " or "))
        }
        try self.init(architecture: architecture, stateDict: checkpoint.parameters, source: "the checkpoint")
    }

    /// A state dict's name as this module's parameter is named, or nil for a tensor it does not use.
    static func standardName(_ path: String, architecture: Architecture) -> String? {
        // RadImageNet's ResNet-50 is nn.Sequential(*list(resnet50().children())[:-1]) under `backbone`.
        let sequential = ["0": "conv1", "1": "bn1", "4": "layer1", "5": "layer2", "6": "layer3", "7": "layer4"]
        var parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        while parts.first == "module" { parts.removeFirst() }
        if architecture == .resNet50, parts.count > 2, parts[0] == "backbone", let name = sequential[parts[1]] {
            parts = [name] + parts.dropFirst(2)
        }
        if parts.last == "num_batches_tracked" || ["fc", "AuxLogits"].contains(parts.first) { return nil }
        return parts.joined(separator: ".")
    }

    public var checkpointConfiguration: [String: String] {
        ["model": Self.checkpointKind, "architecture": architecture.rawValue]
    }

    public var module: Module { network }

    public var kindName: String {
        switch architecture {
        case .inceptionV3: return "Inception-v3 feature network (pytorch-fid)"
        case .resNet50: return "ResNet-50 feature network (torchvision)"
        }
    }

    public var acceptedChannels: [Int] { [1, 3] }
    public var imageRange: String { "0...1" }
    public var featureNetworkName: String { architecture.rawValue }
    public var featureSource: String { "\(featureNetworkName), weights sha256:\(weightsDigest)" }

    /// Images per pass: a batch of 299 x 299 images holds about 25 MB of activations per image.
    static let batchSize = 8

    public func features(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4, images.shape[0] > Self.batchSize else { return try network.features(images) }
        return try Tensor.concat(try stride(from: 0, to: images.shape[0], by: Self.batchSize).map { start in
            try network.features(try images.samples(at: Array(start..<min(start + Self.batchSize, images.shape[0]))))
        })
    }
}
