import Engine

/// Intensity normalisations. Each image of a batch `[N, C, H, W]` (all its channels together) is
/// normalised alone; `[H, W]` and `[C, H, W]` are one image (so a stack of grey images must come
/// as a batch `[N, 1, H, W]` to be normalised one by one). Statistics are computed in Double. `cancellation`
/// is checked before each image (see `CancellationFlag`).

/// Maps each image's range [min, max] linearly onto [-1, 1]: y = 2 (x - min) / (max - min) - 1.
/// A constant image becomes all zeros.
public func normaliseMinMax(_ image: Tensor, cancellation: CancellationFlag? = nil) throws -> Tensor {
    try perImage(image, op: "normaliseMinMax", cancellation: cancellation) { values in
        let (low, high) = (Double(values.min()!), Double(values.max()!))
        guard high > low else { return values.map { _ in 0 } }
        return values.map { Float(2 * (Double($0) - low) / (high - low) - 1) }
    }
}

/// Z-score: y = (x - mean) / std, with the population standard deviation (NumPy's default,
/// ddof 0). A constant image becomes all zeros.
public func normaliseZScore(_ image: Tensor, cancellation: CancellationFlag? = nil) throws -> Tensor {
    try perImage(image, op: "normaliseZScore", cancellation: cancellation) { values in
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        let std = variance.squareRoot()
        guard std > 0 else { return values.map { _ in 0 } }
        return values.map { Float((Double($0) - mean) / std) }
    }
}

/// Clips each image to its `lower` and `upper` percentiles (in 0...100), taken by NumPy's
/// default linear method (np.percentile) on the image's values.
public func clipToPercentiles(
    _ image: Tensor, lower: Double = 1, upper: Double = 99, cancellation: CancellationFlag? = nil
) throws -> Tensor {
    guard (0...100).contains(lower), (0...100).contains(upper), lower <= upper else {
        throw TensorError("clipToPercentiles", "needs 0 <= lower <= upper <= 100, got \(lower) and \(upper)")
    }
    return try perImage(image, op: "clipToPercentiles", cancellation: cancellation) { values in
        let cuts = linearPercentiles(values.map(Double.init), [lower, upper])
        let (low, high) = (Float(cuts[0]), Float(cuts[1]))
        return values.map { Swift.min(Swift.max($0, low), high) }
    }
}

/// The range a CT window maps onto.
public enum WindowRange: Sendable {
    /// [0, 1]
    case unit
    /// [-1, 1]
    case symmetric
}

/// A CT display window: Hounsfield units from level - width / 2 to level + width / 2 map linearly
/// onto the range, values outside it are clipped. For example level 40, width 400 (soft tissue)
/// maps -160 HU to 0 and 240 HU to 1. Applied to every value alike.
public func ctWindow(_ image: Tensor, level: Double, width: Double, range: WindowRange = .unit) throws -> Tensor {
    guard width > 0, width.isFinite, level.isFinite else {
        throw TensorError("ctWindow", "needs a finite level and a positive width, got level \(level) and width \(width)")
    }
    let bottom = level - width / 2
    let scalars = image.scalars.map { x -> Float in
        let t = Swift.min(Swift.max((Double(x) - bottom) / width, 0), 1)
        return Float(range == .unit ? t : 2 * t - 1)
    }
    return try Tensor(shape: image.shape, scalars: scalars)
}

/// Applies `transform` to the values of each image.
private func perImage(
    _ image: Tensor, op: String, cancellation: CancellationFlag?, _ transform: (ArraySlice<Float>) -> [Float]
) throws -> Tensor {
    let layout = try ImageLayout(image.shape, op: op)
    guard image.count > 0 else { return image }
    let size = layout.imageSize
    var output: [Float] = []
    output.reserveCapacity(image.count)
    for n in 0..<layout.images {
        try cancellation?.checkCancellation()
        output += transform(image.scalars[n * size ..< (n + 1) * size])
    }
    return try Tensor(shape: image.shape, scalars: output)
}
