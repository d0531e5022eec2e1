import Engine

/// ResNet-50 as torchvision builds it (He et al. 2016, "Deep Residual Learning"; torchvision's
/// v1.5, which strides the 3x3 convolution of a bottleneck), up to the 2048 features of its
/// global average pooling: the network RadImageNet's and ImageNet's ResNet-50 weights fill. The
/// properties are named as torchvision's modules (`conv1`, `bn1`, `layer1.0.conv1`,
/// `layer2.0.downsample.0`), so a torchvision state dict loads by path; `fc` is not used.
///
/// Input: images in 0...1, resized bilinearly to 224 x 224 (align_corners=False, no antialias)
/// and normalised with ImageNet's channel means and deviations, as torchvision's weights expect.
final class ResNet50: Module {
    /// 1x1 down, 3x3 (strided), 1x1 up by 4, plus the input (projected when its shape changes).
    final class Bottleneck: Module {
        let conv1: FrozenConv2d, bn1: FrozenBatchNorm
        let conv2: FrozenConv2d, bn2: FrozenBatchNorm
        let conv3: FrozenConv2d, bn3: FrozenBatchNorm
        /// torchvision's `downsample` Sequential: a 1x1 convolution and its batch norm, or nothing.
        let downsample: [Module]

        init(_ input: Int, width: Int, stride: Int) throws {
            conv1 = try FrozenConv2d(input, width, kernel: 1)
            bn1 = try FrozenBatchNorm(width, epsilon: 1e-5)
            conv2 = try FrozenConv2d(width, width, kernel: 3, stride: Size2D(stride), padding: 1)
            bn2 = try FrozenBatchNorm(width, epsilon: 1e-5)
            conv3 = try FrozenConv2d(width, width * 4, kernel: 1)
            bn3 = try FrozenBatchNorm(width * 4, epsilon: 1e-5)
            downsample = stride != 1 || input != width * 4
                ? [try FrozenConv2d(input, width * 4, kernel: 1, stride: Size2D(stride)), try FrozenBatchNorm(width * 4, epsilon: 1e-5)]
                : []
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            var y = try normalizedConvolution(conv1, bn1, x)
            y = try normalizedConvolution(conv2, bn2, y)
            y = try normalizedConvolution(conv3, bn3, y, relu: false)
            var identity = x
            if let conv = downsample.first as? FrozenConv2d, let bn = downsample.last as? FrozenBatchNorm {
                identity = try normalizedConvolution(conv, bn, x, relu: false)
            }
            return try (y + identity).clamp(min: 0)
        }
    }

    let conv1: FrozenConv2d
    let bn1: FrozenBatchNorm
    let layer1, layer2, layer3, layer4: [Bottleneck]

    static let inputSize = 224
    static let featureCount = 2048
    /// ImageNet's channel means and standard deviations (torchvision's transforms).
    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let deviation: [Float] = [0.229, 0.224, 0.225]

    /// The network with `weights`, by torchvision's names (every one of them; nothing else).
    init(weights: [(path: String, tensor: Tensor)], source: String) throws {
        conv1 = try FrozenConv2d(3, 64, kernel: 7, stride: 2, padding: 3)
        bn1 = try FrozenBatchNorm(64, epsilon: 1e-5)
        func layer(_ input: Int, width: Int, blocks: Int, stride: Int) throws -> [Bottleneck] {
            try (0..<blocks).map { i in try Bottleneck(i == 0 ? input : width * 4, width: width, stride: i == 0 ? stride : 1) }
        }
        layer1 = try layer(64, width: 64, blocks: 3, stride: 1)
        layer2 = try layer(256, width: 128, blocks: 4, stride: 2)
        layer3 = try layer(512, width: 256, blocks: 6, stride: 2)
        layer4 = try layer(1024, width: 512, blocks: 3, stride: 2)
        super.init()
        try loadParameters(weights, from: source)
    }

    /// images [N, 1 or 3, H, W] in 0...1 -> features [N, 2048].
    func features(_ images: Tensor) throws -> Tensor {
        try GradientMode.withoutGradients {
            let resized = try images.imageNetInput(side: Self.inputSize, network: "ResNet-50")
            let mean = try Tensor(shape: [1, 3, 1, 1], scalars: Self.mean)
            let deviation = try Tensor(shape: [1, 3, 1, 1], scalars: Self.deviation)
            var x = try (try resized - mean) / deviation
            x = try normalizedConvolution(conv1, bn1, x)
            x = try Variable(x).maxPool2d(kernel: 3, stride: 2, padding: 1).value
            for block in layer1 + layer2 + layer3 + layer4 { x = try block(x) }
            return try x.mean(axes: [2, 3])  // the global average pooling, flattened
        }
    }
}
