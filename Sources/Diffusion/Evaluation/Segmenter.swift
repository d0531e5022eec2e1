import Engine
import Formats

/// A segmentation network for judging generated images: a UNet at the image's own resolution,
/// from an image [N, C, H, W] to one logit per class and pixel, [N, K, H, W]. Capitão et al.
/// segment their generated images with a network trained on real ones and compare the result
/// with the mask the image was generated from (Dice); this is that network for the phantom.
///
/// The UNet is the benchmark UNet (docs/architecture.md), with its timestep embedding read at the fixed timestep 0: a
/// constant, which the first block's bias could equally hold. It is trained with the
/// cross-entropy of the softmax over the classes against the label map.
public final class Segmenter: Module {
    /// The checkpoint configuration's value of "model" for a segmenter.
    public static let checkpointKind = "segmenter"

    public let unet: UNet

    public init(unet: UNet) {
        self.unet = unet
    }

    /// A segmenter with fresh weights; the defaults make a small UNet (widths 16, 32, 64; one
    /// residual block per level; 2 attention heads) that fits 64x64 images.
    public convenience init(
        classes: Int, imageChannels: Int = 1, widths: [Int] = [16, 32, 64], blocksPerLevel: Int = 1,
        attentionHeads: Int = 2, groups: Int = 8, random: inout RandomStream
    ) throws {
        guard classes >= 2 else { throw ModuleError("Segmenter: needs at least 2 classes, got \(classes)") }
        let configuration = UNet.Configuration(
            inputChannels: imageChannels, outputChannels: classes, widths: widths, blocksPerLevel: blocksPerLevel,
            attentionHeads: attentionHeads, groups: groups, timeEmbeddingWidth: 4 * widths[0])
        self.init(unet: try UNet(configuration, random: &random))
    }

    /// K, the classes it tells apart (0 is the background).
    public var classes: Int { unet.configuration.outputChannels }
    public var imageChannels: Int { unet.configuration.inputChannels }

    /// The logits [N, K, H, W] of images [N, C, H, W].
    public func logits(_ images: Variable) throws -> Variable {
        guard images.shape.count == 4, images.shape[1] == imageChannels else {
            throw ModuleError("Segmenter: takes images [N, \(imageChannels), H, W], got \(images.shape)")
        }
        return try unet(images, timesteps: [Int](repeating: 0, count: images.shape[0]))
    }

    /// The mean cross-entropy of the logits against label maps [N, 1, H, W] holding 0 ..< K.
    public func loss(images: Tensor, labels: Tensor) throws -> Variable {
        guard labels.rank == 4, labels.shape[1] == 1, labels.shape[0] == images.shape[0],
              Array(labels.shape[2...]) == Array(images.shape[2...]) else {
            throw ModuleError("Segmenter: labels [N, 1, H, W] for images \(images.shape), got \(labels.shape)")
        }
        let classes = try labels.reshaped([labels.shape[0], labels.shape[2], labels.shape[3]])
        return try Loss.crossEntropy(try logits(Variable(images)), classes: classes)
    }

    /// Features of images [N, C, H, W] for distances between image sets: the mean and the
    /// standard deviation over positions of each channel of the UNet's bottleneck, [N, 2 C_L]
    /// (128 numbers for the default widths). A network trained to find anatomy summarises what
    /// it sees there; Fréchet distances on these features are comparable only with each other.
    public func features(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4, images.shape[1] == imageChannels else {
            throw ModuleError("Segmenter: takes images [N, \(imageChannels), H, W], got \(images.shape)")
        }
        let map = try GradientMode.withoutGradients {
            try unet.bottleneck(Variable(images), timesteps: [Int](repeating: 0, count: images.shape[0])).value
        }
        let n = map.shape[0], c = map.shape[1], positions = map.shape[2] * map.shape[3]
        var rows = [Float](repeating: 0, count: n * 2 * c)
        map.withUnsafeBufferPointer { values in
            for sample in 0..<n {
                for channel in 0..<c {
                    let base = (sample * c + channel) * positions
                    var sum = 0.0
                    for i in 0..<positions { sum += Double(values[base + i]) }
                    let mean = sum / Double(positions)
                    var squares = 0.0
                    for i in 0..<positions { squares += (Double(values[base + i]) - mean) * (Double(values[base + i]) - mean) }
                    rows[sample * 2 * c + channel] = Float(mean)
                    rows[sample * 2 * c + c + channel] = Float((squares / Double(positions)).squareRoot())
                }
            }
        }
        return try Tensor(shape: [n, 2 * c], scalars: rows)
    }

    /// The label map [N, 1, H, W] of images [N, C, H, W]: the class of the largest logit.
    public func segment(_ images: Tensor) throws -> Tensor {
        try GradientMode.withoutGradients {
            try logits(Variable(images)).value.argmax(axis: 1, keepDims: true)
        }
    }

    public var checkpointConfiguration: [String: String] {
        unet.configuration.checkpointEntries.merging(["model": Self.checkpointKind]) { $1 }
    }

    /// The segmenter a checkpoint describes, with its parameters.
    public convenience init(checkpoint: Checkpoint) throws {
        let entries = CheckpointEntries(checkpoint.configuration)
        try entries.requireModel(Self.checkpointKind)
        let configuration = try UNet.Configuration(checkpointEntries: entries)
        try configuration.validate()
        try ModelSize.requireCheckpoint(checkpoint, holds: configuration.parameterCount, model: "a segmenter")
        var unused = RandomStream(seed: 0)
        self.init(unet: try UNet(configuration, random: &unused))
        try checkpoint.load(into: self)
    }
}

extension Segmenter: DiffusionModel {
    public var module: Module { self }
    public var kindName: String { "segmenter of \(classes) classes" }
}

extension Segmenter: TrainableModel {
    public static var trainingInputs: Set<ModelInputError.Argument> { [.labels] }

    /// The cross-entropy of the mini-batch's images against their label maps, after checking
    /// that every label is one of its classes.
    public func trainingObjective(on data: TrainingData) throws -> Trainer.LossFunction {
        let images = data.data
        guard images.shape[1] == imageChannels else {
            throw ModelInputError(.data, "the segmenter takes \(imageChannels)-channel images", found: ModelInputError.shape(images.shape))
        }
        guard let labels = data.labels else {
            throw ModelInputError(.labels, "a segmenter trains on images and their labels")
        }
        guard labels.rank == 4, labels.shape[0] == images.shape[0], labels.shape[1] == 1, Array(labels.shape[2...]) == Array(images.shape[2...]) else {
            throw ModelInputError(.labels, "labels are one map [N, 1, H, W] per image of data \(images.shape)", found: ModelInputError.shape(labels.shape))
        }
        if let stray = labels.scalars.first(where: { !($0 >= 0 && $0 < Float(classes) && $0 == $0.rounded()) }) {
            let shown = stray.isNaN ? "NaN" : stray == stray.rounded() && abs(stray) < 1e9 ? String(Int(stray)) : "\(stray)"
            throw ModelInputError(.labels, "labels are whole numbers 0 ..< \(classes)", found: "the label \(shown)")
        }
        return { batch, _ in
            try self.loss(images: images.samples(at: batch.indices), labels: labels.samples(at: batch.indices))
        }
    }
}

