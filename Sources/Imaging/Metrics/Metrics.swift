import Engine

/// Image-quality and distribution metrics: SSIM, PSNR, MSE, MAE, NMSE, Dice, Fréchet distance.
///
/// Every metric states its convention (reduction, reference, data range, empty cases) in its doc
/// comment, computes in Double whatever the tensors hold, and throws a `TensorError` that names
/// the metric and the shapes when its inputs do not fit together.
public enum Metrics {}

extension Metrics {
    /// Checks that `x` and `y` have the same shape and hold at least one value.
    static func requireSameShape(_ op: String, _ x: Tensor, _ y: Tensor) throws {
        guard x.shape == y.shape else {
            throw TensorError(op, "the images have different shapes, \(describeShape(x.shape)) and \(describeShape(y.shape))")
        }
        guard x.count > 0 else {
            throw TensorError(op, "the images of shape \(describeShape(x.shape)) hold no values")
        }
    }

    /// Checks that `dataRange` (the distance between the smallest and largest value the images
    /// can hold: 1 for [0, 1], 2 for [-1, 1], 255 for 8-bit) is positive and covers the values
    /// actually present, so that a range for [0, 1] given with [0, 255] images is caught.
    static func requireDataRange(_ op: String, _ dataRange: Double, covers tensors: Tensor...) throws {
        try requireDataRange(op, dataRange, covers: tensors)
    }

    static func requireDataRange(_ op: String, _ dataRange: Double, covers tensors: [Tensor]) throws {
        guard dataRange.isFinite && dataRange > 0 else {
            throw TensorError(op, "the data range must be a positive number, not \(dataRange)")
        }
        var low = Float.infinity, high = -Float.infinity, sawNaN = false
        for tensor in tensors {
            tensor.withUnsafeBufferPointer { values in
                for v in values {
                    if v.isNaN { sawNaN = true }
                    low = min(low, v)
                    high = max(high, v)
                }
            }
        }
        guard !sawNaN, low.isFinite && high.isFinite else {
            throw TensorError(op, "the images hold a NaN or an infinity")
        }
        let spread = Double(high) - Double(low)
        guard spread <= dataRange * (1 + 1e-3) else {
            throw TensorError(op, "the values span \(low)...\(high) (\(spread) wide), more than the data range \(dataRange): "
                + "give the range of the images' format, e.g. 1 for [0, 1], 2 for [-1, 1], 255 for 8-bit")
        }
    }
}
