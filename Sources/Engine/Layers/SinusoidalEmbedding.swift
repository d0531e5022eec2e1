#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// Sinusoidal timestep embeddings, as diffusers' `get_timestep_embedding` (the positional
    /// encoding of Vaswani et al. 2017, used for the timestep in DDPM, Ho et al. 2020).
    ///
    /// For timesteps t [N] and dimension D, with half = D / 2 (rounded down) and i in 0..<half:
    ///
    ///     frequency_i = exp(-ln(maxPeriod) * i / (half - downscaleFrequencyShift))
    ///     output[n, i]        = sin(scale * t_n * frequency_i)
    ///     output[n, half + i] = cos(scale * t_n * frequency_i)
    ///
    /// so frequencies fall geometrically from 1 to (almost) 1 / maxPeriod, and an odd D gets a
    /// final column of zeros. `flipSinToCos` puts the cosines first.
    ///
    /// The defaults are frequencies exp(-ln(10000) i / half) with sines first:
    /// `downscaleFrequencyShift` 0 and `flipSinToCos` false. Other codebases' choices:
    /// - diffusers' `get_timestep_embedding` itself defaults to shift 1 and sines first, which
    ///   is the original DDPM code (`log(10000) / (half - 1)`);
    /// - diffusers' `UNet2DModel` (and its Stable Diffusion UNet) use shift 0 with cosines first
    ///   (`flip_sin_to_cos=True`), as OpenAI's guided-diffusion `timestep_embedding`.
    ///
    /// Computed in Double and rounded once, so a large t * frequency loses nothing to Float32
    /// rounding of its argument (PyTorch computes it in float32, and at t = 1000 its values
    /// differ from these by up to a few 1e-6). No gradient: timesteps are data.
    ///
    /// - Returns: [N, D].
    public static func sinusoidalEmbedding(
        timesteps: Tensor, dimension: Int, maxPeriod: Double = 10_000, scale: Double = 1,
        flipSinToCos: Bool = false, downscaleFrequencyShift: Double = 0
    ) throws -> Tensor {
        guard timesteps.rank == 1 else {
            throw TensorError("sinusoidalEmbedding", "needs timesteps of shape [N], got \(describeShape(timesteps.shape))")
        }
        let half = dimension / 2
        guard dimension >= 0, half == 0 || Double(half) - downscaleFrequencyShift > 0, maxPeriod > 0 else {
            throw TensorError("sinusoidalEmbedding", "dimension \(dimension) with frequency shift \(downscaleFrequencyShift) "
                + "and max period \(maxPeriod) gives no frequencies (half the dimension must exceed the shift)")
        }
        try Shape.checkAllocation([timesteps.count, dimension], op: "sinusoidalEmbedding")
        let frequencies = Sinusoid.frequencies(half, maxPeriod: maxPeriod, shift: downscaleFrequencyShift)
        var output = [Float](repeating: 0, count: timesteps.count * dimension)
        for (n, t) in timesteps.scalars.enumerated() {
            let row = n * dimension
            // Sines in the first half and cosines in the second, or the other way round.
            let (sines, cosines) = flipSinToCos ? (row + half, row) : (row, row + half)
            for (i, frequency) in frequencies.enumerated() {
                let (sine, cosine) = Sinusoid.sineAndCosine(scale * Double(t) * frequency)
                output[sines + i] = Float(sine)
                output[cosines + i] = Float(cosine)
            }
        }
        return try Tensor(shape: [timesteps.count, dimension], scalars: output)
    }
}

/// The Double arithmetic of the embedding, outside Tensor, whose methods exp and log would hide
/// the C library's functions.
private enum Sinusoid {
    /// exp(-ln(maxPeriod) i / (half - shift)) for i in 0..<half.
    static func frequencies(_ half: Int, maxPeriod: Double, shift: Double) -> [Double] {
        (0..<half).map { i in exp(-log(maxPeriod) * Double(i) / (Double(half) - shift)) }
    }

    static func sineAndCosine(_ x: Double) -> (Double, Double) { (sin(x), cos(x)) }
}
