extension Tensor {
    /// The matrix product with NumPy's matmul semantics, on OpenBLAS's SGEMM.
    ///
    /// The last two axes are the matrices, [M, K] times [K, N]; leading axes are batch axes and
    /// broadcast. A rank-1 operand is a row vector on the left or a column vector on the right,
    /// and its axis is dropped from the result. `transposeA` and `transposeB` use an operand
    /// stored as [K, M] or [N, K] transposed, read in place by SGEMM without a copy.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        guard a.rank >= 1, b.rank >= 1 else {
            throw TensorError("matmul", "needs operands of rank 1 or more, got \(describeShape(a.shape)) and \(describeShape(b.shape))")
        }
        // Vectors become [1, K] and [K, 1]; the extra axis is removed at the end.
        let left = a.rank == 1 ? try a.reshaped([1, a.count]) : a
        let right = b.rank == 1 ? try b.reshaped([b.count, 1]) : b
        let transposeLeft = a.rank == 1 ? false : transposeA
        let transposeRight = b.rank == 1 ? false : transposeB
        let (rowsA, colsA) = (left.shape[left.rank - 2], left.shape[left.rank - 1])
        let (rowsB, colsB) = (right.shape[right.rank - 2], right.shape[right.rank - 1])
        let (m, k) = transposeLeft ? (colsA, rowsA) : (rowsA, colsA)
        let (kB, n) = transposeRight ? (colsB, rowsB) : (rowsB, colsB)
        guard k == kB else {
            let shown = "\(describeShape(a.shape))\(transposeA ? "ᵀ" : "") and \(describeShape(b.shape))\(transposeB ? "ᵀ" : "")"
            throw TensorError("matmul", "inner dimensions differ: \(shown) give [\(m), \(k)] x [\(kB), \(n)]")
        }
        let batchA = Array(left.shape.dropLast(2)), batchB = Array(right.shape.dropLast(2))
        let batch = try BroadcastPlan(op: "matmul (batch axes)", shapes: [batchA, batchB])
        var resultShape = batch.outputShape + [m, n]
        let blas = try OpenBLAS.shared()

        try Shape.checkAllocation(resultShape, op: "matmul")
        var result = try Tensor.zeros(resultShape)
        if m > 0 && n > 0 && k > 0 {
            left.withUnsafeBufferPointer { x in
                right.withUnsafeBufferPointer { y in
                    result.withUnsafeMutableBufferPointer { z in
                        if batchB.isEmpty && !transposeLeft {
                            // Every batch of A times one B: a single [batch * M, K] x [K, N] product.
                            blas.sgemm(transposeA: false, transposeB: transposeRight, m: left.count / k, n: n, k: k,
                                       alpha: 1, a: x.baseAddress!, lda: colsA, b: y.baseAddress!, ldb: colsB,
                                       beta: 0, c: z.baseAddress!, ldc: n)
                            return
                        }
                        // One SGEMM per batch element, at the batch offsets the broadcast gives.
                        let matrixA = rowsA * colsA, matrixB = rowsB * colsB
                        let offsets = Self.broadcastOffsets(batchA, batchB, into: batch.outputShape)
                        for (index, (offsetA, offsetB)) in offsets.enumerated() {
                            blas.sgemm(transposeA: transposeLeft, transposeB: transposeRight, m: m, n: n, k: k,
                                       alpha: 1, a: x.baseAddress! + offsetA * matrixA, lda: colsA,
                                       b: y.baseAddress! + offsetB * matrixB, ldb: colsB,
                                       beta: 0, c: z.baseAddress! + index * m * n, ldc: n)
                        }
                    }
                }
            }
        }
        if b.rank == 1 { resultShape.removeLast() }
        if a.rank == 1 { resultShape.remove(at: resultShape.count - (b.rank == 1 ? 1 : 2)) }
        return try result.reshaped(resultShape)
    }

    /// For each position of `shape` (row-major), the matching flat positions in two shapes that
    /// broadcast to it.
    static func broadcastOffsets(_ first: [Int], _ second: [Int], into shape: [Int]) -> [(Int, Int)] {
        func strides(_ own: [Int]) -> [Int] {
            let ownStrides = Shape.strides(own), offset = shape.count - own.count
            return shape.indices.map { $0 < offset || own[$0 - offset] == 1 ? 0 : ownStrides[$0 - offset] }
        }
        let (s1, s2) = (strides(first), strides(second))
        return (0..<Shape.count(shape)).map { position in
            var remainder = position, o1 = 0, o2 = 0
            for axis in shape.indices.reversed() {
                let i = remainder % shape[axis]
                remainder /= shape[axis]
                o1 += i * s1[axis]
                o2 += i * s2[axis]
            }
            return (o1, o2)
        }
    }
}
