import Engine

/// Flow matching (rectified flow), the training side: the model learns the velocity of the
/// straight path from data to noise (Liu, Gong and Liu 2022, arXiv:2209.03003; Lipman et al.
/// 2023), in the convention of Esser et al. 2024 (arXiv:2403.03206, §2 and §3.1) and diffusers:
///
///     z_t = (1 - t) x_0 + t ε,   t in (0, 1), t = 1 pure noise;   v = dz/dt = ε - x_0,
///
/// and minimises E ||v_θ(z_t, t) - (ε - x_0)||². The times are drawn logit-normal,
/// t = sigmoid(u) with u ~ N(0, 1) (Esser et al. §3.1, "lognorm(0, 1)", their best choice),
/// which spends the model's capacity on the middle of the path, where the velocity is hardest
/// to predict. The network sees the time as 1000 t, the scale of a diffusion model's timesteps,
/// so the same UNet (its sinusoidal embedding) serves both; `FlowMatchEulerSampler` shows it
/// the same times when sampling.
public enum FlowMatching {
    /// The scale of the time the network sees, 1000 t: the length of the training grid T that
    /// `FlowMatchEulerSampler` samples on.
    public static let timeScale = 1000

    /// The forward process: z_t = (1 - t) x_0 + t ε, item b of the batch at time `times[b]`.
    public static func noised(_ original: Tensor, noise: Tensor, times: [Double]) throws -> Tensor {
        try combinePerItem("flow matching", [WeightedTerm(original, times.map { 1 - $0 }), WeightedTerm(noise, times)])
    }

    /// The loss of a mini-batch of latents x_0 [B, C, h, w] and their conditions [B, C_c, H, W]:
    /// the mean squared error of the predicted velocity. The times, the noise and the condition
    /// drops all come from `random`, in that order (as `ConditionalUNet.simpleLoss`).
    public static func loss(
        model: ConditionalUNet, latents: Tensor, conditions: Tensor, random: inout RandomStream
    ) throws -> Variable {
        let batch = latents.shape[0]
        let times = try Tensor.randn([batch], using: &random).sigmoid().scalars.map(Double.init)
        let noise = try Tensor.randn(latents.shape, using: &random)
        let noisy = try noised(latents, noise: noise, times: times)
        let target = try noise - latents
        let output = try model(latent: Variable(noisy), condition: conditions,
                               timesteps: Tensor(times.map { Float($0 * Double(timeScale)) }), random: &random)
        return try Loss.meanSquaredError(output, Variable(target))
    }
}
