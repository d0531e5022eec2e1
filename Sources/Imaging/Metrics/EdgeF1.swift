import Engine

extension Metrics {
    /// The F1 score of a binary edge map against a reference edge map, with a pixel tolerance:
    /// both [H, W] or both [N, 1, H, W]; any non-zero value is an edge pixel.
    ///
    /// A predicted edge pixel counts as correct if a reference edge pixel of the same image lies
    /// within Euclidean distance `tolerance` (0: the same pixel; 1: the 4 neighbours; 2: a disc
    /// of radius 2), and a reference edge pixel counts as found under the same rule the other
    /// way round. precision = correct / predicted, recall = found / reference, both pooled over
    /// the batch, F1 = 2 precision recall / (precision + recall). No edges in either map gives NaN
    /// (nothing to score); edges in only one of them give 0. The matching is not one-to-one.
    /// `cancellation` is checked before each image (see `CancellationFlag`).
    public static func edgeF1(predicted: Tensor, reference: Tensor, tolerance: Int, cancellation: CancellationFlag? = nil) throws -> Double {
        try edgeMatchCounts(predicted: predicted, reference: reference, tolerance: tolerance, cancellation: cancellation)
            .reduce(EdgeMatchCounts(), +).f1
    }

    /// Each image's edge pixels and matches under `edgeF1`'s rule, which pools them.
    public static func edgeMatchCounts(
        predicted: Tensor, reference: Tensor, tolerance: Int, cancellation: CancellationFlag? = nil
    ) throws -> [EdgeMatchCounts] {
        let op = "edgeF1"
        try requireSameShape(op, predicted, reference)
        let (count, height, width) = try imageLayout(op, predicted.shape)
        guard tolerance >= 0 else {
            throw TensorError(op, "the tolerance must be 0 or more pixels, not \(tolerance)")
        }
        var offsets: [(Int, Int)] = []
        for dy in -tolerance...tolerance {
            for dx in -tolerance...tolerance where dy * dy + dx * dx <= tolerance * tolerance {
                offsets.append((dy, dx))
            }
        }
        let plane = height * width
        let p = predicted.scalars.map { $0 != 0 }, r = reference.scalars.map { $0 != 0 }
        /// (edge pixels of `from` in image n, how many of them have an edge pixel of `to` within tolerance).
        func matched(_ n: Int, _ from: [Bool], _ to: [Bool]) -> (total: Int, matched: Int) {
            var total = 0, hits = 0
            for y in 0..<height {
                for x in 0..<width where from[n * plane + y * width + x] {
                    total += 1
                    if offsets.contains(where: { dy, dx in
                        let yy = y + dy, xx = x + dx
                        return yy >= 0 && yy < height && xx >= 0 && xx < width && to[n * plane + yy * width + xx]
                    }) { hits += 1 }
                }
            }
            return (total, hits)
        }
        return try (0..<count).map { n in
            try cancellation?.checkCancellation()
            let precision = matched(n, p, r), recall = matched(n, r, p)
            return EdgeMatchCounts(
                predicted: precision.total, correct: precision.matched, reference: recall.total, found: recall.matched)
        }
    }
}

/// Edge pixels of a predicted and a reference map, and how many of each the other matches.
public struct EdgeMatchCounts: Sendable, Equatable {
    public var predicted = 0, correct = 0, reference = 0, found = 0

    public init(predicted: Int = 0, correct: Int = 0, reference: Int = 0, found: Int = 0) {
        self.predicted = predicted
        self.correct = correct
        self.reference = reference
        self.found = found
    }

    public static func + (a: EdgeMatchCounts, b: EdgeMatchCounts) -> EdgeMatchCounts {
        EdgeMatchCounts(
            predicted: a.predicted + b.predicted, correct: a.correct + b.correct,
            reference: a.reference + b.reference, found: a.found + b.found)
    }

    /// F1 of the precision correct / predicted and recall found / reference: NaN without edges
    /// in either map, 0 with edges in only one.
    public var f1: Double {
        if predicted == 0 && reference == 0 { return .nan }
        if predicted == 0 || reference == 0 { return 0 }
        let precision = Double(correct) / Double(predicted), recall = Double(found) / Double(reference)
        return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    }
}
