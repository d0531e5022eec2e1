/// Latent diffusion on Engine's tensors (docs/architecture.md):
///
/// - Schedules/: noise schedules, forward noising, the posterior, prediction parameterisations.
/// - Sampling/: DDPM and DDIM samplers and their trajectories.
/// - Autoencoders/: the KL and VQ autoencoders of the first stage.
/// - UNet/: the conditional UNet and the condition encoder of the second stage.
/// - Training/: training loops for both stages: EMA, warm-up, clipping, checkpoints, resume.
/// - Tasks/: conditioning set-ups (mask and edges; Med-cDiff's super-resolution, denoising, inpainting).
public enum Diffusion {}
