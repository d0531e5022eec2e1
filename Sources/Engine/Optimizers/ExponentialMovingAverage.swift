import Foundation

/// An exponential moving average of a module's weights (Polyak averaging, as diffusers'
/// EMAModel): the weights a diffusion model is evaluated and sampled with, since they average
/// out the noise of the last steps of training.
///
/// The average keeps a shadow s of every parameter, a copy of the weights when it is made.
/// After each optimizer step, `update()` moves every shadow toward its parameter's value p:
///
///     s = d s + (1 - d) p
///
/// which averages roughly the last 1 / (1 - d) steps (d = 0.9999: ten thousand). The decay d
/// of the k-th update, with n = k - 1 updates before it, is diffusers' EMAModel.get_decay
/// (update_after_step 0, min_decay 0):
///
///     n = 0:       d = 0                                     the first update copies the weights
///     .fixed:      d = decay
///     .warmup:     d = min(decay, 1 - (1 + n / γ)^-power)    γ: inverseGamma
///
/// The warm-up lets a young average forget the random initial weights quickly. γ = 1 with
/// power = 1 makes d = n / (n + 1), the plain mean of all weights so far; power = 2/3 reaches
/// d = 0.999 after about 31,600 updates and 0.9999 after a million, power = 3/4 after 10,000
/// and 215,000 (for shorter runs).
public final class ExponentialMovingAverage {
    /// How the decay grows over the first updates.
    public enum DecaySchedule: Equatable, Sendable {
        /// `decay` from the second update on.
        case fixed
        /// 1 - (1 + n / inverseGamma)^-power, capped at `decay`.
        case warmup(inverseGamma: Float, power: Float)
    }

    /// The largest decay (the decay of every update after the first, with `.fixed`).
    public let decay: Float
    public let schedule: DecaySchedule
    /// The number of `update()` calls so far.
    public private(set) var updateCount = 0
    private let tracked: TrackedParameters
    /// s for each parameter, by position in `module.parameters`.
    private var shadows: [Tensor]

    /// Starts averaging the parameters of `module` from their current values. Refuses a decay
    /// outside [0, 1] and a warm-up whose γ or power is not above 0.
    public init(of module: Module, decay: Float = 0.9999, schedule: DecaySchedule = .fixed) throws {
        try requireHyperparameter(decay >= 0 && decay <= 1, "ExponentialMovingAverage", "decay must be in [0, 1]", decay)
        if case .warmup(let inverseGamma, let power) = schedule {
            try requireHyperparameter(inverseGamma > 0, "ExponentialMovingAverage", "inverseGamma must be above 0", inverseGamma)
            try requireHyperparameter(power > 0, "ExponentialMovingAverage", "power must be above 0", power)
        }
        let named = module.namedParameters()
        tracked = try TrackedParameters(named.map(\.variable), paths: named.map(\.path), owner: "ExponentialMovingAverage")
        shadows = named.map(\.variable.value)
        self.decay = decay
        self.schedule = schedule
    }

    /// The decay d the next `update()` will use.
    public var nextDecay: Float {
        let n = Double(updateCount)
        guard n > 0 else { return 0 }
        switch schedule {
        case .fixed:
            return decay
        case .warmup(let inverseGamma, let power):
            return Swift.min(decay, Float(1 - pow(1 + n / Double(inverseGamma), -Double(power))))
        }
    }

    /// Moves every shadow toward its parameter's current value: s = d s + (1 - d) p. Call
    /// after each optimizer step.
    public func update() throws {
        try tracked.checkShapes()
        let d = nextDecay, oneMinusD = Float(1 - Double(d))
        for (position, parameter) in tracked.variables.enumerated() {
            // Taken out of the list, the shadow has a single owner and is updated in place.
            var shadow = shadows[position]
            shadows[position] = Tensor(0)
            parameter.value.withUnsafeBufferPointer { p in
                shadow.withUnsafeMutableBufferPointer { s in
                    let s = s
                    Parallel.forEachChunk(count: s.count, grain: Parallel.elementGrain) { _, range in
                        for i in range { s[i] = d * s[i] + oneMinusD * p[i] }
                    }
                }
            }
            shadows[position] = shadow
        }
        updateCount += 1
    }

    /// The averaged weights with their parameter paths, in the module's parameter order: what
    /// a checkpoint stores as the EMA model, and what `Module.loadParameters` takes.
    public var averages: [(path: String, tensor: Tensor)] {
        Array(zip(tracked.names, shadows))
    }

    /// Loads the averaged weights into `module`, a model of the same architecture (a separate
    /// copy for evaluation, say). Fails, naming the first parameter, if the paths or shapes
    /// differ; then nothing changes.
    public func copy(to module: Module) throws {
        try module.loadParameters(averages)
    }

    /// Runs `body` with the averaged weights in the averaged module itself, then puts the
    /// training weights back, also when `body` throws: evaluation or sampling with the
    /// average, without a second copy of the model.
    public func withAveragedWeights<R>(_ body: () throws -> R) throws -> R {
        try tracked.checkShapes()
        let training = tracked.variables.map(\.value)
        for (parameter, shadow) in zip(tracked.variables, shadows) { parameter.value = shadow }
        defer { for (parameter, value) in zip(tracked.variables, training) { parameter.value = value } }
        return try body()
    }
}

extension ExponentialMovingAverage {
    /// The shadows by parameter path (`down.0.conv1.weight`) and the update count (`updates`).
    public func exportState() -> OptimizerState {
        OptimizerState(kind: "ExponentialMovingAverage",
                       tensors: Dictionary(uniqueKeysWithValues: zip(tracked.names, shadows)),
                       counters: ["updates": updateCount])
    }

    /// Replaces the shadows and the update count with those of `state`, exported by an average
    /// of a module with the same parameter paths and shapes. Every shadow must be present;
    /// everything is checked first, so on error nothing changes.
    public func importState(_ state: OptimizerState) throws {
        let owner = "ExponentialMovingAverage"
        try state.requireKind(owner, tensorNames: Set(tracked.names), counterNames: ["updates"])
        let restored = try zip(tracked.names, tracked.shapes).map { name, shape in
            guard let shadow = try state.tensor(name, shape: shape, owner: owner) else {
                throw OptimizerError("\(owner): the state has no shadow of parameter \(name)")
            }
            return shadow
        }
        guard let updates = state.counters["updates"], updates >= 0 else {
            throw OptimizerError("\(owner): the state needs a non-negative update count")
        }
        shadows = restored
        updateCount = updates
    }
}
