import Engine
import Foundation

/// The metrics of `metric`, each as a statistic that resampling can recompute on any selection of
/// images: per-image pieces (a squared error, an image's edge matches, its SSIM) are computed
/// once, and a selection's value follows from them; feature-set metrics recompute on the
/// selected rows.
public enum MetricKind: String, Sendable, CaseIterable {
    case ssim, msssim, psnr, nmse, mse, mae, dice, edgef1, frechet, kid, precision, recall, density, coverage

    /// Whether the metric compares two sets of feature rows (any number of each) rather than
    /// images paired one to one.
    public var comparesSets: Bool {
        switch self {
        case .frechet, .kid, .precision, .recall, .density, .coverage: return true
        default: return false
        }
    }

    /// The reduction the metric uses when none is asked for.
    public var defaultReduction: MetricReduction {
        switch self {
        case .ssim, .msssim: return .mean
        default: return .pooled
        }
    }
}

/// How a metric of a batch reduces: the mean of each image's value, or one value of sums pooled
/// over the batch (a pooled NMSE is Σ||x - y||² / Σ||y||², which weighs bright images more).
public enum MetricReduction: String, Sendable, CaseIterable {
    case mean, pooled
}

/// The settings a metric may use.
public struct MetricSettings: Sendable {
    /// ssim, msssim, psnr: the width of the images' value range.
    public var dataRange = 1.0
    public var reduction: MetricReduction?
    /// dice: the classes averaged over.
    public var classes: [Int] = []
    /// edgef1: the matching distance in pixels.
    public var tolerance = 1
    /// precision, recall, density, coverage: the k of the k-th nearest neighbour; nil for the
    /// papers' defaults (3 for precision and recall, 5 for density and coverage).
    public var neighbours: Int?
    public var convention = SSIMConvention.scikitImage

    public init() {}

    /// The k a nearest-neighbour metric uses.
    public func k(for kind: MetricKind) -> Int {
        neighbours ?? (kind == .density || kind == .coverage ? 5 : 3)
    }
}

extension Metrics {
    /// `kind` of each of `generated` against `reference`, pooled into one statistic whose rows
    /// are the images (or feature rows) of `generated[0]`, then `generated[1]`, ...: with one
    /// set, the metric of that set; with two, the pooled rows a paired comparison resamples.
    /// Images compared one to one must each have `reference`'s shape.
    public static func statistic(
        _ kind: MetricKind, generated: [Tensor], reference: Tensor, settings: MetricSettings,
        cancellation: CancellationFlag? = nil
    ) throws -> ResampledStatistic {
        let reduction = settings.reduction ?? kind.defaultReduction
        if kind.comparesSets {
            return try setStatistic(kind, generated: generated, reference: reference, settings: settings)
        }
        for set in generated where set.shape != reference.shape {
            throw TensorError(kind.rawValue, "the images have different shapes, \(describeShape(set.shape)) and \(describeShape(reference.shape))")
        }
        switch kind {
        case .ssim, .msssim:
            guard reduction == .mean else {
                throw TensorError(kind.rawValue, "\(kind.rawValue) is a mean of per-image scores; it has no pooled form")
            }
            let scores = try generated.flatMap { set in
                kind == .ssim
                    ? try structuralSimilarityPerImage(
                        set, reference, dataRange: settings.dataRange, convention: settings.convention, cancellation: cancellation)
                    : try multiScaleStructuralSimilarityPerImage(
                        set, reference, dataRange: settings.dataRange, convention: settings.convention, cancellation: cancellation)
            }
            return .mean(scores)
        case .psnr, .nmse, .mse, .mae:
            if kind == .psnr {
                try requireDataRange("peakSignalToNoiseRatio", settings.dataRange, covers: [reference] + generated)
            }
            let sums = try generated.flatMap { try pixelErrorSums(kind.rawValue, $0, reference) }
            return pixelErrorStatistic(kind, sums, reduction: reduction, dataRange: settings.dataRange)
        case .dice:
            let counts = try generated.flatMap { try diceCounts($0, reference, classes: settings.classes) }
            return diceStatistic(counts, classes: settings.classes.count, reduction: reduction)
        case .edgef1:
            let counts = try generated.flatMap {
                try edgeMatchCounts(predicted: $0, reference: reference, tolerance: settings.tolerance, cancellation: cancellation)
            }
            switch reduction {
            case .pooled: return ResampledStatistic(subjects: counts.count) { rows, _ in rows.reduce(EdgeMatchCounts()) { $0 + counts[$1] }.f1 }
            case .mean: return meanOfDefined(counts.map(\.f1))
            }
        default:
            fatalError("unreachable: set metrics return above")
        }
    }

    /// A feature-set metric on the selected generated rows against the selected reference rows.
    private static func setStatistic(
        _ kind: MetricKind, generated: [Tensor], reference: Tensor, settings: MetricSettings
    ) throws -> ResampledStatistic {
        guard let first = generated.first else { throw TensorError(kind.rawValue, "no feature set to score") }
        let rows = try rowsOf(kind.rawValue, flattenedRows(first))
        var pooled = rows
        for set in generated.dropFirst() {
            let other = try rowsOf(kind.rawValue, flattenedRows(set))
            guard other.shape[1] == rows.shape[1] else {
                throw TensorError(kind.rawValue, "the feature sets have different widths, \(describeShape(rows.shape)) and \(describeShape(other.shape))")
            }
            pooled = try Tensor.concat([pooled, other], axis: 0)
        }
        let real = try rowsOf(kind.rawValue, flattenedRows(reference))
        switch kind {
        case .frechet:
            return ResampledStatistic(subjects: pooled.shape[0], references: real.shape[0], centred: true, support: 0...Double.infinity) { rows, references in
                try frechetDistance(selectRows(pooled, rows), selectRows(real, references))
            }
        case .kid:
            let kernels = try KernelSets(generated: pooled, real: real)
            return ResampledStatistic(subjects: pooled.shape[0], references: real.shape[0], centred: true) { rows, references in
                kernels.distance(generatedRows: rows, realRows: references)
            }
        default:
            let k = settings.k(for: kind)
            try NearestNeighbourSets.requireNeighbours(k, real: real.shape[0], generated: rows.shape[0])
            let sets = try NearestNeighbourSets(real: real, generated: pooled)
            let support: ClosedRange<Double> = kind == .density ? 0...Double.infinity : 0...1
            return ResampledStatistic(subjects: pooled.shape[0], references: real.shape[0], centred: true, support: support) { rows, references in
                let scores = sets.scores(k: k, realRows: references, generatedRows: rows)
                switch kind {
                case .precision: return scores.precision
                case .recall: return scores.recall
                case .density: return scores.density
                default: return scores.coverage
                }
            }
        }
    }

    /// [N, ...] as [N, D]: an image batch's rows, one per image; [N, D] as it is.
    public static func flattenedRows(_ tensor: Tensor) throws -> Tensor {
        guard tensor.rank != 2 else { return tensor }
        let count = max(1, tensor.shape.first ?? 1)
        return try tensor.reshaped([count, tensor.count / count])
    }

    private static func rowsOf(_ op: String, _ tensor: Tensor) throws -> Tensor {
        guard tensor.rank == 2, tensor.shape[0] > 0, tensor.shape[1] > 0 else {
            throw TensorError(op, "expected feature rows [n, d], got \(describeShape(tensor.shape))")
        }
        return tensor
    }

    /// The mean of the values that are numbers (an image without edges has no F1).
    private static func meanOfDefined(_ values: [Double]) -> ResampledStatistic {
        ResampledStatistic(subjects: values.count) { rows, _ in
            let defined = rows.map { values[$0] }.filter { !$0.isNaN }
            return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
        }
    }

    // MARK: Pixel errors

    /// One image's sums: squared and absolute errors, the reference's energy, the value count.
    public struct PixelErrorSums: Sendable {
        public var squared = 0.0, absolute = 0.0, energy = 0.0, count = 0
    }

    /// The sums of each image of a batch: images along the first axis of a tensor of rank 3 or
    /// more ([N, 1, H, W], [N, H, W]); a tensor of rank 2 or less is one image.
    public static func pixelErrorSums(_ op: String, _ x: Tensor, _ y: Tensor) throws -> [PixelErrorSums] {
        try requireSameShape(op, x, y)
        for (tensor, name) in [(x, "generated"), (y, "reference")] where tensor.scalars.contains(where: { !$0.isFinite }) {
            throw TensorError(op, "the \(name) images hold a NaN or an infinity")
        }
        let images = x.rank >= 3 ? x.shape[0] : 1
        let size = x.count / images
        return x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                (0..<images).map { n in
                    var sums = PixelErrorSums(count: size)
                    for i in n * size..<(n + 1) * size {
                        let difference = Double(x[i]) - Double(y[i])
                        sums.squared += difference * difference
                        sums.absolute += abs(difference)
                        sums.energy += Double(y[i]) * Double(y[i])
                    }
                    return sums
                }
            }
        }
    }

    /// PSNR, NMSE, MSE or MAE from per-image sums: pooled (the sums of the selection, then the
    /// ratio) or the mean of per-image values. An image whose reference is all zeros has no NMSE.
    static func pixelErrorStatistic(
        _ kind: MetricKind, _ sums: [PixelErrorSums], reduction: MetricReduction, dataRange: Double
    ) -> ResampledStatistic {
        func value(_ s: PixelErrorSums) -> Double {
            switch kind {
            case .psnr: return 10 * log10(dataRange * dataRange / (s.squared / Double(s.count)))
            case .nmse: return s.energy > 0 ? s.squared / s.energy : .nan
            case .mse: return s.squared / Double(s.count)
            default: return s.absolute / Double(s.count)
            }
        }
        switch reduction {
        case .mean:
            return ResampledStatistic(subjects: sums.count) { rows, _ in
                rows.reduce(0.0) { $0 + value(sums[$1]) } / Double(rows.count)
            }
        case .pooled:
            return ResampledStatistic(subjects: sums.count) { rows, _ in
                value(rows.reduce(PixelErrorSums()) { total, row in
                    PixelErrorSums(
                        squared: total.squared + sums[row].squared, absolute: total.absolute + sums[row].absolute,
                        energy: total.energy + sums[row].energy, count: total.count + sums[row].count)
                })
            }
        }
    }

    // MARK: Dice

    /// For each image (the first axis of a tensor of rank 3 or more; rank 2 is one image) and
    /// each class: (pixels in both maps, pixels in either map counted twice when in both).
    public static func diceCounts(_ prediction: Tensor, _ target: Tensor, classes: [Int]) throws -> [[(overlap: Int, total: Int)]] {
        guard prediction.shape == target.shape else {
            throw TensorError("dice", "the label maps have different shapes, "
                + "\(describeShape(prediction.shape)) and \(describeShape(target.shape))")
        }
        let images = prediction.rank >= 3 ? prediction.shape[0] : 1
        let size = prediction.count / max(images, 1)
        let p = prediction.scalars, t = target.scalars
        return try (0..<images).map { n in
            try classes.map { c in
                var overlap = 0, total = 0
                for i in n * size..<(n + 1) * size {
                    guard let a = Int(exactly: p[i]), let b = Int(exactly: t[i]) else {
                        throw TensorError("dice", "image \(n) holds a value that is not a class number: \(Int(exactly: p[i]) == nil ? p[i] : t[i])")
                    }
                    if a == c { total += 1 }
                    if b == c { total += 1 }
                    if a == c && b == c { overlap += 1 }
                }
                return (overlap, total)
            }
        }
    }

    /// Dice averaged over the classes present: pooled (each class's counts summed over the
    /// selection, as `dicePerClass` of the whole batch) or the mean of per-image Dice (each image
    /// averaged over the classes in it; an image with none of them left out).
    static func diceStatistic(_ counts: [[(overlap: Int, total: Int)]], classes: Int, reduction: MetricReduction) -> ResampledStatistic {
        func average(_ perClass: [(overlap: Int, total: Int)]) -> Double {
            let scores = perClass.filter { $0.total > 0 }.map { 2 * Double($0.overlap) / Double($0.total) }
            return scores.isEmpty ? .nan : scores.reduce(0, +) / Double(scores.count)
        }
        switch reduction {
        case .pooled:
            return ResampledStatistic(subjects: counts.count) { rows, _ in
                var summed = [(overlap: Int, total: Int)](repeating: (0, 0), count: classes)
                for row in rows {
                    for c in 0..<classes {
                        summed[c].overlap += counts[row][c].overlap
                        summed[c].total += counts[row][c].total
                    }
                }
                return average(summed)
            }
        case .mean:
            return meanOfDefined(counts.map(average))
        }
    }
}
