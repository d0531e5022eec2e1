import Engine

/// A reverse-process sampler: walks x_t from pure noise down its timesteps, one step at a time,
/// given the model's output at each (the interface of diffusers' schedulers: the caller, or
/// `sample(from:denoiser:stepNoise:keepingSteps:progress:isCancelled:)`, owns the loop).
public protocol Sampler: Sendable {
    /// The schedule the model was trained with.
    var schedule: NoiseSchedule { get }
    /// What the model predicts.
    var prediction: Prediction { get }
    /// The timesteps visited, highest first.
    var timesteps: [Int] { get }
    /// Whether the step at `timestep` adds fresh noise (and so needs a noise tensor).
    func needsNoise(at timestep: Int) -> Bool
    /// One step from x_t at `timestep` to the next sample, given the model's output for (x_t, t)
    /// and, when `needsNoise(at:)`, a standard normal tensor the shape of x_t.
    func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?) throws -> SamplerStep
}

/// What one sampler step produces.
public struct SamplerStep: Sendable {
    /// The next, less noisy sample x_prev.
    public let previousSample: Tensor
    /// The model's estimate of x_0 at this step, after any clipping: a preview of the result.
    public let predictedOriginalSample: Tensor
}

extension Sampler {
    /// The predicted x_0 from the model output at `timestep`, clipped to [-range, range] when
    /// `clipRange` is given (Ho et al. 2020, section 3.3: data scaled to [-1, 1]; diffusers
    /// clip_sample): the first half of every DDPM and DDIM step.
    func clippedOriginalSample(modelOutput: Tensor, sample: Tensor, alphaBar: Double, clipRange: Double?) throws -> Tensor {
        let original = try prediction.originalSample(modelOutput: modelOutput, sample: sample, alphaBars: [alphaBar])
        guard let clipRange else { return original }
        return try original.clamp(min: Float(-clipRange), max: Float(clipRange))
    }

    /// `noise` when this step needs it, or a `SamplingError` when it is missing.
    func requiredNoise(_ noise: Tensor?, at timestep: Int) throws -> Tensor {
        guard let noise else { throw SamplingError.missingNoise(timestep: timestep) }
        return noise
    }
}

/// Throws unless `value` is a finite positive clip range (or absent).
func checkClipRange(_ value: Double?) throws {
    if let value, !(value > 0 && value.isFinite) {
        throw SamplingError.invalidParameter(name: "clipRange", value: value, requirement: "finite and positive")
    }
}
