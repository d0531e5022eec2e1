import Engine

/// A model that makes latents from noise for given conditions: what `diffuse` samples and
/// `denoise` steps. `Denoiser` (a conditional UNet with its process) is the one kind today; the
/// language asks only for this and its `DenoisingProcess`, so another architecture samples as
/// soon as it conforms.
public protocol LatentGenerator: DiffusionModel {
    /// The process it was trained for, which decides the samplers that fit.
    var process: DenoisingProcess { get }

    /// Its condition groups, in channel order.
    var conditionLayout: ConditionLayout { get }

    /// Latents sampled by `sampler` for conditions [N, C_c, H, W], item b from noise drawn from
    /// `random.item(b)`, under classifier-free guidance of `guidanceScale` with the groups
    /// `unconditional` dropped in its unconditional pass (nil: all). Runs in evaluation mode.
    func sampleLatents(
        conditions: Tensor, sampler: any Sampler, guidanceScale: Float, unconditional: Set<String>?,
        random: RandomKey, keepingSteps: Set<Int>,
        progress: (_ completedSteps: Int, _ totalSteps: Int) -> Void, isCancelled: () -> Bool
    ) throws -> SamplingResult

    /// The guided prediction for latents x_t [N, C, h, w] at N model times, in evaluation mode,
    /// without gradients.
    func guidedPrediction(latent: Tensor, condition: Tensor, timesteps: [Double], scale: Float) throws -> Tensor
}
