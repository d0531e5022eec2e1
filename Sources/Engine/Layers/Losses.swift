#if canImport(Glibc)
import Glibc
#endif

/// How a loss turns its per-element losses into its result.
public enum LossReduction: Sendable {
    /// The per-element losses themselves (PyTorch's reduction="none").
    case none
    /// Their mean over every element (PyTorch's default, "mean").
    case mean
    /// Their sum ("sum").
    case sum
    /// Their sum divided by the batch size, the extent of axis 0: a per-sample sum averaged over
    /// the batch (PyTorch's "batchmean" of kl_div), the convention of the VAE's evidence bound.
    case batchMean
}

/// The training losses, as PyTorch's functions of the same names. Each takes Variables and
/// returns one, so its gradient reaches both arguments; give a constant target as
/// `Variable(tensor)`. Shapes must match exactly (no broadcasting: a broadcast target is
/// almost always a mistake); a mismatch is an error that names both shapes.
public enum Loss {
    /// Mean squared error, (prediction - target)^2 per element, as `F.mse_loss`.
    /// The epsilon-prediction loss of DDPM ("L_simple", Ho et al. 2020, eq. 14) is this with
    /// the mean reduction.
    public static func meanSquaredError(_ prediction: Variable, _ target: Variable, reduction: LossReduction = .mean) throws -> Variable {
        try checkShapes("meanSquaredError", prediction, target)
        let difference = try prediction - target
        return try reduce(try difference * difference, reduction)
    }

    /// Mean absolute error, |prediction - target| per element, as `F.l1_loss`; its gradient is
    /// the sign of the difference, 0 where they are equal (as PyTorch).
    public static func l1(_ prediction: Variable, _ target: Variable, reduction: LossReduction = .mean) throws -> Variable {
        try checkShapes("l1", prediction, target)
        return try reduce(try (prediction - target).abs(), reduction)
    }

    /// Binary cross-entropy of a sigmoid, from logits x and targets y in [0, 1], as
    /// `F.binary_cross_entropy_with_logits`:
    ///
    ///     loss = -(y ln sigmoid(x) + (1 - y) ln(1 - sigmoid(x)))
    ///          = max(x, 0) - x y + ln(1 + e^-|x|)
    ///
    /// The second form never overflows (e^-|x| <= 1) and never takes the log of 0, so large
    /// logits give exact losses. Gradients: d/dx = sigmoid(x) - y, d/dy = -x.
    public static func binaryCrossEntropyWithLogits(_ logits: Variable, _ target: Variable, reduction: LossReduction = .mean) throws -> Variable {
        try checkShapes("binaryCrossEntropyWithLogits", logits, target)
        let (x, y) = (logits.value, target.value)
        let losses = try Tensor.combine("binaryCrossEntropyWithLogits", x, y, LogisticLoss())
        let elementwise = Variable.result(of: "binaryCrossEntropyWithLogits", losses, inputs: [logits, target]) { g in
            [logits.requiresGradient ? try g * Tensor.combine("binaryCrossEntropyWithLogits", x, y, LogisticLossDerivative()) : nil,
             target.requiresGradient ? try g * -x : nil]
        }
        return try reduce(elementwise, reduction)
    }

    /// Cross-entropy of a softmax over `classAxis` against class indices, as `F.cross_entropy`
    /// with integer targets:
    ///
    ///     loss = -log softmax(logits)[target] = -logits[target] + log sum_c e^logits[c]
    ///
    /// logits: [N, C, ...] with the classes on `classAxis` (1, PyTorch's layout, by default);
    /// classes: the logits' shape without the class axis, each value a whole number in 0..<C
    /// (a Float tensor, as Engine's argmax returns). The per-position losses have that shape;
    /// `.mean` averages them over every position, as PyTorch. Built as log-softmax times a
    /// one-hot mask summed over the classes, so the gradient, softmax - onehot, comes from
    /// those ops.
    public static func crossEntropy(_ logits: Variable, classes: Tensor, classAxis: Int = 1, reduction: LossReduction = .mean) throws -> Variable {
        let axis = try Shape.normalizeAxis(classAxis, rank: logits.rank, op: "crossEntropy", shape: logits.shape)
        var positionShape = logits.shape
        let classCount = positionShape.remove(at: axis)
        guard classes.shape == positionShape else {
            throw TensorError("crossEntropy", "class indices of shape \(describeShape(classes.shape)) for logits "
                + "\(describeShape(logits.shape)) need shape \(describeShape(positionShape)) (the logits without axis \(axis))")
        }
        // One-hot mask: 1 at [outer, target, inner], the target's class of each position.
        let inner = logits.shape[(axis + 1)...].reduce(1, *)
        var oneHot = [Float](repeating: 0, count: logits.value.count)
        for (position, target) in try classIndices(classes.scalars, below: classCount, op: "crossEntropy").enumerated() {
            let (outer, within) = position.quotientAndRemainder(dividingBy: inner)
            oneHot[(outer * classCount + target) * inner + within] = 1
        }
        let mask = Variable(try Tensor(shape: logits.shape, scalars: oneHot))
        return try crossEntropy(logits, probabilities: mask, classAxis: axis, reduction: reduction)
    }

    /// Cross-entropy of a softmax over `classAxis` against class probabilities, as
    /// `F.cross_entropy` with probability targets (soft labels):
    ///
    ///     loss = -sum_c target[c] log softmax(logits)[c]
    ///
    /// probabilities: the logits' shape, each line along `classAxis` normally summing to 1.
    /// The gradient also reaches the target (d/dtarget = -log softmax).
    public static func crossEntropy(_ logits: Variable, probabilities: Variable, classAxis: Int = 1, reduction: LossReduction = .mean) throws -> Variable {
        try checkShapes("crossEntropy", logits, probabilities)
        let axis = try Shape.normalizeAxis(classAxis, rank: logits.rank, op: "crossEntropy", shape: logits.shape)
        let losses = -(try (try logits.logSoftmax(axis: axis) * probabilities).sum(axes: [axis]))
        return try reduce(losses, reduction)
    }

    /// The KL divergence of a diagonal Gaussian N(mean, e^logVariance) from the standard normal
    /// N(0, I) (Kingma and Welling, "Auto-Encoding Variational Bayes", 2014, appendix B):
    ///
    ///     KL = 0.5 * sum(mean^2 + e^logVariance - 1 - logVariance)
    ///
    /// per element before the reduction. The default `.batchMean` sums each sample's latent and
    /// averages over the batch, as the latent-diffusion autoencoders do
    /// (`sum(kl) / kl.shape[0]`); `.mean` divides by every element instead, which weighs the
    /// term less by the latent size; `.sum` is the whole batch's divergence.
    public static func gaussianKLDivergence(mean: Variable, logVariance: Variable, reduction: LossReduction = .batchMean) throws -> Variable {
        try checkShapes("gaussianKLDivergence", mean, logVariance)
        let terms = try mean * mean + logVariance.exp() - 1 - logVariance
        return try reduce(terms * 0.5, reduction)
    }

    /// Applies `reduction` to per-element losses.
    static func reduce(_ losses: Variable, _ reduction: LossReduction) throws -> Variable {
        switch reduction {
        case .none: return losses
        case .mean: return try losses.mean()
        case .sum: return try losses.sum()
        case .batchMean: return try losses.sum() / Float(Swift.max(1, losses.shape.first ?? 1))
        }
    }

    private static func checkShapes(_ op: String, _ first: Variable, _ second: Variable) throws {
        guard first.shape == second.shape else {
            throw TensorError(op, "shapes \(describeShape(first.shape)) and \(describeShape(second.shape)) differ")
        }
    }
}

/// max(x, 0) - x y + ln(1 + e^-|x|): binary cross-entropy from a logit x and a target y.
struct LogisticLoss: BinaryKernel {
    @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float {
        Swift.max(x, 0) - x * y + log1pf(exponential(-Swift.abs(x)))
    }
}

/// sigmoid(x) - y: the derivative of `LogisticLoss` with respect to the logit.
struct LogisticLossDerivative: BinaryKernel {
    @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { Sigmoid()(x) - y }
}

/// Class or code indices held in a Float tensor, as whole numbers in 0..<limit; any other
/// value is an error naming its position.
func classIndices(_ values: [Float], below limit: Int, op: String, naming kind: String = "class index") throws -> [Int] {
    try values.enumerated().map { position, value in
        guard value >= 0, value < Float(limit), value == value.rounded() else {
            throw TensorError(op, "\(kind) \(value) at position \(position) is not a whole number in 0..<\(limit)")
        }
        return Int(value)
    }
}
