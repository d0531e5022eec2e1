extension NoiseSchedule {
    /// Rescales `betas` so that the last step carries no signal (Lin et al. 2024, "Common
    /// Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1; diffusers
    /// rescale_zero_terminal_snr):
    ///
    ///     s_t  = sqrt(alpha-bar_t)
    ///     s'_t = (s_t - s_{T-1}) * s_0 / (s_0 - s_{T-1})     shift so s'_{T-1} = 0, scale so s'_0 = s_0
    ///     alpha-bar'_t = s'_t^2,  alpha'_t = alpha-bar'_t / alpha-bar'_{t-1},  beta'_t = 1 - alpha'_t
    ///
    /// The first step's SNR is unchanged and the last beta becomes exactly 1, so
    /// alpha-bar'_{T-1} = 0 and SNR(T - 1) = 0: at the last step the model sees pure noise, as
    /// it does when sampling starts.
    public static func rescaledToZeroTerminalSNR(_ betas: [Double]) throws -> [Double] {
        var product = 1.0
        let roots = betas.map { beta in
            product *= 1 - beta
            return product.squareRoot()
        }
        guard let first = roots.first, let last = roots.last, first != last else {
            throw ScheduleError.zeroTerminalSNRNeedsTwoDistinctSteps
        }
        let scale = first / (first - last)
        let alphaBars = roots.map { root -> Double in
            let shifted = (root - last) * scale
            return shifted * shifted
        }
        return alphaBars.indices.map { t in
            1 - (t == 0 ? alphaBars[0] : alphaBars[t] / alphaBars[t - 1])
        }
    }
}
