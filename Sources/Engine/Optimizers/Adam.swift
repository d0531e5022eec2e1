import Foundation

/// Adam (Kingma and Ba 2015, Algorithm 1) as torch.optim.Adam, and AdamW (Loshchilov and
/// Hutter 2019, Algorithm 2) as torch.optim.AdamW: one step, with the weight decay applied in
/// one of two places.
///
/// For a parameter p with gradient ∇ at its t-th step (t counts each parameter's own steps
/// from 1), learning rate η, decay rates β1 and β2, ε and weight decay λ:
///
///     p = p (1 - η λ)              AdamW (decoupled): shrinks p whatever the gradient's scale
///     g = ∇ + λ p                  Adam (L2): the decay joins the gradient, so it too is divided by √v̂
///     m = β1 m + (1 - β1) g        moving average of the gradient; m starts at 0
///     v = β2 v + (1 - β2) g²       moving average of its square; v starts at 0
///     m̂ = m / (1 - β1^t)           bias corrections: averages that start at 0 are too small early on
///     v̂ = v / (1 - β2^t)
///     p = p - η m̂ / (√v̂ + ε)
///
/// ε is added after the square root and the bias correction, as in the paper and PyTorch.
/// The step computes the last line as PyTorch does: p - (η / (1 - β1^t)) m / (√v / √(1 - β2^t) + ε).
public final class Adam: Optimizer {
    /// Where the weight decay λ enters the step.
    public enum WeightDecay: Equatable, Sendable {
        /// torch.optim.Adam's weight_decay: λ p is added to the gradient (an L2 penalty
        /// (λ/2)|p|² on the loss), so large-gradient weights barely decay.
        case l2(Float)
        /// torch.optim.AdamW's weight_decay: p shrinks by η λ p before the Adam step, the same
        /// for every weight whatever its gradient.
        case decoupled(Float)
    }

    public var learningRate: Float
    /// β1: the decay rate of the gradient's moving average.
    public let beta1: Float
    /// β2: the decay rate of the squared gradient's moving average.
    public let beta2: Float
    /// ε: keeps the step finite where v̂ is 0.
    public let epsilon: Float
    public let weightDecay: WeightDecay
    private let tracked: TrackedParameters

    /// m, v and the step count t of one parameter.
    private struct Moments {
        var first: Tensor
        var second: Tensor
        var steps: Int
    }
    /// The moments of each parameter by position; nil until its first step.
    private var moments: [Moments?]

    public var parameters: [Variable] { tracked.variables }

    /// Adam with torch.optim.Adam's defaults. Refuses a negative learning rate, ε or weight
    /// decay, and decay rates outside [0, 1).
    public init(
        parameters: [Variable], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: WeightDecay = .l2(0)
    ) throws {
        try requireHyperparameter(learningRate >= 0, "Adam", "the learning rate must be at least 0", learningRate)
        try requireHyperparameter(beta1 >= 0 && beta1 < 1, "Adam", "beta1 must be in [0, 1)", beta1)
        try requireHyperparameter(beta2 >= 0 && beta2 < 1, "Adam", "beta2 must be in [0, 1)", beta2)
        try requireHyperparameter(epsilon >= 0, "Adam", "epsilon must be at least 0", epsilon)
        switch weightDecay {
        case .l2(let lambda), .decoupled(let lambda):
            try requireHyperparameter(lambda >= 0, "Adam", "weight decay must be at least 0", lambda)
        }
        tracked = try TrackedParameters(parameters, owner: "Adam")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        moments = Array(repeating: nil, count: parameters.count)
    }

    /// AdamW: Adam with decoupled weight decay, with torch.optim.AdamW's defaults (λ = 0.01).
    public static func adamW(
        parameters: [Variable], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 1e-2
    ) throws -> Adam {
        try Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                 epsilon: epsilon, weightDecay: .decoupled(weightDecay))
    }

    public func step() throws {
        OperationProfile.mark("outside operations")
        defer { OperationProfile.mark("optimizer") }
        let eta = learningRate, beta1 = beta1, beta2 = beta2, epsilon = epsilon
        // One of the two decays is active: `l2` joins the gradient, `shrink` scales p.
        let (l2, shrink): (Float, Float)
        switch weightDecay {
        case .l2(let lambda): (l2, shrink) = (lambda, 1)
        case .decoupled(let lambda): (l2, shrink) = (0, 1 - eta * lambda)
        }
        for (position, parameter, gradient) in try tracked.withGradients() {
            // Taken out of the list, the moments have a single owner and are updated in place.
            var state = try moments[position]
                ?? Moments(first: Tensor.zeros(parameter.shape), second: Tensor.zeros(parameter.shape), steps: 0)
            moments[position] = nil
            state.steps += 1
            let t = Double(state.steps)
            let stepSize = Float(Double(eta) / (1 - pow(Double(beta1), t)))
            let correction2 = Float((1 - pow(Double(beta2), t)).squareRoot())
            gradient.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { p in
                    state.first.withUnsafeMutableBufferPointer { m in
                        state.second.withUnsafeMutableBufferPointer { v in
                            let p = p, m = m, v = v
                            Parallel.forEachChunk(count: p.count, grain: Parallel.elementGrain) { _, range in
                                for i in range {
                                    let gi = g[i] + l2 * p[i]
                                    m[i] = beta1 * m[i] + (1 - beta1) * gi
                                    v[i] = beta2 * v[i] + (1 - beta2) * (gi * gi)
                                    p[i] = p[i] * shrink - stepSize * (m[i] / (v[i].squareRoot() / correction2 + epsilon))
                                }
                            }
                        }
                    }
                }
            }
            moments[position] = state
        }
    }
}

extension Adam: StatefulOptimizer {
    /// m, v and t of every parameter that has taken a step: `first.i`, `second.i`, `steps.i`.
    public func exportState() -> OptimizerState {
        var state = OptimizerState(kind: "Adam")
        for (position, entry) in moments.enumerated() {
            guard let entry else { continue }
            state.tensors["first.\(position)"] = entry.first
            state.tensors["second.\(position)"] = entry.second
            state.counters["steps.\(position)"] = entry.steps
        }
        return state
    }

    /// Restores `first.i`, `second.i` and `steps.i`; a parameter without them starts afresh.
    public func importState(_ state: OptimizerState) throws {
        let positions = tracked.variables.indices
        try state.requireKind("Adam", tensorNames: Set(positions.flatMap { ["first.\($0)", "second.\($0)"] }),
                              counterNames: Set(positions.map { "steps.\($0)" }))
        var restored: [Moments?] = Array(repeating: nil, count: positions.count)
        for position in positions {
            let shape = tracked.shapes[position]
            let first = try state.tensor("first.\(position)", shape: shape, owner: "Adam")
            let second = try state.tensor("second.\(position)", shape: shape, owner: "Adam")
            let steps = state.counters["steps.\(position)"]
            switch (first, second, steps) {
            case (nil, nil, nil):
                continue
            case let (first?, second?, steps?) where steps > 0:
                restored[position] = Moments(first: first, second: second, steps: steps)
            default:
                throw OptimizerError("Adam: the state of parameter \(tracked.names[position]) needs first.\(position), second.\(position) and a positive steps.\(position) together")
            }
        }
        moments = restored
    }
}
