import Engine
import Foundation

/// The forward-process posterior q(x_prev | x_t, x_0) = N(mean, variance I) between a timestep t
/// and an earlier one (Ho et al. 2020, eq. 6-7, written with alpha-bars so that it also holds
/// when sampling skips steps):
///
///     beta_t   = 1 - alpha-bar_t / alpha-bar_prev          (the effective beta of the skip)
///     mean     = sqrt(alpha-bar_prev) beta_t / (1 - alpha-bar_t)        * x_0
///              + sqrt(1 - beta_t) (1 - alpha-bar_prev) / (1 - alpha-bar_t) * x_t
///     variance = (1 - alpha-bar_prev) / (1 - alpha-bar_t) * beta_t      (beta-tilde_t)
///
/// With prev = t - 1 these are the paper's eq. 7 exactly.
public struct Posterior: Sendable, Equatable {
    /// alpha-bar at the later timestep t.
    public let alphaBar: Double
    /// alpha-bar at the earlier timestep (1 before the first step).
    public let previousAlphaBar: Double

    /// The posterior from a step with `alphaBar` back to one with `previousAlphaBar`.
    public init(alphaBar: Double, previousAlphaBar: Double) {
        self.alphaBar = alphaBar
        self.previousAlphaBar = previousAlphaBar
    }

    /// beta_t = 1 - alpha-bar_t / alpha-bar_prev: the variance of q(x_t | x_prev).
    public var beta: Double { 1 - alphaBar / previousAlphaBar }

    /// sqrt(alpha-bar_prev) beta_t / (1 - alpha-bar_t): the weight of x_0 in the mean (eq. 7).
    public var originalCoefficient: Double { previousAlphaBar.squareRoot() * beta / (1 - alphaBar) }

    /// sqrt(alpha_t) (1 - alpha-bar_prev) / (1 - alpha-bar_t): the weight of x_t in the mean (eq. 7).
    public var sampleCoefficient: Double { (1 - beta).squareRoot() * (1 - previousAlphaBar) / (1 - alphaBar) }

    /// beta-tilde_t = (1 - alpha-bar_prev) / (1 - alpha-bar_t) * beta_t (eq. 7): DDPM's
    /// "fixed_small" sampling variance, the lower bound of Ho et al.'s section 3.2.
    public var variance: Double { (1 - previousAlphaBar) / (1 - alphaBar) * beta }

    /// The posterior mean mu-tilde_t(x_t, x_0) (eq. 7) for tensors [B, ...] of one shape.
    public func mean(original: Tensor, sample: Tensor) throws -> Tensor {
        try combinePerItem("posterior mean", [
            WeightedTerm(original, originalCoefficient), WeightedTerm(sample, sampleCoefficient),
        ])
    }
}

extension NoiseSchedule {
    /// The one-step posterior q(x_{t-1} | x_t, x_0) (Ho et al. 2020, eq. 6-7); before the first
    /// step (t = 0) alpha-bar_prev is 1, so the variance is 0 and the mean is x_0.
    public func posterior(at timestep: Int) throws -> Posterior {
        Posterior(alphaBar: try alphaBar(at: timestep), previousAlphaBar: timestep > 0 ? alphaBars[timestep - 1] : 1)
    }

    /// log beta-tilde_t with the t = 0 entry, where beta-tilde is 0, replaced by beta-tilde_1 (Nichol &
    /// Dhariwal 2021, section 3.1; guided-diffusion's posterior_log_variance_clipped): a finite log
    /// variance at every step, for losses and learned-variance interpolation.
    public func clippedLogPosteriorVariance(at timestep: Int) throws -> Double {
        try checkTimestep(timestep)
        let clipped = timestep == 0 && trainingSteps > 1 ? 1 : timestep
        return log(try posterior(at: clipped).variance)
    }
}
