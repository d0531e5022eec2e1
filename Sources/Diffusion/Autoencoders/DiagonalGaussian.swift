import Engine

/// The posterior q(z | x) = N(mean, diag(e^logVariance)) of a KL autoencoder, as LDM's
/// `DiagonalGaussianDistribution` (Rombach et al. 2022; Kingma and Welling, "Auto-Encoding
/// Variational Bayes", ICLR 2014).
public struct DiagonalGaussian {
    /// The log-variance is clamped to this range, as LDM, so that e^logVariance neither
    /// underflows to 0 nor overflows while training is unsettled.
    public static let logVarianceRange: ClosedRange<Float> = -30...20

    /// [N, latent, h, w].
    public let mean: Variable
    /// [N, latent, h, w], clamped to `logVarianceRange` (no gradient where clamped).
    public let logVariance: Variable

    /// The Gaussian of the encoder's output [N, 2 latent, h, w]: its first half of channels is
    /// the mean, the second the log-variance (LDM's `torch.chunk(parameters, 2, dim=1)`).
    public init(parameters: Variable) throws {
        guard parameters.shape.count == 4, parameters.shape[1] % 2 == 0 else {
            throw TensorError("DiagonalGaussian", "needs parameters [N, 2 latent, h, w], got \(describeShape(parameters.shape))")
        }
        let half = parameters.shape[1] / 2
        mean = try parameters.slice([.all, .range(0..<half)])
        logVariance = try parameters.slice([.all, .range(half..<(2 * half))])
            .clamp(min: Self.logVarianceRange.lowerBound, max: Self.logVarianceRange.upperBound)
    }

    /// e^(logVariance / 2).
    public var standardDeviation: Variable { (logVariance * 0.5).exp() }

    /// z = mean + std * eps with eps ~ N(0, I) from `random`: the reparameterisation trick
    /// (Kingma and Welling 2014, eq. 10), so gradients reach the mean and the variance.
    public func sample(using random: inout RandomStream) throws -> Variable {
        let noise = Variable(try Tensor.randn(mean.shape, using: &random))
        return try mean + standardDeviation * noise
    }

    /// KL(q || N(0, I)) = 0.5 sum(mean^2 + e^logVariance - 1 - logVariance), summed over each
    /// image's latent and averaged over the batch, as LDM's `kl()` followed by `sum / N`.
    public func klDivergence() throws -> Variable {
        try Loss.gaussianKLDivergence(mean: mean, logVariance: logVariance, reduction: .batchMean)
    }
}
