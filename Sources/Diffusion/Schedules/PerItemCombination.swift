import Engine

/// One term a_i * x of a per-item linear combination: a tensor [B, ...] and its coefficient for
/// each batch item (one coefficient serves the whole batch).
struct WeightedTerm {
    let tensor: Tensor
    let coefficients: [Double]

    init(_ tensor: Tensor, _ coefficients: [Double]) {
        self.tensor = tensor
        self.coefficients = coefficients
    }

    init(_ tensor: Tensor, _ coefficient: Double) {
        self.init(tensor, [coefficient])
    }
}

/// sum_k a_k[i] * x_k for every batch item i: the one kernel behind forward noising, the
/// velocity, the prediction conversions, the posterior mean and the sampler updates, all of which
/// are per-item linear combinations of same-shaped tensors with scalar coefficients.
///
/// Each value is accumulated in Double and rounded to Float once. The tensors must share a shape
/// whose first axis is the batch; each coefficient list holds 1 or B values.
func combinePerItem(_ operation: String, _ terms: [WeightedTerm]) throws -> Tensor {
    let batch = try checkPerItem(operation, terms)
    let shape = terms[0].tensor.shape
    let count = terms[0].tensor.count
    let perItem = count / batch
    var result = [Double](repeating: 0, count: count)
    result.withUnsafeMutableBufferPointer { out in
        for term in terms {
            term.tensor.withUnsafeBufferPointer { x in
                for item in 0..<batch {
                    let a = term.coefficients.count == 1 ? term.coefficients[0] : term.coefficients[item]
                    for i in item * perItem..<(item + 1) * perItem { out[i] += a * Double(x[i]) }
                }
            }
        }
    }
    return try Tensor(shape: shape, scalars: result.map { Float($0) })
}

/// Checks that the terms' tensors share one shape [B, ...] with B >= 1 and that each coefficient
/// list holds 1 or B values; returns B.
@discardableResult
func checkPerItem(_ operation: String, _ terms: [WeightedTerm]) throws -> Int {
    guard let shape = terms.first?.tensor.shape else {
        preconditionFailure("\(operation): a per-item combination needs at least one term")
    }
    guard let batch = shape.first, batch > 0 else {
        throw ScheduleError.missingBatchAxis(operation: operation, shape: shape)
    }
    for term in terms {
        guard term.tensor.shape == shape else {
            throw ScheduleError.shapeMismatch(operation: operation, expected: shape, found: term.tensor.shape)
        }
        guard term.coefficients.count == 1 || term.coefficients.count == batch else {
            throw ScheduleError.batchCountMismatch(operation: operation, count: term.coefficients.count, batch: batch)
        }
    }
    return batch
}
