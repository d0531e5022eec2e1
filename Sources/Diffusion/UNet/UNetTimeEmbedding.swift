import Engine

extension UNet {
    /// The timestep's embedding, shared by every residual block (Ho et al., "Denoising Diffusion
    /// Probabilistic Models", 2020, appendix B):
    ///
    ///     emb = linear2(SiLU(linear1(sinusoidal(t))))
    ///
    /// with `sinusoidal` the [cos | sin] embedding of width D at frequencies
    /// exp(-ln(10000) i / (D/2)), i = 0..<D/2: `Tensor.sinusoidalEmbedding` with
    /// `flipSinToCos: true` and frequency shift 0, as diffusers' `UNet2DModel` and the PyTorch
    /// reference in benchmarks/torch_models.py.
    public final class TimeEmbedding: Module {
        /// D -> D.
        public let linear1: Linear
        /// D -> D.
        public let linear2: Linear

        /// - Parameter width: D, the width of the sinusoidal embedding and of both layers.
        public init(width: Int, random: inout RandomStream) throws {
            guard width > 0, width % 2 == 0 else {
                throw ModuleError("UNet.TimeEmbedding: the width must be positive and even, got \(width)")
            }
            linear1 = try Linear(inputs: width, outputs: width, random: &random)
            linear2 = try Linear(inputs: width, outputs: width, random: &random)
        }

        /// timesteps: [N] (any real values) -> [N, D].
        public func callAsFunction(_ timesteps: Tensor) throws -> Variable {
            let width = linear1.weight.shape[1]
            let sinusoid = try Tensor.sinusoidalEmbedding(timesteps: timesteps, dimension: width, flipSinToCos: true)
            return try linear2(linear1(Variable(sinusoid)).silu())
        }
    }
}
