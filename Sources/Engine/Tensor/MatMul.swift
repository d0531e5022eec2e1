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
        OperationProfile.count(flops: 2 * Double(Shape.count(resultShape)) * Double(k))
        if m > 0 && n > 0 && k > 0 {
            left.withUnsafeBufferPointer { x in
                right.withUnsafeBufferPointer { y in
                    result.withUnsafeMutableBufferPointer { z in
                        if batchB.isEmpty && !transposeLeft {
                            // Every batch of A times one B: one [batch * M, K] x [K, N] product, in row blocks.
                            Self.rowBlockProducts(blas, rows: left.count / k, n: n, k: k, transposeB: transposeRight,
                                                  a: x.baseAddress!, b: y.baseAddress!, ldb: colsB, c: z.baseAddress!)
                            return
                        }
                        // One SGEMM per batch element and block of `columnBlock` columns, at the
                        // batch offsets the broadcast gives: the blocks depend on the shape of one
                        // element only, so neither the batch nor the thread count changes them.
                        let matrixA = rowsA * colsA, matrixB = rowsB * colsB
                        let offsets = Self.broadcastOffsets(batchA, batchB, into: batch.outputShape)
                        let blocks = Parallel.chunkCount(n, grain: Self.columnBlock)
                        let flops = 2 * Double(m) * Double(Swift.min(n, Self.columnBlock)) * Double(k)
                        blas.forEachProduct(count: offsets.count * blocks, flops: flops) { index in
                            let (element, block) = index.quotientAndRemainder(dividingBy: blocks)
                            let (offsetA, offsetB) = offsets[element]
                            let first = block * Self.columnBlock, width = Swift.min(Self.columnBlock, n - first)
                            // Columns of op(B): columns of B, or rows of B stored transposed.
                            let columnsB = y.baseAddress! + offsetB * matrixB + (transposeRight ? first * colsB : first)
                            blas.sgemm(transposeA: transposeLeft, transposeB: transposeRight, m: m, n: width, k: k,
                                       alpha: 1, a: x.baseAddress! + offsetA * matrixA, lda: colsA,
                                       b: columnsB, ldb: colsB,
                                       beta: 0, c: z.baseAddress! + element * m * n + first, ldc: n)
                        }
                    }
                }
            }
        }
        if b.rank == 1 { resultShape.removeLast() }
        if a.rank == 1 { resultShape.remove(at: resultShape.count - (b.rank == 1 ? 1 : 2)) }
        return try result.reshaped(resultShape)
    }

    /// Rows per SGEMM call of `rowBlockProducts`.
    static let rowBlock = 64
    /// Columns per SGEMM call of a batched product.
    static let columnBlock = 256

    /// C = A op(B) for A [rows, k] and C [rows, n] (row-major, contiguous), as SGEMM calls of
    /// exactly `rowBlock` rows each; the last block is computed from a zero-padded copy.
    ///
    /// Why: OpenBLAS picks its kernel from the whole product's shape (a small-matrix kernel
    /// below a size, the blocked one above), and the two round differently. A row of a product
    /// of 16 rows could thus differ in its last bits from the same row in a product of 8, and a
    /// sample's result would depend on the batch it is in (a linear layer's rows are the batch's
    /// items). With every call the same shape, row i's arithmetic depends on i and B only.
    static func rowBlockProducts(
        _ blas: OpenBLAS, rows: Int, n: Int, k: Int, transposeB: Bool,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>
    ) {
        let block = rowBlock
        let whole = rows / block
        blas.forEachProduct(count: whole, flops: 2 * Double(block) * Double(n) * Double(k)) { index in
            blas.sgemm(transposeA: false, transposeB: transposeB, m: block, n: n, k: k,
                       alpha: 1, a: a + index * block * k, lda: k, b: b, ldb: ldb,
                       beta: 0, c: c + index * block * n, ldc: n)
        }
        let remaining = rows - whole * block
        guard remaining > 0 else { return }
        let paddedA = UnsafeMutablePointer<Float>.allocate(capacity: block * k)
        let paddedC = UnsafeMutablePointer<Float>.allocate(capacity: block * n)
        defer { paddedA.deallocate(); paddedC.deallocate() }
        paddedA.initialize(repeating: 0, count: block * k)
        paddedA.update(from: a + whole * block * k, count: remaining * k)
        blas.sgemm(transposeA: false, transposeB: transposeB, m: block, n: n, k: k,
                   alpha: 1, a: paddedA, lda: k, b: b, ldb: ldb, beta: 0, c: paddedC, ldc: n)
        (c + whole * block * n).update(from: paddedC, count: remaining * n)
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
