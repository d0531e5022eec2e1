import Engine
import Foundation

/// Pixel-wise errors between an image `x` and a reference `y` of the same shape (any shape).
///
/// All of them reduce over every value of the tensors at once, batch included, as
/// scikit-image's `mean_squared_error` and `peak_signal_noise_ratio` do; to score images one by
/// one, slice the batch first.
extension Metrics {
    /// Mean squared error: mean((x - y)^2) over every value.
    public static func meanSquaredError(_ x: Tensor, _ y: Tensor) throws -> Double {
        try requireSameShape("meanSquaredError", x, y)
        return sumOfDifferences(x, y) { $0 * $0 } / Double(x.count)
    }

    /// Mean absolute error: mean(|x - y|) over every value.
    public static func meanAbsoluteError(_ x: Tensor, _ y: Tensor) throws -> Double {
        try requireSameShape("meanAbsoluteError", x, y)
        return sumOfDifferences(x, y) { abs($0) } / Double(x.count)
    }

    /// Normalised mean squared error ||x - y||^2 / ||y||^2, with `y` the reference (so the
    /// metric is not symmetric). An all-zero reference is an error: the ratio has no meaning.
    public static func normalizedMeanSquaredError(_ x: Tensor, reference y: Tensor) throws -> Double {
        try requireSameShape("normalizedMeanSquaredError", x, y)
        let energy = y.withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) * Double($1) } }
        guard energy > 0 else {
            throw TensorError("normalizedMeanSquaredError", "the reference is all zeros, so ||y||^2 is 0")
        }
        return sumOfDifferences(x, y) { $0 * $0 } / energy
    }

    /// Peak signal-to-noise ratio in decibels, 10 log10(dataRange^2 / MSE), with an explicit
    /// data range (the width of the images' value range: 1 for [0, 1], 2 for [-1, 1], 255 for
    /// 8-bit), as scikit-image's `peak_signal_noise_ratio(y, x, data_range:)`. Identical images
    /// give +infinity. A data range narrower than the values present is an error.
    public static func peakSignalToNoiseRatio(_ x: Tensor, _ y: Tensor, dataRange: Double) throws -> Double {
        try requireSameShape("peakSignalToNoiseRatio", x, y)
        try requireDataRange("peakSignalToNoiseRatio", dataRange, covers: x, y)
        let mse = sumOfDifferences(x, y) { $0 * $0 } / Double(x.count)
        return 10 * log10(dataRange * dataRange / mse)
    }

    /// Σ f(x_i - y_i) in Double.
    private static func sumOfDifferences(_ x: Tensor, _ y: Tensor, _ f: (Double) -> Double) -> Double {
        x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                var sum = 0.0
                for i in 0..<x.count { sum += f(Double(x[i]) - Double(y[i])) }
                return sum
            }
        }
    }
}
