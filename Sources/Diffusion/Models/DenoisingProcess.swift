/// How a model makes latents from noise: the process it was trained for, which decides its
/// training loss and the samplers that fit. A `Denoiser` has one; so does any `LatentGenerator`.
public enum DenoisingProcess: Sendable {
    /// Diffusion: a noise schedule, and what the network predicts at its integer timesteps.
    case diffusion(schedule: NoiseSchedule, prediction: Prediction)
    /// Flow matching: the network predicts the velocity ε - x_0 at time 1000 t (`FlowMatching`).
    case flow

    /// The kind of process, which decides the samplers that fit.
    public var kind: GenerativeProcess {
        if case .flow = self { return .flow }
        return .diffusion
    }
}
