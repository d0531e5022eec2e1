import Foundation

/// Chosen rows of a noise schedule, (t, beta_t, alpha-bar_t, SNR(t)), for printing or plotting.
///
/// `description` is an aligned text table:
///
///        t        beta   alpha-bar         SNR
///        0  1.0000e-04  9.9990e-01  9.9990e+03
///      999  2.0000e-02  4.0358e-05  4.0360e-05
public struct ScheduleTable: Sendable, Equatable, CustomStringConvertible {
    /// One timestep of the schedule.
    public struct Row: Sendable, Equatable {
        /// The timestep, 0-based.
        public let timestep: Int
        /// beta_t.
        public let beta: Double
        /// alpha-bar_t = prod_{s <= t} (1 - beta_s).
        public let alphaBar: Double
        /// SNR(t) = alpha-bar_t / (1 - alpha-bar_t).
        public let signalToNoiseRatio: Double
    }

    /// The rows in the order they were asked for.
    public let rows: [Row]

    /// The rows as right-aligned columns under a header, values in 4-digit scientific notation.
    public var description: String {
        let header = ["t", "beta", "alpha-bar", "SNR"]
        let cells = rows.map { row in
            [String(row.timestep)] + [row.beta, row.alphaBar, row.signalToNoiseRatio].map {
                String(format: "%.4e", $0)
            }
        }
        let widths = header.indices.map { column in
            ([header] + cells).map { $0[column].count }.max() ?? 0
        }
        return ([header] + cells).map { line in
            zip(line, widths).map { cell, width in
                String(repeating: " ", count: width - cell.count + 2) + cell
            }.joined()
        }.joined(separator: "\n")
    }
}

extension NoiseSchedule: CustomStringConvertible {
    /// The rows of `timesteps`, in that order; a `ScheduleError` for a timestep outside 0..<T.
    public func table(rows timesteps: [Int]) throws -> ScheduleTable {
        ScheduleTable(rows: try timesteps.map { t in
            let alphaBar = try alphaBar(at: t)
            return ScheduleTable.Row(timestep: t, beta: betas[t], alphaBar: alphaBar,
                                     signalToNoiseRatio: try signalToNoiseRatio(at: t))
        })
    }

    /// `count` timesteps spread evenly from the first (0) to the last (T - 1), both included,
    /// without repeats: round(i * (T - 1) / (count - 1)) for i = 0..<count.
    public func evenlySpacedTimesteps(count: Int) -> [Int] {
        guard count > 1, trainingSteps > 1 else { return [0] }
        let last = trainingSteps - 1
        var chosen: [Int] = []
        for i in 0..<count {
            let t = Int((Double(i * last) / Double(count - 1)).rounded())
            if chosen.last != t { chosen.append(t) }
        }
        return chosen
    }

    /// The kind, T, whether zero-terminal-SNR applies, and a table of 11 evenly spaced rows
    /// (first and last included).
    public var description: String {
        let kindName: String
        switch kind {
        case .linear(let start, let end): kindName = "linear betas \(start) to \(end)"
        case .scaledLinear(let start, let end): kindName = "scaled-linear betas \(start) to \(end)"
        case .cosine: kindName = "cosine (s = \(Self.cosineOffset), betas capped at \(Self.cosineMaximumBeta))"
        }
        let rescale = zeroTerminalSNR ? ", rescaled to zero terminal SNR" : ""
        let table = (try? table(rows: evenlySpacedTimesteps(count: 11)))?.description ?? ""
        return "NoiseSchedule: \(kindName), T = \(trainingSteps)\(rescale)\n" + table
    }
}
