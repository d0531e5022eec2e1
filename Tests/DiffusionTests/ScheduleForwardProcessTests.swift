import Foundation
import XCTest
@testable import Diffusion
@testable import Engine

/// Forward noising, the posterior and the prediction conversions, checked against their
/// statistics and against each other.
final class ScheduleForwardProcessTests: XCTestCase {
    private let schedule = try! NoiseSchedule(.linear(betaStart: 1e-4, betaEnd: 0.02), trainingSteps: 1000)

    func testNoisedSamplesHaveMeanSqrtAlphaBarX0AndVarianceOneMinusAlphaBar() throws {
        // 8192 items of 16 values: half at t = 50, half at t = 700.
        let items = 8192, half = items / 2
        let pattern = (0..<16).map { Float($0) / 8 - 1 }
        let original = try Tensor(shape: [items, 1, 4, 4], scalars: Array((0..<items).map { _ in pattern }.joined()))
        var stream = RandomStream(seed: 11)
        let noise = try Tensor.randn([items, 1, 4, 4], using: &stream)
        let timesteps = (0..<items).map { $0 < half ? 50 : 700 }
        let noisy = try schedule.addNoise(to: original, noise: noise, timesteps: timesteps)
        for (range, t) in [(0..<half, 50), (half..<items, 700)] {
            let alphaBar = schedule.alphaBars[t]
            var sum = [Double](repeating: 0, count: 16), sumOfSquares = [Double](repeating: 0, count: 16)
            for item in range {
                for i in 0..<16 {
                    let x = Double(noisy.scalars[item * 16 + i])
                    sum[i] += x
                    sumOfSquares[i] += x * x
                }
            }
            let n = Double(range.count)
            let standardError = ((1 - alphaBar) / n).squareRoot()
            var pooledVariance = 0.0
            for i in 0..<16 {
                let mean = sum[i] / n
                XCTAssertEqual(mean, alphaBar.squareRoot() * Double(pattern[i]), accuracy: 4.5 * standardError, "t=\(t) pixel \(i)")
                pooledVariance += (sumOfSquares[i] / n - mean * mean) / 16
            }
            // 16 * 4096 values: the variance estimate's standard error is sqrt(2 / 65536) relative.
            XCTAssertEqual(pooledVariance, 1 - alphaBar, accuracy: 4 * (2.0 / 65536).squareRoot() * (1 - alphaBar), "t=\(t)")
        }
    }

    func testEveryPredictionTurnsBackIntoX0AndEpsilon() throws {
        let original = try Tensor.rand([3, 2, 4, 4], low: -1, high: 1, seed: 1)
        let noise = try Tensor.randn([3, 2, 4, 4], seed: 2)
        let timesteps = [0, 400, 980]
        let noisy = try schedule.addNoise(to: original, noise: noise, timesteps: timesteps)
        let alphaBars = try schedule.alphaBars(at: timesteps)
        for prediction in Prediction.allCases {
            let target = try prediction.target(original: original, noise: noise, timesteps: timesteps, schedule: schedule)
            let x0 = try prediction.originalSample(modelOutput: target, sample: noisy, alphaBars: alphaBars)
            let epsilon = try prediction.noise(modelOutput: target, sample: noisy, alphaBars: alphaBars)
            // x_0 from epsilon at t = 980 divides by sqrt(alpha-bar) = 0.009: Float rounding grows ~100x.
            XCTAssertLessThan(maxDifference(x0, original), 2e-4, "\(prediction) x0")
            XCTAssertLessThan(maxDifference(epsilon, noise), 2e-4, "\(prediction) epsilon")
        }
        // v = sqrt(ab) eps - sqrt(1 - ab) x0 by hand for one value.
        let v = try schedule.velocity(original: original, noise: noise, timesteps: timesteps)
        let a = alphaBars[1].squareRoot(), b = (1 - alphaBars[1]).squareRoot()
        XCTAssertEqual(Double(v.scalars[32 + 5]), a * Double(noise.scalars[32 + 5]) - b * Double(original.scalars[32 + 5]), accuracy: 1e-6)
    }

    func testPosteriorIsTheGaussianConjugateOfTheTwoForwardSteps() throws {
        for t in [1, 10, 500, 999] {
            let posterior = try schedule.posterior(at: t)
            let beta = schedule.betas[t], alpha = 1 - beta, previous = schedule.alphaBars[t - 1]
            // q(x_{t-1} | x_0) = N(sqrt(ab_{t-1}) x_0, 1 - ab_{t-1}), q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t):
            // precision 1/(1 - ab_{t-1}) + alpha_t / beta_t, and mean = variance * (sqrt(ab_{t-1}) x_0 / (1 - ab_{t-1})
            // + sqrt(alpha_t) x_t / beta_t).
            let variance = 1 / (1 / (1 - previous) + alpha / beta)
            XCTAssertEqual(posterior.variance, variance, accuracy: 1e-12 * variance, "t = \(t)")
            XCTAssertEqual(posterior.originalCoefficient, variance * previous.squareRoot() / (1 - previous), accuracy: 1e-12)
            XCTAssertEqual(posterior.sampleCoefficient, variance * alpha.squareRoot() / beta, accuracy: 1e-12)
            XCTAssertEqual(posterior.beta, beta, accuracy: 1e-15)
        }
        let first = try schedule.posterior(at: 0)
        XCTAssertEqual(first.variance, 0)
        XCTAssertEqual(first.originalCoefficient, 1, accuracy: 1e-15)
        XCTAssertEqual(first.sampleCoefficient, 0)
        XCTAssertEqual(try schedule.clippedLogPosteriorVariance(at: 0), log(try schedule.posterior(at: 1).variance))
        XCTAssertEqual(try schedule.clippedLogPosteriorVariance(at: 7), log(try schedule.posterior(at: 7).variance))

        let x0 = try Tensor(shape: [1, 2], scalars: [1, -2]), xt = try Tensor(shape: [1, 2], scalars: [0.5, 3])
        let posterior = try schedule.posterior(at: 300)
        let mean = try posterior.mean(original: x0, sample: xt)
        XCTAssertEqual(Double(mean.scalars[1]), -2 * posterior.originalCoefficient + 3 * posterior.sampleCoefficient, accuracy: 1e-6)
    }

    func testShapeAndBatchMistakesAreErrors() throws {
        let x = try Tensor.zeros([2, 1, 4, 4])
        XCTAssertThrowsError(try schedule.addNoise(to: x, noise: try Tensor.zeros([2, 1, 4, 5]), timesteps: [1, 2])) {
            XCTAssertEqual($0 as? ScheduleError, .shapeMismatch(operation: "addNoise", expected: [2, 1, 4, 4], found: [2, 1, 4, 5]))
        }
        XCTAssertThrowsError(try schedule.addNoise(to: x, noise: x, timesteps: [1, 2, 3])) {
            XCTAssertEqual($0 as? ScheduleError, .batchCountMismatch(operation: "addNoise", count: 3, batch: 2))
        }
        XCTAssertThrowsError(try schedule.addNoise(to: x, noise: x, timesteps: [1, 1000])) {
            XCTAssertEqual($0 as? ScheduleError, .timestepOutOfRange(timestep: 1000, trainingSteps: 1000))
        }
        XCTAssertThrowsError(try schedule.addNoise(to: Tensor(1), noise: Tensor(1), timesteps: [1])) {
            XCTAssertEqual($0 as? ScheduleError, .missingBatchAxis(operation: "addNoise", shape: []))
        }
        XCTAssertThrowsError(try Prediction.sample.originalSample(modelOutput: x, sample: try Tensor.zeros([2, 1]), alphaBars: [0.5]))
        // One timestep serves the whole batch.
        XCTAssertEqual(try schedule.addNoise(to: x, noise: x, timesteps: [5]).shape, [2, 1, 4, 4])
    }

    private func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
    }
}
