extension Variable {
    /// Inverted dropout (Srivastava et al., "Dropout", JMLR 2014), as PyTorch's
    /// `torch.nn.functional.dropout` in training: each value is zeroed with probability p and
    /// the survivors are scaled by 1 / (1 - p), so the expected value of every output equals its
    /// input and evaluation needs no rescaling.
    ///
    /// The mask comes from `random`, which advances past it: value i is kept when the uniform
    /// number u_i of the draw (see `Tensor.rand`) satisfies u_i >= p, so a value survives with
    /// probability exactly 1 - p for any p that is a multiple of 2^-24. The same stream
    /// position gives the same mask on any thread count. The gradient is masked and scaled the
    /// same way. p = 1 zeroes everything (as PyTorch); p = 0 returns the input unchanged.
    public func dropout(probability p: Float, using random: inout RandomStream) throws -> Variable {
        guard p >= 0, p <= 1 else {
            throw TensorError("dropout", "probability must be in [0, 1], got \(p)")
        }
        if p == 0 { return self }
        // The mask, already scaled: 1 / (1 - p) where kept, 0 where dropped.
        let uniforms = try Tensor.rand(shape, using: &random)
        let mask = p == 1 ? try Tensor.zeros(shape) : (uniforms .>= p) * (1 / (1 - p))
        return Variable.result(of: "dropout", try value * mask, inputs: [self]) { g in [try g * mask] }
    }
}

/// Dropout as a layer, as PyTorch's `nn.Dropout(p)`: in training mode it zeroes each value with
/// probability p and scales the rest by 1 / (1 - p); in evaluation mode it is the identity and
/// draws no random numbers.
///
/// The caller hands it the random stream, so that a training run is reproducible: give the
/// model's forward pass one stream (its own stream number) and pass it down to every dropout
/// layer in a fixed order.
public final class Dropout: Module {
    /// p, the probability of zeroing a value.
    public let probability: Float

    public init(probability: Float = 0.5) throws {
        guard probability >= 0, probability <= 1 else {
            throw ModuleError("Dropout: probability must be in [0, 1], got \(probability)")
        }
        self.probability = probability
    }

    /// x: any shape -> the same shape.
    public func callAsFunction(_ x: Variable, random: inout RandomStream) throws -> Variable {
        guard isTraining else { return x }
        return try x.dropout(probability: probability, using: &random)
    }
}
