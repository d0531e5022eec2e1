extension Variable {
    /// The matrix product (see `Tensor.matmul`). With op(X) the matrix used (X or its
    /// transpose) and G the gradient of the product C = op(A) op(B):
    ///
    ///     d op(A) = G op(B)^T,   d op(B) = op(A)^T G,
    ///
    /// and a transposed operand's gradient is the transpose of its op's. Every product is again
    /// one SGEMM reading its operands in place; batch axes that were broadcast are summed back.
    public static func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) throws -> Variable {
        // Vectors become matrices first, so that the backward below only sees matrices.
        if a.rank == 1 {
            let product = try matmul(try a.reshaped([1, a.shape[0]]), b, transposeB: transposeB)
            return try product.squeezed([product.rank - 2])
        }
        if b.rank == 1 {
            let product = try matmul(a, try b.reshaped([b.shape[0], 1]), transposeA: transposeA)
            return try product.squeezed([product.rank - 1])
        }
        let (x, y) = (a.value, b.value)
        let output = try Tensor.matmul(x, y, transposeA: transposeA, transposeB: transposeB)
        return result(of: "matmul", output, inputs: [a, b]) { g in
            var gradA: Tensor?, gradB: Tensor?
            if a.requiresGradient {
                gradA = transposeA
                    ? try Tensor.matmul(y, g, transposeA: transposeB, transposeB: true)   // (G op(B)^T)^T = op(B) G^T
                    : try Tensor.matmul(g, y, transposeB: !transposeB)                     // G op(B)^T
                gradA = try gradA!.summed(toShape: x.shape)
            }
            if b.requiresGradient {
                gradB = transposeB
                    ? try Tensor.matmul(g, x, transposeA: true, transposeB: transposeA)   // (op(A)^T G)^T = G^T op(A)
                    : try Tensor.matmul(x, g, transposeA: !transposeA)                     // op(A)^T G
                gradB = try gradB!.summed(toShape: y.shape)
            }
            return [gradA, gradB]
        }
    }
}
