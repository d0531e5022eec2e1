import Engine

/// A convolution without bias whose weights are only ever loaded, as PyTorch's nn.Conv2d with
/// bias=False: the first half of torchvision's conv + batch-norm pairs. Its weight is named
/// `weight`, so a torchvision state dict loads by path.
final class FrozenConv2d: Module {
    /// [outputChannels, inputChannels, kh, kw].
    let weight: Variable
    let stride: Size2D
    let padding: Size2D

    init(_ inputChannels: Int, _ outputChannels: Int, kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0) throws {
        weight = Variable(try Tensor.zeros([outputChannels, inputChannels, kernel.height, kernel.width]), requiresGradient: true)
        self.stride = stride
        self.padding = padding
    }

    var outputChannels: Int { weight.shape[0] }
}

/// Batch normalisation in evaluation mode, as PyTorch's nn.BatchNorm2d after training: each
/// channel is (x - running_mean) / sqrt(running_var + eps) * weight + bias. Its four tensors keep
/// PyTorch's names, so a state dict loads by path; they are loaded, never trained.
final class FrozenBatchNorm: Module {
    let weight: Variable
    let bias: Variable
    let running_mean: Variable
    let running_var: Variable
    /// PyTorch's default is 1e-5; Inception's BasicConv2d uses 1e-3.
    let epsilon: Float

    init(_ channels: Int, epsilon: Float) throws {
        weight = Variable(try Tensor.full([channels], value: 1), requiresGradient: true)
        bias = Variable(try Tensor.zeros([channels]), requiresGradient: true)
        running_mean = Variable(try Tensor.zeros([channels]), requiresGradient: true)
        running_var = Variable(try Tensor.full([channels], value: 1), requiresGradient: true)
        self.epsilon = epsilon
    }
}

/// bn(conv(x)), optionally followed by ReLU, computed as one convolution: the normalisation is
/// folded into the convolution's weights and a bias (w' = w s, b' = bias - mean s with
/// s = weight / sqrt(var + eps)), which is exact up to float rounding.
func normalizedConvolution(_ conv: FrozenConv2d, _ bn: FrozenBatchNorm, _ x: Tensor, relu: Bool = true) throws -> Tensor {
    let channels = conv.outputChannels
    let scale = bn.weight.value.scalars.enumerated().map { c, weight in
        weight / (bn.running_var.value.scalars[c] + bn.epsilon).squareRoot()
    }
    let mean = bn.running_mean.value.scalars, shift = bn.bias.value.scalars
    let bias = try Tensor(shape: [channels], scalars: (0..<channels).map { shift[$0] - mean[$0] * scale[$0] })
    let perChannel = conv.weight.value.count / channels
    let weights = conv.weight.value.scalars
    let folded = try Tensor(shape: conv.weight.shape, scalars: weights.indices.map { weights[$0] * scale[$0 / perChannel] })
    let y = try Variable.conv2d(input: Variable(x), weight: Variable(folded), bias: Variable(bias),
                                stride: conv.stride, padding: conv.padding).value
    return relu ? try y.clamp(min: 0) : y
}

extension Tensor {
    /// Images [N, 1 or 3, H, W] as an ImageNet network takes them: three channels (a grey image
    /// repeated into each), resized bilinearly to side x side (align_corners=False, no antialias).
    func imageNetInput(side: Int, network: String) throws -> Tensor {
        guard rank == 4, shape[0] > 0, shape[1] == 1 || shape[1] == 3, shape[2] > 0, shape[3] > 0 else {
            throw ModuleError("\(network): takes images [N, 1 or 3, H, W], got \(shape)")
        }
        let rgb = shape[1] == 3 ? self : try Tensor.concat([self, self, self], axis: 1)
        return try Variable(rgb).resizeBilinear(height: side, width: side).value
    }
}
