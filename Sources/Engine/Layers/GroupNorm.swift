extension Variable {
    /// Group normalisation (Wu and He, "Group Normalization", ECCV 2018), as PyTorch's
    /// `torch.nn.functional.group_norm`.
    ///
    /// x: [N, C, *] (images are [N, C, H, W]); C is split into `groups` groups of C / G
    /// consecutive channels. Each sample's group, (C / G) * H * W values, is normalised to mean 0
    /// and variance 1 (the biased variance, divided by the count), then each channel c is scaled
    /// by weight[c] and shifted by bias[c]:
    ///
    ///     y = (x - mean_{n,g}) / sqrt(var_{n,g} + eps) * weight[c] + bias[c]
    ///
    /// The statistics come from the sample itself, never from the batch, so training and
    /// evaluation compute the same thing and batch size does not matter. One group is LayerNorm
    /// over (C, H, W); C groups is InstanceNorm. Forward and backward are one fused kernel each
    /// (see Normalization.swift): two passes over a group forward, two backward.
    ///
    /// - Parameters:
    ///   - weight, bias: [C], or nil for 1 and 0 (PyTorch's affine=False).
    ///   - epsilon: added to the variance; PyTorch's default 1e-5.
    ///   - thenSiLU: apply SiLU to the result in the same op (`groupNorm(...).silu()` to the
    ///     bit, in one pass instead of two and without storing the normalised values).
    public func groupNorm(
        groups: Int, weight: Variable? = nil, bias: Variable? = nil, epsilon: Float = 1e-5, thenSiLU: Bool = false
    ) throws -> Variable {
        guard rank >= 2 else {
            throw TensorError("groupNorm", "needs an input [N, C, ...], got \(describeShape(shape))")
        }
        let (samples, channels) = (shape[0], shape[1])
        guard groups > 0, channels % groups == 0 else {
            throw TensorError("groupNorm", "\(channels) channels cannot be split into \(groups) groups (input \(describeShape(shape)))")
        }
        // A row is one (sample, group): C / G channels of H * W consecutive values each.
        let kernel = RowNormalization(
            rows: samples * groups, channelsPerRow: channels / groups,
            channelLength: shape[2...].reduce(1, *), groups: groups, epsilon: epsilon, appliesSiLU: thenSiLU)
        return try Variable.normalized(thenSiLU ? "groupNorm+silu" : "groupNorm", self, by: kernel, weight: weight, bias: bias)
    }
}

/// Group normalisation as a layer, as PyTorch's `nn.GroupNorm(num_groups, num_channels, eps,
/// affine)`: `weight` starts at ones and `bias` at zeros, so a new layer only normalises.
/// Behaves the same in training and evaluation mode.
public final class GroupNorm: Module {
    /// G: the number of groups the channels are split into.
    public let groups: Int
    /// Added to each group's variance.
    public let epsilon: Float
    /// [C], or nil without affine parameters.
    public let weight: Variable?
    /// [C], or nil without affine parameters.
    public let bias: Variable?

    public init(groups: Int, channels: Int, epsilon: Float = 1e-5, affine: Bool = true) throws {
        guard groups > 0, channels > 0, channels % groups == 0 else {
            throw ModuleError("GroupNorm: \(channels) channels cannot be split into \(groups) groups")
        }
        self.groups = groups
        self.epsilon = epsilon
        weight = affine ? Variable(try Tensor.ones([channels]), requiresGradient: true) : nil
        bias = affine ? Variable(try Tensor.zeros([channels]), requiresGradient: true) : nil
    }

    /// x: [N, C, *] -> the same shape.
    public func callAsFunction(_ x: Variable) throws -> Variable {
        try x.groupNorm(groups: groups, weight: weight, bias: bias, epsilon: epsilon)
    }

    /// silu(self(x)), as one op (see `Variable.groupNorm`'s `thenSiLU`).
    public func silu(_ x: Variable) throws -> Variable {
        try x.groupNorm(groups: groups, weight: weight, bias: bias, epsilon: epsilon, thenSiLU: true)
    }
}
