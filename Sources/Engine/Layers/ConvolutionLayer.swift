/// A 2-D convolution layer over NCHW images, as PyTorch's nn.Conv2d (zero padding, no
/// dilation or groups): y = conv2d(x, weight, stride, padding) + bias.
///
/// Weights start as PyTorch's: weight and bias uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)]
/// with fan_in = inputChannels * kh * kw (kaiming_uniform with a = sqrt(5) comes to that bound).
public final class Conv2d: Module {
    /// [outputChannels, inputChannels, kh, kw].
    public let weight: Variable
    /// [outputChannels], or nil without bias.
    public let bias: Variable?
    public let stride: Size2D
    public let padding: Size2D

    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
        bias: Bool = true, random: inout RandomStream
    ) throws {
        guard inputChannels > 0, outputChannels > 0, kernelSize.height > 0, kernelSize.width > 0 else {
            throw TensorError("Conv2d", "needs positive channel counts and kernel size, got \(inputChannels) -> "
                + "\(outputChannels) channels, kernel \(kernelSize)")
        }
        let fanIn = inputChannels * kernelSize.height * kernelSize.width
        let bound = 1 / Float(fanIn).squareRoot()
        let shape = [outputChannels, inputChannels, kernelSize.height, kernelSize.width]
        weight = Variable(try Tensor.rand(shape, low: -bound, high: bound, using: &random), requiresGradient: true)
        self.bias = bias
            ? Variable(try Tensor.rand([outputChannels], low: -bound, high: bound, using: &random), requiresGradient: true)
            : nil
        self.stride = stride
        self.padding = padding
    }

    /// x: [N, inputChannels, H, W] -> [N, outputChannels, OH, OW].
    public func callAsFunction(_ x: Variable) throws -> Variable {
        try Variable.conv2d(input: x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
