import Engine

extension Metrics {
    /// The Dice coefficient of each class in `classes`, for two label maps of the same shape
    /// (any shape: [H, W], [N, H, W], ...; each value a class number such as ACDC's 0 background,
    /// 1 RV, 2 myocardium, 3 LV):
    ///
    ///     Dice(c) = 2 |P_c ∩ T_c| / (|P_c| + |T_c|)
    ///
    /// where P_c and T_c are the pixels labelled c in `prediction` and `target`, counted over the
    /// whole tensor (a batch is pooled, not averaged). A class absent from both maps gives NaN,
    /// not 1: there is nothing to score, and a caller averaging over classes should skip it
    /// (MONAI's `ignore_empty`). Values that are not whole numbers are an error.
    public static func dicePerClass(prediction: Tensor, target: Tensor, classes: [Int]) throws -> [Double] {
        guard prediction.shape == target.shape else {
            throw TensorError("dicePerClass", "the label maps have different shapes, "
                + "\(describeShape(prediction.shape)) and \(describeShape(target.shape))")
        }
        let predicted = try labels("dicePerClass", prediction, "prediction")
        let truth = try labels("dicePerClass", target, "target")
        return classes.map { c in
            var overlap = 0, inPrediction = 0, inTarget = 0
            for i in 0..<predicted.count {
                let p = predicted[i] == c, t = truth[i] == c
                if p { inPrediction += 1 }
                if t { inTarget += 1 }
                if p && t { overlap += 1 }
            }
            let total = inPrediction + inTarget
            return total == 0 ? .nan : 2 * Double(overlap) / Double(total)
        }
    }

    /// The values of a label map as integers; a value that is not a whole number is an error.
    private static func labels(_ op: String, _ map: Tensor, _ role: String) throws -> [Int] {
        try map.scalars.map { v in
            // Int(exactly:) is nil for fractions, infinities, NaN and numbers beyond an Int.
            guard let label = Int(exactly: v) else {
                throw TensorError(op, "the \(role) holds \(v), which is not a class number")
            }
            return label
        }
    }
}
