import Engine

/// One-hot encoding of a label map `[H, W]`, `[1, H, W]` or `[N, 1, H, W]` into
/// `[N, classes, H, W]` (N = 1 for a single map): channel k is 1 where the label is k, 0 elsewhere.
///
/// Every label must be a whole number in 0..<classes; the first one that is not is an error that
/// names its value and position.
public func oneHot(_ labels: Tensor, classes: Int) throws -> Tensor {
    let layout = try ImageLayout(labels.shape, op: "oneHot", singleChannel: true)
    guard classes > 0 else { throw TensorError("oneHot", "needs at least one class, got \(classes)") }
    let size = layout.planeSize
    try Tensor.checkAllocation([layout.images, classes, layout.height, layout.width], op: "oneHot")
    var output = [Float](repeating: 0, count: layout.images * classes * size)
    for n in 0..<layout.images {
        for i in 0..<size {
            let label = labels.scalars[n * size + i]
            guard label >= 0, label < Float(classes), label == label.rounded() else {
                let (y, x) = i.quotientAndRemainder(dividingBy: layout.width)
                let at = labels.rank == 2 ? "[\(y), \(x)]" : labels.rank == 3 ? "[0, \(y), \(x)]" : "[\(n), 0, \(y), \(x)]"
                throw TensorError("oneHot", "label \(label) at \(at) is outside 0..<\(classes)")
            }
            output[(n * classes + Int(label)) * size + i] = 1
        }
    }
    return try Tensor(shape: [layout.images, classes, layout.height, layout.width], scalars: output)
}
