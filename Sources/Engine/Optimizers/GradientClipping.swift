/// The global L2 norm of the gradients of `parameters`: the square root of the sum of squares
/// of every gradient value, as if all gradients were one vector. Parameters without a gradient
/// count as zero. NaN if any gradient value is NaN, infinity if one is infinite (or the sum
/// overflows even Double).
///
/// The squares are summed in Double, block by block in a fixed order, so the norm is the same
/// whatever the thread count.
public func gradientNorm(_ parameters: [Variable]) -> Float {
    var sumOfSquares = 0.0
    for gradient in parameters.compactMap(\.grad) {
        sumOfSquares += gradient.withUnsafeBufferPointer { values in
            values.reduceBlocks(rows: 1, length: values.count, partial: { block, _ -> Double in
                var total = 0.0
                for x in block { total += Double(x) * Double(x) }
                return total
            }, finish: { partials in partials.reduce(0, +) })[0]
        }
    }
    return Float(sumOfSquares.squareRoot())
}

/// Scales the gradients of `parameters` together so that their global L2 norm is at most
/// `maxNorm`, as torch.nn.utils.clip_grad_norm_ (norm_type 2), and returns the norm they had
/// before: log it, it is the best early sign of a diverging run.
///
///     total = √(Σ g²) over every value of every gradient      (`gradientNorm`)
///     c     = maxNorm / (total + 1e-6)
///     g     = c g   for every gradient, if c < 1
///
/// The 1e-6 keeps c finite for zero gradients and puts the clipped norm just under `maxNorm`.
/// Scaling all gradients by one factor keeps the direction of the step and only shortens it.
///
/// A NaN or infinite norm is returned as it is and the gradients are left untouched, where
/// scaling by c = 0 or NaN would overwrite them and hide the cause: check `isFinite` on the
/// result and skip the step. Throws if `maxNorm` is not positive.
public func clipGradientNorm(_ parameters: [Variable], maxNorm: Float) throws -> Float {
    try requireHyperparameter(maxNorm > 0, "clipGradientNorm", "maxNorm must be above 0", maxNorm)
    let total = gradientNorm(parameters)
    guard total.isFinite else { return total }
    let scale = Float(Double(maxNorm) / (Double(total) + 1e-6))
    guard scale < 1 else { return total }
    for parameter in parameters where parameter.grad != nil {
        parameter.grad!.withUnsafeMutableBufferPointer { g in
            let g = g
            Parallel.forEachChunk(count: g.count, grain: Parallel.elementGrain) { _, range in
                for i in range { g[i] *= scale }
            }
        }
    }
    return total
}
