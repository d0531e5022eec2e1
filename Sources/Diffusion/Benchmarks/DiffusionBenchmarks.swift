import Engine

/// The diffusion workloads of docs/architecture.md (the benchmark models), timed per run (unit
/// `BenchmarkCase.milliseconds`). Each is configured exactly as its twin in
/// benchmarks/torch_reference.py (models from benchmarks/torch_models.py), and bears the same
/// name, so `medsynth bench --pytorch` can set the two side by side.
///
/// Inputs and weights are drawn once, when the case is made; a run does only the timed work.
public enum DiffusionBenchmarks {
    /// The benchmark UNet: the default `UNet.Configuration` (9 channels in, 4 out, widths
    /// 32/64/128, 1,404,804 parameters), PyTorch's initialisation from a fixed seed.
    static func unet() throws -> UNet {
        var random = RandomStream(seed: 0)
        return try UNet(random: &random)
    }

    /// The benchmark autoencoder: the default, plain `Autoencoder.Configuration` (1x64x64 to
    /// 4x16x16 and back, widths 32/64, 135,365 parameters).
    static func autoencoder() throws -> Autoencoder {
        var random = RandomStream(seed: 0)
        return try Autoencoder(random: &random)
    }

    /// One UNet training step, "unet train step b32" for the default batch of 32: zero the
    /// gradients, forward on a fixed N(0, 1) input [batch, 9, 16, 16] with fixed timesteps
    /// uniform in 0..<1000, MSE against a fixed N(0, 1) target [batch, 4, 16, 16], backward,
    /// and an Adam step with learning rate 1e-4 (torch.optim.Adam's other defaults).
    public static func unetTrainStep(batch: Int = 32) throws -> BenchmarkCase {
        try unetTrainStep(model: try unet(), batch: batch)
    }

    /// `unetTrainStep(batch:)` on a given model, which each run updates.
    static func unetTrainStep(model: UNet, batch: Int) throws -> BenchmarkCase {
        model.setTraining(true)
        let optimizer = try Adam(parameters: model.parameters, learningRate: 1e-4)
        let c = model.configuration
        let input = Variable(try Tensor.randn([batch, c.inputChannels, 16, 16], seed: 1))
        let target = Variable(try Tensor.randn([batch, c.outputChannels, 16, 16], seed: 2))
        let timesteps = Tensor(try Tensor.rand([batch], low: 0, high: 1000, seed: 3).scalars.map { $0.rounded(.down) })
        return BenchmarkCase(name: "unet train step b\(batch)", unit: BenchmarkCase.milliseconds, work: 1) {
            optimizer.zeroGradients()
            try Loss.meanSquaredError(try model(input, timesteps: timesteps), target).backward()
            try optimizer.step()
        }
    }

    /// One autoencoder training step, "autoencoder train step b32" for the default batch of 32:
    /// zero the gradients, reconstruct a fixed batch of [batch, 1, 64, 64] images uniform in
    /// [-1, 1), MSE between reconstruction and input, backward, and an Adam step with learning
    /// rate 1e-4.
    public static func autoencoderTrainStep(batch: Int = 32) throws -> BenchmarkCase {
        try autoencoderTrainStep(model: try autoencoder(), batch: batch)
    }

    /// `autoencoderTrainStep(batch:)` on a given model, which each run updates.
    static func autoencoderTrainStep(model: Autoencoder, batch: Int) throws -> BenchmarkCase {
        model.setTraining(true)
        let optimizer = try Adam(parameters: model.parameters, learningRate: 1e-4)
        let images = Variable(try Tensor.rand([batch, model.configuration.imageChannels, 64, 64], low: -1, high: 1, seed: 4))
        return BenchmarkCase(name: "autoencoder train step b\(batch)", unit: BenchmarkCase.milliseconds, work: 1) {
            optimizer.zeroGradients()
            try Loss.meanSquaredError(try model(images), images).backward()
            try optimizer.step()
        }
    }

    /// A whole DDIM sampling run, "ddim 50 steps b16" for the defaults: the benchmark UNet in
    /// evaluation mode, without gradients, through `DDIMSampler`'s sampling loop with eta 0 and
    /// leading spacing over a linear-beta schedule (1e-4 to 0.02, T = 1000), from fixed noise
    /// [batch, 4, 16, 16]; at every step the UNet sees concat(x_t, condition) with a fixed
    /// N(0, 1) condition [batch, 5, 16, 16].
    public static func ddimSampling(batch: Int = 16, steps: Int = 50) throws -> BenchmarkCase {
        let model = try unet()
        model.setTraining(false)
        let c = model.configuration
        let schedule = try NoiseSchedule.ddpm()
        let sampler = try DDIMSampler(schedule: schedule, inferenceSteps: steps, spacing: .leading(), eta: 0)
        let condition = try Tensor.randn([batch, c.inputChannels - c.outputChannels, 16, 16], seed: 5)
        let noise = try Tensor.randn([batch, c.outputChannels, 16, 16], seed: 6)
        return BenchmarkCase(name: "ddim \(steps) steps b\(batch)", unit: BenchmarkCase.milliseconds, work: 1) {
            _ = try GradientMode.withoutGradients {
                try sampler.sample(
                    from: noise,
                    denoiser: { sample, timesteps in
                        let input = try Tensor.concat([sample, condition], axis: 1)
                        OperationProfile.mark("sampler")  // its arithmetic since the last call, and the concat
                        return try model(Variable(input), timesteps: Tensor(timesteps.map(Float.init))).value
                    },
                    stepNoise: { _, shape in try Tensor.randn(shape, seed: 7) })
            }
        }
    }

    /// The three workloads, in the reference script's order.
    public static func standard() throws -> [BenchmarkCase] {
        [try unetTrainStep(), try autoencoderTrainStep(), try ddimSampling()]
    }
}
