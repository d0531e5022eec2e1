/// Stochastic gradient descent with momentum, as torch.optim.SGD with dampening 0.
///
/// The heavy ball of Polyak (1964) in the form of Sutskever et al. (2013) and PyTorch: the
/// buffer b sums past gradients with weights μ^k and the learning rate scales the whole sum.
/// For a parameter p with gradient ∇, learning rate η, momentum μ and weight decay λ:
///
///     g = ∇ + λ p                  weight decay: the gradient of an L2 penalty (λ/2)|p|²
///     b = μ b + g                  b starts at 0, so after the first step b = g
///     d = g + μ b  (Nesterov)      or d = b
///     p = p - η d
///
/// With μ = 0 no buffer is kept and d = g: plain gradient descent.
public final class SGD: Optimizer {
    public var learningRate: Float
    /// μ: how much of the previous step's direction carries over.
    public let momentum: Float
    /// Whether to look ahead along the buffer (Nesterov's accelerated gradient, Sutskever's form).
    public let nesterov: Bool
    /// λ: the L2 penalty's coefficient, added to the gradient as λ p.
    public let weightDecay: Float
    private let tracked: TrackedParameters
    /// b for each parameter by position: nil until its first step, and always when μ = 0.
    private var momentumBuffers: [Tensor?]

    public var parameters: [Variable] { tracked.variables }

    /// Refuses a negative learning rate, momentum or weight decay, and Nesterov without
    /// momentum (as PyTorch does).
    public init(
        parameters: [Variable], learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0
    ) throws {
        try requireHyperparameter(learningRate >= 0, "SGD", "the learning rate must be at least 0", learningRate)
        try requireHyperparameter(momentum >= 0, "SGD", "momentum must be at least 0", momentum)
        try requireHyperparameter(weightDecay >= 0, "SGD", "weight decay must be at least 0", weightDecay)
        try requireHyperparameter(!nesterov || momentum > 0, "SGD", "Nesterov momentum needs a momentum above 0", momentum)
        tracked = try TrackedParameters(parameters, owner: "SGD")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() throws {
        let eta = learningRate, mu = momentum, lambda = weightDecay, nesterov = nesterov
        for (position, parameter, gradient) in try tracked.withGradients() {
            if mu == 0 {
                gradient.withUnsafeBufferPointer { g in
                    parameter.value.withUnsafeMutableBufferPointer { p in
                        let p = p
                        Parallel.forEachChunk(count: p.count, grain: Parallel.elementGrain) { _, range in
                            for i in range { p[i] -= eta * (g[i] + lambda * p[i]) }
                        }
                    }
                }
                continue
            }
            // Taken out of the list, the buffer has a single owner and is updated in place.
            var buffer = try momentumBuffers[position] ?? Tensor.zeros(parameter.shape)
            momentumBuffers[position] = nil
            gradient.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { p in
                    buffer.withUnsafeMutableBufferPointer { b in
                        let p = p, b = b
                        Parallel.forEachChunk(count: p.count, grain: Parallel.elementGrain) { _, range in
                            for i in range {
                                let gi = g[i] + lambda * p[i]
                                b[i] = mu * b[i] + gi
                                p[i] -= eta * (nesterov ? gi + mu * b[i] : b[i])
                            }
                        }
                    }
                }
            }
            momentumBuffers[position] = buffer
        }
    }
}

extension SGD: StatefulOptimizer {
    /// The momentum buffer b of every parameter that has one: `momentum.i`.
    public func exportState() -> OptimizerState {
        var state = OptimizerState(kind: "SGD")
        for (position, buffer) in momentumBuffers.enumerated() {
            if let buffer { state.tensors["momentum.\(position)"] = buffer }
        }
        return state
    }

    /// Restores `momentum.i`; a parameter without it starts with no buffer.
    public func importState(_ state: OptimizerState) throws {
        let positions = tracked.variables.indices
        try state.requireKind("SGD", tensorNames: Set(positions.map { "momentum.\($0)" }), counterNames: [])
        momentumBuffers = try positions.map { position in
            try state.tensor("momentum.\(position)", shape: tracked.shapes[position], owner: "SGD")
        }
    }
}
