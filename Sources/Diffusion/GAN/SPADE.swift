import Engine
import Formats

/// A conditional image generator: images straight from conditions, one pass, no latent and no
/// sampler. What `synthesise` applies.
public protocol ConditionalImageGenerator: DiffusionModel {
    /// Its condition groups, in channel order.
    var conditionLayout: ConditionLayout { get }
    /// The channels of the images it makes.
    var imageChannels: Int { get }
    /// Images [N, C, H, W] in -1...1 for conditions [N, C_c, H, W], in evaluation mode, without gradients.
    func generate(conditions: Tensor) throws -> Tensor
}

/// SPADE (Park et al. 2019) as a kind of model: the GAN baseline Capitão et al. compare their
/// latent diffusion model with. Its checkpoint holds the generator; the multi-scale
/// discriminator it is trained against exists only while `train` runs (its weights and
/// optimizer travel in training checkpoints, so a run resumes exactly).
///
/// Training (the paper's section 3 and appendix A at the course's scale): the hinge loss with
/// feature matching (weight 10), the discriminator stepped once after each generator step with
/// Adam (beta1 = 0, beta2 = 0.9) at 4 times the generator's learning rate (the two time-scale
/// rule). Left out: the VGG perceptual term (no ImageNet weights) and spectral normalisation.
public final class SPADE: DiffusionModel, TrainableModel, ConditionalImageGenerator {
    public static let checkpointKind = "spade"
    public let generator: SPADEGenerator
    public let conditionLayout: ConditionLayout
    public let hidden: Int
    /// The discriminator of the current training run (`trainingAdversary`), nil otherwise.
    private var discriminator: MultiScaleDiscriminator?
    /// The discriminator's width and scales.
    public static let discriminatorWidth = 32, discriminatorScales = 2
    /// The discriminator's learning rate over the generator's.
    public static let discriminatorRateFactor: Float = 4

    public init(layout: ConditionLayout, imageChannels: Int = 1, widths: [Int] = [64, 64, 32, 16], hidden: Int = 32,
                random: inout RandomStream) throws {
        guard widths.count <= 7, widths.allSatisfy({ $0 <= 1024 }), hidden <= 1024 else {
            throw ModuleError("SPADE: at most 7 levels of at most 1024 channels, got widths \(widths), hidden \(hidden)")
        }
        conditionLayout = layout
        self.hidden = hidden
        generator = try SPADEGenerator(conditionChannels: layout.channels, imageChannels: imageChannels, widths: widths,
                                       hidden: hidden, random: &random)
    }

    public var imageChannels: Int { generator.imageChannels }
    public var module: Module { generator }
    public var kindName: String { "SPADE generator on \(conditionLayout.groups.map(\.name).joined(separator: " + "))" }

    public var checkpointConfiguration: [String: String] {
        [
            "model": Self.checkpointKind,
            "conditions": conditionLayout.groups.map { "\($0.name):\($0.channels)" }.joined(separator: ","),
            "imageChannels": "\(imageChannels)",
            "widths": generator.widths.map(String.init).joined(separator: ","),
            "hidden": "\(hidden)",
        ]
    }

    public convenience init(checkpoint: Checkpoint) throws {
        let entries = CheckpointEntries(checkpoint.configuration)
        try entries.requireModel(Self.checkpointKind)
        let groups = try entries.string("conditions").split(separator: ",").map { part -> ConditionGroup in
            let fields = part.split(separator: ":")
            guard fields.count == 2, let channels = Int(fields[1]), channels > 0 else {
                throw CheckpointError(parameter: nil, "configuration \"conditions\" has the malformed group \"\(part)\"")
            }
            return ConditionGroup(name: String(fields[0]), channels: channels, dropProbability: 0)
        }
        let widths = try entries.string("widths").split(separator: ",").map { part -> Int in
            guard let width = Int(part), width > 0 else {
                throw CheckpointError(parameter: nil, "configuration \"widths\" has the malformed width \"\(part)\"")
            }
            return width
        }
        var unused = RandomStream(seed: 0)
        try self.init(layout: try ConditionLayout(groups), imageChannels: try entries.number("imageChannels", as: Int.self),
                      widths: widths, hidden: try entries.number("hidden", as: Int.self), random: &unused)
        try checkpoint.load(into: generator)
    }

    /// The `spade` verb.
    public static let recipe: ModelRecipe? = ModelRecipe(
        verb: "spade",
        summary: "A new SPADE generator (Park et al. 2019): images straight from conditions, the GAN baseline of the conditioning experiment.",
        details: "widths=[w0, ..., wL]: a 3x3 convolution maps the condition, averaged down to side / 2^L, to w0 channels; "
            + "a SPADE residual block works there, and each next level doubles the grid and goes to the next width. "
            + "train trains it against a two-scale PatchGAN discriminator with the hinge loss and feature matching; "
            + "synthesise applies it.",
        example: "g = spade cond={mask: 4, edges: 1} widths=[32, 32, 16]",
        options: [
            ModelOption("cond", .conditionGroups, default: .number(4), "condition channels (one group), or a record of groups, e.g. {mask: 4, edges: 1}"),
            ModelOption("channels", .integer(1...16), default: .number(1), "image channels"),
            ModelOption("widths", .widths(levels: 2...7), default: .integers([64, 64, 32, 16]), "the width of each level, coarsest first"),
            ModelOption("hidden", .integer(1...1024), default: .number(32), "channels of each SPADE's hidden layer"),
        ]
    ) { options, random in
        let layout = try ConditionLayout(try options.groups("cond").map { ConditionGroup(name: $0.name, channels: $0.channels, dropProbability: 0) })
        return try SPADE(layout: layout, imageChannels: try options.int("channels"), widths: try options.integers("widths"),
                         hidden: try options.int("hidden"), random: &random)
    }

    public func generate(conditions: Tensor) throws -> Tensor {
        generator.setTraining(false)
        return try GradientMode.withoutGradients { try generator(Variable(conditions)).value }
    }

    // MARK: Training

    public static var trainingInputs: Set<ModelInputError.Argument> { [.conditions] }

    /// The images and their conditions, checked against the model.
    private func trainingTensors(_ data: TrainingData) throws -> (images: Tensor, conditions: Tensor) {
        guard let parts = data.conditions else {
            throw ModelInputError(.conditions, "a SPADE generator trains on images and their conditions", expected: conditionLayout.groupList)
        }
        let conditions = try conditionLayout.condition(ordered: parts, count: data.count)
        guard data.data.shape[1] == imageChannels, data.data.shape[2] == conditions.shape[2], data.data.shape[3] == conditions.shape[3] else {
            throw ModelInputError(.data, "SPADE makes \(imageChannels)-channel images the size of their conditions "
                + "(\(conditions.shape[2])x\(conditions.shape[3])), signed in -1...1", found: ModelInputError.shape(data.data.shape))
        }
        return (data.data, conditions)
    }

    public func trainingAdversary(on data: TrainingData, learningRate: Float, random: inout RandomStream) throws -> TrainingAdversary? {
        let (images, conditions) = try trainingTensors(data)
        let discriminator = try MultiScaleDiscriminator(
            inputChannels: conditionLayout.channels + imageChannels, width: Self.discriminatorWidth, scales: Self.discriminatorScales,
            random: &random)
        self.discriminator = discriminator
        let generator = self.generator
        return try TrainingAdversary(
            model: discriminator,
            optimizer: Adam(parameters: discriminator.parameters, learningRate: learningRate * Self.discriminatorRateFactor, beta1: 0, beta2: 0.9)
        ) { batch, _ in
            let c = Variable(try conditions.samples(at: batch.indices)), x = Variable(try images.samples(at: batch.indices))
            let fake = try GradientMode.withoutGradients { Variable(try generator(c).value) }
            return try SPADELoss.discriminator(
                real: try discriminator(conditions: c, images: x), fake: try discriminator(conditions: c, images: fake))
        }
    }

    public func trainingObjective(on data: TrainingData) throws -> Trainer.LossFunction {
        let (images, conditions) = try trainingTensors(data)
        guard let discriminator else {
            throw ModuleError("SPADE: the discriminator is made by trainingAdversary, which train calls first")
        }
        let generator = self.generator
        return { batch, _ in
            let c = Variable(try conditions.samples(at: batch.indices)), x = Variable(try images.samples(at: batch.indices))
            return try SPADELoss.generator(
                real: try discriminator(conditions: c, images: x), fake: try discriminator(conditions: c, images: try generator(c)))
        }
    }

    public func finishTraining(on data: TrainingData) throws {
        discriminator = nil
    }
}
