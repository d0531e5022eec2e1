import Engine
import Foundation

/// A statistic of a set of images with its confidence interval: the value on the whole set, the
/// bounds of a percentile bootstrap interval and, for a difference between two models scored on
/// the same subjects, the p-value of a paired permutation test.
public struct Estimate: Sendable, Equatable, Codable {
    /// The statistic on the whole set.
    public var value: Double
    /// The bounds of the `level` interval.
    public var lower: Double
    public var upper: Double
    /// The interval's coverage: 0.95 for a 95% interval.
    public var level: Double
    /// How many subjects (rows, images) were resampled.
    public var count: Int
    /// How many bootstrap replicates gave a number (replicates whose statistic is undefined,
    /// such as an edge F1 of a resample without edges, are left out).
    public var resamples: Int
    /// For a difference of two models: the two-sided p-value of "the models score the same".
    public var pValue: Double?
    /// For a metric on a network's features: the network and the SHA-256 of its weights.
    public var features: String?

    public init(
        value: Double, lower: Double, upper: Double, level: Double, count: Int, resamples: Int, pValue: Double? = nil,
        features: String? = nil
    ) {
        self.value = value
        self.lower = lower
        self.upper = upper
        self.level = level
        self.count = count
        self.resamples = resamples
        self.pValue = pValue
        self.features = features
    }

    /// A value without an interval, kept as an estimate for what it carries (the feature
    /// network it was computed through): no resamples, NaN bounds.
    public static func point(_ value: Double, count: Int, features: String?) -> Estimate {
        Estimate(value: value, lower: .nan, upper: .nan, level: 0, count: count, resamples: 0, features: features)
    }

    /// False for a `point`: a value without bounds.
    public var hasInterval: Bool { resamples > 0 }
}

/// A statistic that can be recomputed on any selection of a sample's rows: the pieces
/// resampling needs. `subjects` rows are the set being scored (generated images, each paired
/// with its reference image when the metric compares image to image); `references` rows are an
/// independent reference set (real images for a Fréchet distance), 0 when there is none.
/// `compute(subjectRows, referenceRows)` is the statistic on those rows, repeats included.
///
/// `centred` marks a statistic that repeats bias: a Fréchet distance, a KID or a nearest-
/// neighbour score of a resample, which holds each row about 0.63 times as distinct rows, sits
/// above (or below) the value of the set it came from, often by more than its spread. Its
/// replicates are shifted by that bias before the interval is read (see `Resampling`).
///
/// `support` is the range the statistic can take (a share lies in 0...1, a distance is at least
/// 0): a centred interval is clipped to it.
public struct ResampledStatistic {
    public let subjects: Int
    public let references: Int
    public let centred: Bool
    public let support: ClosedRange<Double>
    public let compute: (_ subjectRows: [Int], _ referenceRows: [Int]) throws -> Double

    public init(
        subjects: Int, references: Int = 0, centred: Bool = false, support: ClosedRange<Double> = -Double.infinity...Double.infinity,
        compute: @escaping (_ subjectRows: [Int], _ referenceRows: [Int]) throws -> Double
    ) {
        self.subjects = subjects
        self.references = references
        self.centred = centred
        self.support = support
        self.compute = compute
    }

    /// The mean of per-subject values (a mean SSIM).
    public static func mean(_ values: [Double]) -> ResampledStatistic {
        ResampledStatistic(subjects: values.count) { rows, _ in
            rows.reduce(0.0) { $0 + values[$1] } / Double(rows.count)
        }
    }

    /// A pooled ratio Σ numerators / Σ denominators over the selected subjects, passed through
    /// `transform` (a pooled NMSE is ||x - y||² / ||y||², a pooled PSNR 10 log10(R² / MSE)).
    public static func pooledRatio(
        _ numerators: [Double], _ denominators: [Double], transform: @escaping (Double) -> Double = { $0 }
    ) -> ResampledStatistic {
        ResampledStatistic(subjects: numerators.count) { rows, _ in
            var top = 0.0, bottom = 0.0
            for row in rows {
                top += numerators[row]
                bottom += denominators[row]
            }
            return transform(top / bottom)
        }
    }
}

/// Percentile bootstrap intervals (Efron and Tibshirani 1993, ch. 13) and paired permutation
/// tests, drawn from a `RandomKey`, so that the same notebook gives the same interval.
///
/// A replicate draws `subjects` rows with replacement from the subjects and, independently,
/// `references` rows from the reference set, and recomputes the statistic; the interval's bounds
/// are the (1 - level)/2 and (1 + level)/2 quantiles of the replicates (linear interpolation
/// between order statistics, numpy's default). Images paired with their reference (SSIM of a
/// generated image against its real one) are resampled as pairs.
///
/// For a `centred` statistic the replicates are first shifted by the bootstrap's estimate of
/// bias, mean(replicates) - value (Efron and Tibshirani 1993, §10.2), so that the interval
/// describes the spread of the statistic around its value at this sample size rather than
/// around the resamples' inflated one: a Fréchet distance of 64 images against 256 is compared
/// with others of 64 against 256.
public enum Resampling {
    /// What to draw: the interval's level, how many replicates and from which key.
    public struct Plan: Sendable {
        public var level: Double
        public var resamples: Int
        public var key: RandomKey

        public init(level: Double = 0.95, resamples: Int = 2000, key: RandomKey) {
            self.level = level
            self.resamples = resamples
            self.key = key
        }
    }

    /// The statistic on all rows, with its bootstrap interval.
    public static func estimate(
        _ statistic: ResampledStatistic, plan: Plan, cancellation: CancellationFlag? = nil
    ) throws -> Estimate {
        try validate(plan, subjects: statistic.subjects)
        let all = Array(0..<statistic.subjects), allReferences = Array(0..<statistic.references)
        let value = try statistic.compute(all, allReferences)
        var draws = IndexDraws(plan.key.child("bootstrap"))
        let replicates = try inChunks(plan.resamples, cancellation: cancellation) {
            (draws.rows(statistic.subjects), draws.rows(statistic.references))
        } compute: { try statistic.compute($0.0, $0.1) }
        return try interval(value, replicates, plan: plan, count: statistic.subjects, centred: statistic.centred, support: statistic.support)
    }

    /// The difference A - B of a statistic between two models scored on the same subjects, with
    /// a paired bootstrap interval and a paired permutation test.
    ///
    /// `pooled` holds both models' rows: subject i of model A is row i, of model B row i + n
    /// (n = `pooled.subjects / 2`); its reference rows are shared. A bootstrap replicate draws
    /// subjects i with replacement and scores A on rows i, B on rows i + n, against one draw of
    /// the references. The permutation test swaps, subject by subject with probability 1/2,
    /// which model each of the pair's rows belongs to: under "the models score the same" the
    /// swapped difference is as likely as the observed one. The p-value is
    /// (1 + #{|swapped| >= |observed|}) / (1 + resamples), two-sided (Phipson and Smyth 2010).
    public static func difference(
        _ pooled: ResampledStatistic, plan: Plan, cancellation: CancellationFlag? = nil
    ) throws -> Estimate {
        guard pooled.subjects % 2 == 0 else {
            throw TensorError("difference", "internal error: the pooled rows of two models must be even, not \(pooled.subjects)")
        }
        let n = pooled.subjects / 2
        try validate(plan, subjects: n)
        let allReferences = Array(0..<pooled.references)
        func difference(_ rows: [Int], _ referenceRows: [Int], swapped: [Bool]? = nil) throws -> Double {
            var a = rows, b = rows.map { $0 + n }
            if let swapped {
                for (position, row) in rows.enumerated() where swapped[row] {
                    (a[position], b[position]) = (b[position], a[position])
                }
            }
            return try pooled.compute(a, referenceRows) - pooled.compute(b, referenceRows)
        }
        let observed = try difference(Array(0..<n), allReferences)
        var draws = IndexDraws(plan.key.child("bootstrap"))
        let replicates = try inChunks(plan.resamples, cancellation: cancellation) {
            (draws.rows(n), draws.rows(pooled.references))
        } compute: { try difference($0.0, $0.1) }
        // A difference of two values in a support lies in its width either side of 0.
        let width = pooled.support.upperBound - pooled.support.lowerBound
        var estimate = try interval(observed, replicates, plan: plan, count: n, centred: pooled.centred, support: -width...width)

        var coins = IndexDraws(plan.key.child("permutation"))
        let permuted = try inChunks(plan.resamples, cancellation: cancellation) {
            (0..<n).map { _ in coins.coin() }
        } compute: { try difference(Array(0..<n), allReferences, swapped: $0) }.filter { !$0.isNaN }
        // Ties in |difference| count as extreme; a relative slack keeps round-off in the sums
        // of a swap that changes nothing from deciding it.
        let threshold = abs(observed) * (1 - 1e-12)
        let extreme = permuted.count { abs($0) >= threshold }, counted = permuted.count
        estimate.pValue = Double(1 + extreme) / Double(1 + counted)
        return estimate
    }

    /// `compute(draw())` `count` times, in chunks of 512: a chunk's draws are made in order, then
    /// computed on the engine's threads, so that memory holds one chunk's draws at a time and
    /// the numbers do not depend on the threads.
    static func inChunks<Selection>(
        _ count: Int, cancellation: CancellationFlag?, draw: () -> Selection, compute: (Selection) throws -> Double
    ) throws -> [Double] {
        var results: [Double] = []
        results.reserveCapacity(count)
        while results.count < count {
            let selections = (0..<min(512, count - results.count)).map { _ in draw() }
            results += try replicate(selections.count, cancellation: cancellation) { try compute(selections[$0]) }
        }
        return results
    }

    /// `compute(i)` for i in 0..<count on the engine's threads (the draws are made beforehand,
    /// in order, so the numbers do not depend on the threads); the first error is thrown.
    static func replicate(
        _ count: Int, cancellation: CancellationFlag?, _ compute: (Int) throws -> Double
    ) throws -> [Double] {
        var results = [Double](repeating: .nan, count: count)
        let failure = FirstError()
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(count: count, grain: 8) { _, range in
                for index in range where !failure.happened {
                    do {
                        try cancellation?.checkCancellation()
                        out[index] = try compute(index)
                    } catch {
                        failure.record(error)
                    }
                }
            }
        }
        if let error = failure.error { throw error }
        return results
    }

    /// The percentile interval of `replicates` around `value`, centred on it when asked (and
    /// clipped to `support`). NaN replicates are left out; a value that is not a number, or more
    /// than 5% of replicates that are not, is an error: an interval of them would mislead.
    static func interval(
        _ value: Double, _ replicates: [Double], plan: Plan, count: Int, centred: Bool,
        support: ClosedRange<Double> = -Double.infinity...Double.infinity
    ) throws -> Estimate {
        guard !value.isNaN else {
            throw TensorError("resampling", "the metric is not a number on the whole set (nothing to score: no edges, no classes, "
                + "an all-zero reference?), so it has no interval")
        }
        var sorted = replicates.filter { !$0.isNaN }.sorted()
        guard sorted.count * 20 >= replicates.count * 19 else {
            throw TensorError("resampling", "the metric is not a number on \(replicates.count - sorted.count) of \(replicates.count) "
                + "resamples (too few images with something to score), so its interval would mislead")
        }
        if centred, !sorted.isEmpty, value.isFinite {
            let bias = sorted.reduce(0, +) / Double(sorted.count) - value
            if bias.isFinite { sorted = sorted.map { min(max($0 - bias, support.lowerBound), support.upperBound) } }
        }
        let tail = (1 - plan.level) / 2
        return Estimate(
            value: value, lower: quantile(sorted, tail), upper: quantile(sorted, 1 - tail), level: plan.level,
            count: count, resamples: sorted.count)
    }

    /// The q-quantile of sorted values, interpolating linearly between order statistics
    /// (numpy.quantile's default, "linear"); NaN for no values.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        // Infinite neighbours (a per-image PSNR of identical images) interpolate to themselves.
        if fraction == 0 || sorted[below] == sorted[above] { return sorted[below] }
        return sorted[below] + fraction * (sorted[above] - sorted[below])
    }

    /// The fewest subjects an interval is drawn from.
    public static let minimumSubjects = 5

    static func validate(_ plan: Plan, subjects: Int) throws {
        guard plan.level > 0, plan.level < 1 else {
            throw TensorError("resampling", "the interval's level must lie between 0 and 1 (0.95 for 95%), not \(plan.level)")
        }
        guard plan.resamples >= 100 else {
            throw TensorError("resampling", "a bootstrap needs at least 100 resamples for an interval, not \(plan.resamples)")
        }
        guard subjects >= minimumSubjects else {
            throw TensorError("resampling", "an interval needs at least \(minimumSubjects) images (or rows) to resample, not \(subjects): "
                + "with fewer, a bootstrap cannot see the spread")
        }
    }
}

/// Uniform row indices and fair coins from a key's Philox stream, one 32-bit word each.
struct IndexDraws {
    private var stream: RandomStream
    private var words: [UInt32] = []
    private var next = 0

    init(_ key: RandomKey) {
        stream = key.stream
    }

    private mutating func word() -> UInt32 {
        if next == words.count {
            let first = stream.reserveBlocks(forValues: 1024)
            words = (0..<256).flatMap { block -> [UInt32] in
                let w = stream.block(first + UInt64(block))
                return [w[0], w[1], w[2], w[3]]
            }
            next = 0
        }
        defer { next += 1 }
        return words[next]
    }

    /// `count` indices drawn uniformly from 0..<count (multiply-shift: the bias is below
    /// count / 2^32).
    mutating func rows(_ count: Int) -> [Int] {
        (0..<count).map { _ in Int((UInt64(word()) &* UInt64(count)) >> 32) }
    }

    mutating func coin() -> Bool { word() & 1 == 1 }
}

/// The first error thrown by any of several threads.
private final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?

    var happened: Bool { lock.withLock { stored != nil } }
    var error: (any Error)? { lock.withLock { stored } }

    func record(_ error: any Error) {
        lock.withLock { if stored == nil { stored = error } }
    }
}
