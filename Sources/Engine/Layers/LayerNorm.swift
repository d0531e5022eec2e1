extension Variable {
    /// Layer normalisation over the last axis (Ba, Kiros and Hinton, "Layer Normalization",
    /// 2016), as PyTorch's `torch.nn.functional.layer_norm(x, [D], weight, bias, eps)`.
    ///
    /// x: [..., D]. Every vector along the last axis is normalised to mean 0 and variance 1
    /// (the biased variance), then element d is scaled by weight[d] and shifted by bias[d]:
    ///
    ///     y = (x - mean) / sqrt(var + eps) * weight + bias
    ///
    /// The same fused kernel as GroupNorm (see Normalization.swift), with a row per vector and
    /// a channel per element. PyTorch can also normalise over several trailing axes; reshape
    /// them into one to do that here.
    ///
    /// - Parameters:
    ///   - weight, bias: [D], or nil for 1 and 0 (PyTorch's elementwise_affine=False).
    ///   - epsilon: added to the variance; PyTorch's default 1e-5.
    public func layerNorm(weight: Variable? = nil, bias: Variable? = nil, epsilon: Float = 1e-5) throws -> Variable {
        guard let features = shape.last else {
            throw TensorError("layerNorm", "needs an input with at least one axis, got a scalar")
        }
        let kernel = RowNormalization(
            rows: features == 0 ? 0 : value.count / features, channelsPerRow: features,
            channelLength: 1, groups: 1, epsilon: epsilon)
        return try Variable.normalized("layerNorm", self, by: kernel, weight: weight, bias: bias)
    }
}

/// Layer normalisation over the last axis as a layer, as PyTorch's `nn.LayerNorm(D, eps,
/// elementwise_affine)`: `weight` starts at ones and `bias` at zeros.
public final class LayerNorm: Module {
    /// Added to each vector's variance.
    public let epsilon: Float
    /// [D], or nil without affine parameters.
    public let weight: Variable?
    /// [D], or nil without affine parameters.
    public let bias: Variable?

    public init(features: Int, epsilon: Float = 1e-5, affine: Bool = true) throws {
        guard features > 0 else { throw ModuleError("LayerNorm: needs at least one feature, got \(features)") }
        self.epsilon = epsilon
        weight = affine ? Variable(try Tensor.ones([features]), requiresGradient: true) : nil
        bias = affine ? Variable(try Tensor.zeros([features]), requiresGradient: true) : nil
    }

    /// x: [..., D] -> the same shape.
    public func callAsFunction(_ x: Variable) throws -> Variable {
        try x.layerNorm(weight: weight, bias: bias, epsilon: epsilon)
    }
}
