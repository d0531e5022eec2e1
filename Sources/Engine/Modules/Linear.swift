/// y = x W^T + b over the last axis of x, as PyTorch's nn.Linear.
///
/// Weights start as PyTorch's: W and b uniform in [-1/sqrt(inputs), 1/sqrt(inputs)]
/// (kaiming_uniform with a = sqrt(5) comes to that bound).
public final class Linear: Module {
    /// [outputs, inputs].
    public let weight: Variable
    /// [outputs], or nil without bias.
    public let bias: Variable?

    public init(inputs: Int, outputs: Int, bias: Bool = true, random: inout RandomStream) throws {
        guard inputs > 0, outputs > 0 else {
            throw TensorError("Linear", "needs positive feature counts, got \(inputs) inputs and \(outputs) outputs")
        }
        let bound = 1 / Float(inputs).squareRoot()
        weight = Variable(try Tensor.rand([outputs, inputs], low: -bound, high: bound, using: &random), requiresGradient: true)
        self.bias = bias
            ? Variable(try Tensor.rand([outputs], low: -bound, high: bound, using: &random), requiresGradient: true)
            : nil
    }

    /// x: [..., inputs] -> [..., outputs].
    public func callAsFunction(_ x: Variable) throws -> Variable {
        guard x.shape.last == weight.shape[1] else {
            throw TensorError("Linear", "input of shape \(describeShape(x.shape)) for \(weight.shape[1]) input features")
        }
        let y = try Variable.matmul(x, weight, transposeB: true)
        return try bias.map { try y + $0 } ?? y
    }
}
