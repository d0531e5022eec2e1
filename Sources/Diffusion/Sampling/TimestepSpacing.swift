/// How inference picks n of the T training timesteps, in descending order (Lin et al. 2024,
/// "Common Diffusion Noise Schedules and Sample Steps are Flawed", Table 2; diffusers
/// timestep_spacing).
public enum TimestepSpacing: Sendable, Equatable {
    /// t_i = i * floor(T / n) + offset for i = n-1 ... 0 (DDIM's original choice; diffusers
    /// "leading" with steps_offset). With offset 0 it starts at 0 and rarely reaches T - 1.
    case leading(offset: Int = 0)
    /// t_i = round(T - i * T / n) - 1 for i = 0 ... n-1: starts on the last step, T - 1 (diffusers
    /// "trailing"; Lin et al. recommend it with a zero-SNR schedule).
    case trailing
    /// t_i = round(i * (T - 1) / (n - 1)) for i = n-1 ... 0: both ends included (diffusers
    /// "linspace"; numpy rounds halves to even, and so does this).
    case linspace

    /// The `inferenceSteps` timesteps for a schedule of `trainingSteps` steps, highest first;
    /// a `SamplingError` unless 1 <= n <= T and every timestep lies in 0..<T.
    public func timesteps(inferenceSteps n: Int, trainingSteps t: Int) throws -> [Int] {
        guard n >= 1, n <= t else { throw SamplingError.inferenceStepsOutOfRange(requested: n, trainingSteps: t) }
        let timesteps: [Int]
        switch self {
        case .leading(let offset):
            let ratio = t / n
            timesteps = (0..<n).reversed().map { $0 * ratio + offset }
        case .trailing:
            // numpy's arange(T, 0, -T/n) steps by ((T - T/n) - T), not by -T/n; the same rounding
            // keeps every timestep identical to diffusers'. (For some (T, n), such as (50, 29),
            // numpy's arange also yields an (n+1)-th value that becomes timestep -1; it is left out.)
            let delta = (Double(t) - Double(t) / Double(n)) - Double(t)
            timesteps = (0..<n).map { Int((Double(t) + Double($0) * delta).rounded(.toNearestOrEven)) - 1 }
        case .linspace:
            let step = n > 1 ? Double(t - 1) / Double(n - 1) : 0
            timesteps = (0..<n).reversed().map { Int((Double($0) * step).rounded(.toNearestOrEven)) }
        }
        if let outside = timesteps.first(where: { !(0..<t).contains($0) }) {
            throw SamplingError.spacingLeavesSchedule(timestep: outside, trainingSteps: t)
        }
        return timesteps
    }
}
