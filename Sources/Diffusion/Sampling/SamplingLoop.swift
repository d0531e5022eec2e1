import Engine

/// x_t and the predicted x_0 at one step of a sampling run, kept for display (`show`).
public struct TrajectoryFrame: Sendable {
    /// The step's position in the run, 0 for the first (noisiest).
    public let stepIndex: Int
    /// The time the model saw at the step: its timestep t (1000 σ for flow matching).
    public let timestep: Double
    /// x_t, the sample the step started from.
    public let sample: Tensor
    /// The model's estimate of x_0 at this step.
    public let predictedOriginalSample: Tensor
}

/// The outcome of a sampling run.
public struct SamplingResult: Sendable {
    /// x_0 after the last step.
    public let sample: Tensor
    /// The frames of the steps that were asked for, in step order.
    public let trajectory: [TrajectoryFrame]
}

extension Sampler {
    /// Runs the reverse process from `initialNoise` (x_T ~ N(0, I)) down all of `timesteps`:
    /// at each step i with model time t (`modelTimes`), output = denoiser(x_t, [t] * B), then
    /// x_t <- step(output, x_t, z) with z = stepNoise(i, shape) when the step needs noise. The
    /// run takes a fresh copy of the sampler: this one is left as it was.
    ///
    /// - Parameters:
    ///   - initialNoise: x_T, [B, ...].
    ///   - denoiser: the model: x_t and one timestep per batch item to its output, x_t's shape.
    ///   - stepNoise: a standard normal tensor of the given shape for step i (called only for
    ///     steps that add noise), so the caller owns the randomness.
    ///   - keepingSteps: the step indices whose x_t and predicted x_0 go into the trajectory.
    ///   - progress: called after each step with the number of steps done and the total.
    ///   - isCancelled: checked before each step; if it returns true the run stops with
    ///     `SamplingError.cancelled`.
    public func sample(
        from initialNoise: Tensor,
        denoiser: (_ sample: Tensor, _ times: [Double]) throws -> Tensor,
        stepNoise: (_ stepIndex: Int, _ shape: [Int]) throws -> Tensor,
        keepingSteps: Set<Int> = [],
        progress: (_ completedSteps: Int, _ totalSteps: Int) -> Void = { _, _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> SamplingResult {
        guard let batch = initialNoise.shape.first, batch > 0 else {
            throw ScheduleError.missingBatchAxis(operation: "sample", shape: initialNoise.shape)
        }
        var sampler = self
        sampler.reset()
        var current = initialNoise
        var trajectory: [TrajectoryFrame] = []
        // The denoiser runs the same network at every step: its 3x3 kernels are transformed once.
        try WinogradWeightCache.using {
            for (index, timestep) in modelTimes.enumerated() {
                if isCancelled() { throw SamplingError.cancelled(completedSteps: index, totalSteps: timesteps.count) }
                let output = try denoiser(current, Array(repeating: timestep, count: batch))
                guard output.shape == current.shape else {
                    throw SamplingError.denoiserShape(expected: current.shape, found: output.shape)
                }
                let noise = sampler.needsNoise(atStep: index) ? try stepNoise(index, current.shape) : nil
                let step = try sampler.step(modelOutput: output, sample: current, noise: noise)
                if keepingSteps.contains(index) {
                    trajectory.append(TrajectoryFrame(stepIndex: index, timestep: timestep, sample: current,
                                                      predictedOriginalSample: step.predictedOriginalSample))
                }
                current = step.previousSample
                progress(index + 1, timesteps.count)
            }
        }
        return SamplingResult(sample: current, trajectory: trajectory)
    }

    /// `sample(from:denoiser:stepNoise:...)` with the step noise drawn from `stream`
    /// (`Tensor.randn`), which advances past it: the same stream gives the same run.
    public func sample(
        from initialNoise: Tensor, stream: inout RandomStream,
        denoiser: (_ sample: Tensor, _ times: [Double]) throws -> Tensor,
        keepingSteps: Set<Int> = [],
        progress: (_ completedSteps: Int, _ totalSteps: Int) -> Void = { _, _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> SamplingResult {
        try sample(from: initialNoise, denoiser: denoiser,
                   stepNoise: { _, shape in try Tensor.randn(shape, using: &stream) },
                   keepingSteps: keepingSteps, progress: progress, isCancelled: isCancelled)
    }

    /// A run from x_T ~ N(0, I) of `shape` [B, ...] in which batch item b draws its x_T and then
    /// its step noise from its own stream, `random.item(b)`. Item b's result therefore depends
    /// only on its key: sampling 8 items gives the same first 4 as sampling 4 (to the extent the
    /// denoiser treats items independently, which a UNet in evaluation mode does).
    public func sample(
        shape: [Int], random: RandomKey,
        denoiser: (_ sample: Tensor, _ times: [Double]) throws -> Tensor,
        keepingSteps: Set<Int> = [],
        progress: (_ completedSteps: Int, _ totalSteps: Int) -> Void = { _, _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> SamplingResult {
        guard let batch = shape.first, batch > 0 else {
            throw ScheduleError.missingBatchAxis(operation: "sample", shape: shape)
        }
        var streams = (0..<batch).map { random.item($0).stream }
        let initialNoise = try Tensor.randn(shape, items: &streams)
        return try sample(from: initialNoise, denoiser: denoiser,
                          stepNoise: { _, shape in try Tensor.randn(shape, items: &streams) },
                          keepingSteps: keepingSteps, progress: progress, isCancelled: isCancelled)
    }
}
