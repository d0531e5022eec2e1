import Foundation

/// The variances beta_1 ... beta_T of the forward diffusion process and the quantities derived
/// from them (Ho et al. 2020, "Denoising Diffusion Probabilistic Models", section 2):
///
///     alpha_t     = 1 - beta_t
///     alpha-bar_t = prod_{s <= t} alpha_s                    (cumulative product)
///     SNR(t)      = alpha-bar_t / (1 - alpha-bar_t)
///
/// Timesteps are indexed from 0 as in diffusers: index t holds the paper's step t + 1, so
/// `alphaBars[0]` is the first, least noisy step and `alphaBars[T - 1]` the last.
///
/// Everything is computed and stored in `Double`; the tensor operations read these values and
/// convert each coefficient to `Float` only at the multiplication, so the schedule itself adds no
/// single-precision rounding.
public struct NoiseSchedule: Sendable, Equatable {
    /// How the betas are laid out over the T steps.
    public enum Kind: Sendable, Equatable {
        /// beta_t linear from `betaStart` to `betaEnd` (Ho et al. 2020, section 4: 1e-4 to 0.02);
        /// diffusers "linear".
        case linear(betaStart: Double, betaEnd: Double)
        /// sqrt(beta_t) linear from sqrt(betaStart) to sqrt(betaEnd), then squared (the latent
        /// diffusion schedule, Rombach et al. 2022); diffusers "scaled_linear".
        case scaledLinear(betaStart: Double, betaEnd: Double)
        /// Nichol & Dhariwal 2021, "Improved DDPM", eq. 17: f(t) = cos^2((t/T + s)/(1 + s) * pi/2)
        /// with s = 0.008, and beta_t = min(1 - f(t + 1)/f(t), 0.999); diffusers "squaredcos_cap_v2".
        case cosine
    }

    /// The offset s of the cosine schedule, which keeps beta_1 from being vanishingly small.
    public static let cosineOffset = 0.008
    /// The cap on the cosine schedule's betas, which keeps them away from 1 near t = T.
    public static let cosineMaximumBeta = 0.999

    /// The layout of the betas.
    public let kind: Kind
    /// Whether the betas were rescaled to zero terminal SNR (Lin et al. 2024, Algorithm 1).
    public let zeroTerminalSNR: Bool
    /// beta_t for t = 0..<T.
    public let betas: [Double]
    /// alpha_t = 1 - beta_t.
    public let alphas: [Double]
    /// alpha-bar_t = prod_{s <= t} alpha_s.
    public let alphaBars: [Double]

    /// The number of training steps T.
    public var trainingSteps: Int { betas.count }

    /// Ho et al. (2020)'s schedule: T = 1000, linear betas from 1e-4 to 0.02. A new UNet's
    /// default, and the schedule of the benchmarks and of `medsynth experiment`.
    public static func ddpm() throws -> NoiseSchedule {
        try NoiseSchedule(.linear(betaStart: 1e-4, betaEnd: 0.02), trainingSteps: 1000)
    }

    /// The schedule of `kind` over `trainingSteps` steps, optionally rescaled so that
    /// alpha-bar_{T-1} = 0 (`zeroTerminalSNR`, see `rescaledToZeroTerminalSNR(_:)`).
    ///
    /// Throws `ScheduleError` for T < 1, for linear or scaled-linear end points outside (0, 1),
    /// and for a zero-SNR rescale of a schedule whose first and last alpha-bars are equal.
    public init(_ kind: Kind, trainingSteps: Int, zeroTerminalSNR: Bool = false) throws {
        guard trainingSteps >= 1 else { throw ScheduleError.invalidTrainingSteps(trainingSteps) }
        var betas: [Double]
        switch kind {
        case .linear(let start, let end):
            try Self.checkBeta(start, "betaStart")
            try Self.checkBeta(end, "betaEnd")
            betas = Self.linspace(start, end, count: trainingSteps)
        case .scaledLinear(let start, let end):
            try Self.checkBeta(start, "betaStart")
            try Self.checkBeta(end, "betaEnd")
            betas = Self.linspace(start.squareRoot(), end.squareRoot(), count: trainingSteps).map { $0 * $0 }
        case .cosine:
            betas = Self.cosineBetas(count: trainingSteps)
        }
        if zeroTerminalSNR { betas = try Self.rescaledToZeroTerminalSNR(betas) }
        self.kind = kind
        self.zeroTerminalSNR = zeroTerminalSNR
        self.betas = betas
        self.alphas = betas.map { 1 - $0 }
        var product = 1.0
        self.alphaBars = alphas.map { alpha in
            product *= alpha
            return product
        }
    }

    /// alpha-bar at `timestep`, or a `ScheduleError` if it lies outside 0..<T.
    public func alphaBar(at timestep: Int) throws -> Double {
        try checkTimestep(timestep)
        return alphaBars[timestep]
    }

    /// alpha-bar at each of `timesteps`, one per batch item.
    public func alphaBars(at timesteps: [Int]) throws -> [Double] {
        try timesteps.map(alphaBar(at:))
    }

    /// The signal-to-noise ratio SNR(t) = alpha-bar_t / (1 - alpha-bar_t) (Kingma et al. 2021,
    /// "Variational Diffusion Models", eq. 2 with alpha^2 = alpha-bar, sigma^2 = 1 - alpha-bar);
    /// infinite where alpha-bar is 1, zero at a zero-SNR schedule's last step.
    public func signalToNoiseRatio(at timestep: Int) throws -> Double {
        let alphaBar = try alphaBar(at: timestep)
        return alphaBar / (1 - alphaBar)
    }

    /// Throws unless 0 <= timestep < T.
    func checkTimestep(_ timestep: Int) throws {
        guard (0..<trainingSteps).contains(timestep) else {
            throw ScheduleError.timestepOutOfRange(timestep: timestep, trainingSteps: trainingSteps)
        }
    }

    private static func checkBeta(_ value: Double, _ which: String) throws {
        guard value > 0, value < 1 else { throw ScheduleError.betaOutOfRange(which: which, value: value) }
    }

    /// `count` evenly spaced values from `start` to `end` inclusive (torch.linspace); just
    /// `start` when count is 1.
    private static func linspace(_ start: Double, _ end: Double, count: Int) -> [Double] {
        guard count > 1 else { return [start] }
        let step = (end - start) / Double(count - 1)
        return (0..<count).map { start + Double($0) * step }
    }

    /// Nichol & Dhariwal 2021, eq. 17: beta_t = min(1 - f((t + 1)/T) / f(t/T), 0.999) with
    /// f(u) = cos^2((u + s)/(1 + s) * pi/2), exactly as diffusers' betas_for_alpha_bar.
    private static func cosineBetas(count: Int) -> [Double] {
        func f(_ u: Double) -> Double {
            let c = cos((u + cosineOffset) / (1 + cosineOffset) * Double.pi / 2)
            return c * c
        }
        let steps = Double(count)
        return (0..<count).map { t in
            min(1 - f(Double(t + 1) / steps) / f(Double(t) / steps), cosineMaximumBeta)
        }
    }
}
