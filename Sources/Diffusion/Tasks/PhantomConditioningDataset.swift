import Engine
import Imaging

/// A condition a synthesis model can be given, as in Capitão et al. (mask- and edge-conditioned
/// cardiac MRI synthesis).
public enum PhantomCondition: String, Sendable, CaseIterable {
    /// The one-hot segmentation mask: 4 channels, background, RV, myocardium, LV (ACDC labels 0 to 3).
    case mask
    /// The Canny edges of the image: 1 channel, 1 on edges and 0 elsewhere.
    case edges

    /// The number of channels the condition occupies.
    public var channels: Int { self == .mask ? PhantomConditioningDataset.classes : 1 }
}

/// Which cardiac phases a data set draws for each subject.
public enum PhantomPhases: Sendable, Equatable {
    /// One image per subject at the phase the subject draws itself.
    case drawn
    /// One image per subject at this phase (0 end-diastole, 1 end-systole).
    case fixed(Float)
    /// Two images per subject, end-diastole then end-systole (as ACDC's two labelled frames).
    case endDiastoleAndSystole
}

/// Images paired with their conditions, from Imaging's cardiac phantom: the training data of
/// mask- and edge-conditioned synthesis.
///
/// - `images`: [N, 1, S, S], the phantom's [0, 1] intensities scaled to [-1, 1] (2x - 1), the
///   range diffusion models are trained in;
/// - `labels`: [N, 1, S, S], ACDC labels 0 to 3;
/// - `masks`: [N, 4, S, S], the labels one-hot (`oneHot`), summing to 1 at every pixel;
/// - `edges`: [N, 1, S, S], `canny` of each image in [-1, 1] with `edgeSigma`, 0 or 1.
///
/// Subject k's sample(s) sit at position k - first (or 2 (k - first) and 2 (k - first) + 1 with
/// both phases).
public struct PhantomConditioningDataset: Sendable {
    /// Label classes of the mask: background, RV, myocardium, LV.
    public static let classes = 4

    /// The images [N, 1, S, S] in [-1, 1].
    public let images: Tensor
    /// The ACDC labels [N, 1, S, S], 0 to 3.
    public let labels: Tensor
    /// The one-hot masks [N, 4, S, S].
    public let masks: Tensor
    /// The Canny edges [N, 1, S, S], 0 or 1.
    public let edges: Tensor

    /// Subjects `first ..< first + count` of `Phantom(seed:size:noiseSigma:)`, at `phases`. Edges use Canny
    /// with Gaussian `edgeSigma` and `edgeThresholds` (by default the 80th and 90th percentiles of
    /// each image's gradient magnitude, which keeps the strongest ~10 % as edge candidates).
    public init(seed: UInt64, size: Int, first: Int = 0, count: Int, phases: PhantomPhases = .drawn,
                noiseSigma: Float = 0.03,
                edgeSigma: Double = 1, edgeThresholds: CannyThresholds = .quantiles(low: 0.8, high: 0.9)) throws {
        let phantom = try Phantom(seed: seed, size: size, noiseSigma: noiseSigma)
        let batch: (images: Tensor, labels: Tensor)
        switch phases {
        case .drawn:
            batch = try phantom.batch(count: count, first: first)
        case .fixed(let phase):
            batch = try phantom.batch(count: count, first: first, phase: phase)
        case .endDiastoleAndSystole:
            let diastole = try phantom.batch(count: count, first: first, phase: 0)
            let systole = try phantom.batch(count: count, first: first, phase: 1)
            // Interleave: [ED 0, ES 0, ED 1, ES 1, ...].
            let interleave = { (a: Tensor, b: Tensor) in
                try Tensor.stack([a, b], axis: 1).reshaped([2 * count, 1, size, size])
            }
            batch = (try interleave(diastole.images, systole.images), try interleave(diastole.labels, systole.labels))
        }
        images = batch.images * 2 - 1
        labels = batch.labels
        masks = try oneHot(batch.labels, classes: Self.classes)
        edges = try canny(images, sigma: edgeSigma, thresholds: edgeThresholds)
    }

    /// The number of samples.
    public var count: Int { images.shape[0] }

    /// The chosen conditions stacked along the channels, [N, Cc, S, S] in the order given, with
    /// their layout: one group per condition, each dropped with `dropProbability` in training.
    public func conditions(_ selection: [PhantomCondition], dropProbability: Float = 0.1) throws -> (tensor: Tensor, layout: ConditionLayout) {
        guard !selection.isEmpty, Set(selection).count == selection.count else {
            throw TensorError("PhantomConditioningDataset.conditions", "needs each condition at most once and at least one, got \(selection.map(\.rawValue))")
        }
        let layout = try ConditionLayout(selection.map {
            ConditionGroup(name: $0.rawValue, channels: $0.channels, dropProbability: dropProbability)
        })
        let tensor = try Tensor.concat(selection.map { $0 == .mask ? masks : edges }, axis: 1)
        return (tensor, layout)
    }
}
