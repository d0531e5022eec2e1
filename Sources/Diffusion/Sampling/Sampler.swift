import Engine

/// A reverse-process sampler: walks x_t from pure noise down its timesteps, one step at a time,
/// given the model's output at each (the interface of diffusers' schedulers: the caller, or
/// `sample(from:denoiser:stepNoise:keepingSteps:progress:isCancelled:)`, owns the loop).
///
/// A sampler is a value that keeps its own state across the steps of one run: which step comes
/// next, and for a multistep solver the model's outputs at the steps before (as diffusers'
/// DPMSolverMultistepScheduler keeps them). `reset()` makes it ready for another run; `sample`
/// runs a copy, so the sampler it is called on is never changed.
public protocol Sampler: Sendable {
    /// The timestep the model sees at each step, noisiest first. They may repeat (Karras sigmas,
    /// rounded to the training grid): a sampler indexes its steps, never looks them up by value.
    var timesteps: [Int] { get }
    /// The time the model is given at each step: the timestep itself for a diffusion sampler,
    /// a real number for one that is not on an integer grid (flow matching's 1000 σ).
    var modelTimes: [Double] { get }
    /// The step the next `step` call takes: 0 after `reset()`, `timesteps.count` when done.
    var stepIndex: Int { get }
    /// Whether step `index` adds fresh noise (and so needs a noise tensor).
    func needsNoise(atStep index: Int) -> Bool
    /// Step `stepIndex`, from x_t at `timesteps[stepIndex]` to the next sample, given the model's
    /// output for (x_t, t) and, when `needsNoise(atStep:)`, a standard normal tensor the shape
    /// of x_t; then moves on to the next step.
    mutating func step(modelOutput: Tensor, sample: Tensor, noise: Tensor?) throws -> SamplerStep
    /// Forgets the steps taken, so that the next step is the first again.
    mutating func reset()
}

extension Sampler {
    public var modelTimes: [Double] { timesteps.map(Double.init) }
}

/// A sampler whose every step depends only on its own timestep and the model's output there
/// (DDPM, DDIM): it can also take any one step out of order, as the `denoise` verb and the
/// single-step parity tests do.
public protocol SingleStepSampler: Sampler {
    /// The schedule the model was trained with.
    var schedule: NoiseSchedule { get }
    /// What the model predicts.
    var prediction: Prediction { get }
    var stepIndex: Int { get set }
    /// Whether the step at `timestep` adds fresh noise.
    func needsNoise(at timestep: Int) -> Bool
    /// The step from x_t at `timestep` (see `Sampler.step`), whatever the state.
    func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?) throws -> SamplerStep
}

extension SingleStepSampler {
    public func needsNoise(atStep index: Int) -> Bool { needsNoise(at: timesteps[index]) }

    public mutating func step(modelOutput: Tensor, sample: Tensor, noise: Tensor?) throws -> SamplerStep {
        guard stepIndex < timesteps.count else { throw SamplingError.finished(steps: timesteps.count) }
        let result = try step(modelOutput: modelOutput, timestep: timesteps[stepIndex], sample: sample, noise: noise)
        stepIndex += 1
        return result
    }

    public mutating func reset() { stepIndex = 0 }

    /// The predicted x_0 from the model output at `timestep`, clipped to [-range, range] when
    /// `clipRange` is given (Ho et al. 2020, section 3.3: data scaled to [-1, 1]; diffusers
    /// clip_sample): the first half of every DDPM and DDIM step.
    func clippedOriginalSample(modelOutput: Tensor, sample: Tensor, alphaBar: Double, clipRange: Double?) throws -> Tensor {
        let original = try prediction.originalSample(modelOutput: modelOutput, sample: sample, alphaBars: [alphaBar])
        guard let clipRange else { return original }
        return try original.clamp(min: Float(-clipRange), max: Float(clipRange))
    }
}

/// What one sampler step produces.
public struct SamplerStep: Sendable {
    /// The next, less noisy sample x_prev.
    public let previousSample: Tensor
    /// The model's estimate of x_0 at this step, after any clipping: a preview of the result.
    public let predictedOriginalSample: Tensor
}

/// `noise` when a step needs it, or a `SamplingError` when it is missing.
func requiredNoise(_ noise: Tensor?, at timestep: Int) throws -> Tensor {
    guard let noise else { throw SamplingError.missingNoise(timestep: timestep) }
    return noise
}

/// Throws unless `value` is a finite positive clip range (or absent).
func checkClipRange(_ value: Double?) throws {
    if let value, !(value > 0 && value.isFinite) {
        throw SamplingError.invalidParameter(name: "clipRange", value: value, requirement: "finite and positive")
    }
}
