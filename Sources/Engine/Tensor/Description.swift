import Foundation

extension Tensor: CustomStringConvertible {
    /// A summary a person can read at a glance: shape, range, mean, spread and the first values,
    /// for example
    /// `Tensor [2, 3]  min -1  max 5  mean 1.5  std 2.062\n  [[-1, 0, 1], [2, 3, 5]]`.
    /// Small tensors show every value, nested by axis; large ones the first few, flat.
    public var description: String {
        var header = "Tensor \(describeShape(shape))"
        if count > 0 {
            // Statistics in Double over finite values; NaN and infinities are counted apart.
            let finite = scalars.filter { $0.isFinite }
            if !finite.isEmpty {
                let mean = finite.reduce(0.0) { $0 + Double($1) } / Double(finite.count)
                let variance = finite.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(finite.count)
                header += "  min \(Self.format(finite.min()!))  max \(Self.format(finite.max()!))"
                header += "  mean \(Self.format(Float(mean)))  std \(Self.format(Float(variance.squareRoot())))"
            }
            let nan = scalars.count { $0.isNaN }, infinite = scalars.count { $0.isInfinite }
            if nan > 0 { header += "  NaN \(nan)" }
            if infinite > 0 { header += "  inf \(infinite)" }
        }
        return header + "\n  " + valuesText
    }

    /// The values without the header: up to 64 nested by axis (one for a scalar); otherwise
    /// the first 8, flat, then "...".
    public var valuesText: String {
        if rank == 0 { return Self.format(scalars[0]) }
        guard count <= 64 else {
            return "first values: " + scalars.prefix(8).map(Self.format).joined(separator: ", ") + ", ..."
        }
        func nested(axis: Int, offset: Int) -> String {
            let stride = shape[(axis + 1)...].reduce(1, *)
            let items = (0..<shape[axis]).map { i in
                axis == rank - 1 ? Self.format(scalars[offset + i]) : nested(axis: axis + 1, offset: offset + i * stride)
            }
            return "[" + items.joined(separator: ", ") + "]"
        }
        return nested(axis: 0, offset: 0)
    }

    /// Four significant digits, without a trailing ".0" for whole numbers.
    static func format(_ value: Float) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded() && Swift.abs(value) < 1e7 { return String(Int(value)) }
        return String(format: "%.4g", Double(value))
    }
}
