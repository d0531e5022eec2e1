import TestSupport
import XCTest
@testable import Engine

final class MatMulTests: XCTestCase {
    /// The product by the definition, in Double, for checking SGEMM.
    func naive(_ a: [[Float]], _ b: [[Float]]) -> [Float] {
        var out: [Float] = []
        for i in a.indices { for j in b[0].indices {
            out.append(Float(a[i].indices.reduce(0.0) { $0 + Double(a[i][$1]) * Double(b[$1][j]) }))
        } }
        return out
    }

    func testSmallProductByHand() throws {
        // [[1 2 3] [4 5 6]] x [[7 8] [9 10] [11 12]] = [[58 64] [139 154]]
        let a = try Tensor([[1, 2, 3], [4, 5, 6]]), b = try Tensor([[7, 8], [9, 10], [11, 12]])
        let c = try Tensor.matmul(a, b)
        XCTAssertEqual(c.shape, [2, 2])
        XCTAssertEqual(c.scalars, [58, 64, 139, 154])
    }

    func testTransposedOperandsAreReadInPlace() throws {
        let a = try Tensor([[1, 2, 3], [4, 5, 6]]), b = try Tensor([[7, 8], [9, 10], [11, 12]])
        let expected: [Float] = [58, 64, 139, 154]
        XCTAssertEqual(try Tensor.matmul(try a.transposed(), b, transposeA: true).scalars, expected)
        XCTAssertEqual(try Tensor.matmul(a, try b.transposed(), transposeB: true).scalars, expected)
        XCTAssertEqual(try Tensor.matmul(try a.transposed(), try b.transposed(), transposeA: true, transposeB: true).scalars, expected)
        // A A^T without forming A^T: [[14 32] [32 77]].
        XCTAssertEqual(try Tensor.matmul(a, a, transposeB: true).scalars, [14, 32, 32, 77])
    }

    func testAgainstDefinitionOnOddSizes() throws {
        let (m, k, n) = (17, 33, 9)
        let a = (0..<m).map { i in (0..<k).map { j in Float(sin(Double(i * k + j))) } }
        let b = (0..<k).map { i in (0..<n).map { j in Float(cos(Double(i * n + j) * 0.3)) } }
        assertClose(try Tensor.matmul(try Tensor(a), try Tensor(b)).scalars, naive(a, b), accuracy: 1e-4)
    }

    func testBatchedAndBroadcastBatches() throws {
        let a = ramp([2, 2, 3]), b = ramp([2, 3, 2]) / 10
        let c = try Tensor.matmul(a, b)
        XCTAssertEqual(c.shape, [2, 2, 2])
        for batch in 0..<2 {
            let x = try a[.at(batch)], y = try b[.at(batch)]
            assertClose(try c[.at(batch)].scalars, try Tensor.matmul(x, y).scalars, accuracy: 1e-5)
        }
        // A shared right operand: [2, 2, 3] x [3, 2] folds the batch into one SGEMM.
        let shared = try Tensor.matmul(a, try b[.at(1)])
        XCTAssertEqual(shared.shape, [2, 2, 2])
        assertClose(try shared[.at(0)].scalars, try Tensor.matmul(try a[.at(0)], try b[.at(1)]).scalars, accuracy: 1e-5)
        // Batch axes broadcast: [3, 1, 2, 2] x [4, 2, 2] -> [3, 4, 2, 2].
        let left = ramp([3, 1, 2, 2]), right = ramp([4, 2, 2])
        let wide = try Tensor.matmul(left, right)
        XCTAssertEqual(wide.shape, [3, 4, 2, 2])
        XCTAssertEqual(try wide[.at(2), .at(3)].scalars,
                       try Tensor.matmul(try left[.at(2), .at(0)], try right[.at(3)]).scalars)
        // A batched left operand used transposed: [2, 3, 2]^T x [2, 3, 2] -> [2, 2, 2].
        let gram = try Tensor.matmul(b, b, transposeA: true)
        assertClose(try gram[.at(1)].scalars,
                    try Tensor.matmul(try b[.at(1)].transposed(), try b[.at(1)]).scalars, accuracy: 1e-5)
    }

    func testVectors() throws {
        let m = try Tensor([[1, 2], [3, 4]]), v = Tensor([1, -1])
        XCTAssertEqual(try Tensor.matmul(m, v).shape, [2])
        XCTAssertEqual(try Tensor.matmul(m, v).scalars, [-1, -1])
        XCTAssertEqual(try Tensor.matmul(v, m).scalars, [-2, -2])
        XCTAssertEqual(try Tensor.matmul(v, v).shape, [])
        XCTAssertEqual(try Tensor.matmul(v, v).item(), 2)
        XCTAssertEqual(try Tensor.matmul(ramp([3, 2, 2]), v).shape, [3, 2])
    }

    func testEmptyInnerDimensionGivesZeros() throws {
        let c = try Tensor.matmul(try Tensor.zeros([2, 0]), try Tensor.zeros([0, 3]))
        XCTAssertEqual(c.shape, [2, 3])
        XCTAssertEqual(c.scalars, [Float](repeating: 0, count: 6))
    }

    func testMisuseNamesShapes() {
        assertTensorError("matmul", mentions: ["[2, 3]", "[2, 3]", "[2, 3] x [2, 3]"]) {
            try Tensor.matmul(ramp([2, 3]), ramp([2, 3]))
        }
        assertTensorError("matmul (batch axes)", mentions: ["[2]", "[3]"]) {
            try Tensor.matmul(ramp([2, 2, 2]), ramp([3, 2, 2]))
        }
        assertTensorError("matmul", mentions: ["rank"]) { try Tensor.matmul(Tensor(1), ramp([2, 2])) }
    }

    /// A row of a product does not depend on how many rows the product has: OpenBLAS changes
    /// kernels with the product's size (here [16, 32] x [32, 64]^T rounded differently from 8
    /// rows before row blocking), and a linear layer's rows are a batch's items.
    func testARowOfAProductDoesNotDependOnTheRowCount() throws {
        for (n, k, transposeB) in [(64, 32, true), (16, 64, true), (8, 512, false), (64, 256, true)] {
            let weight = try Tensor.randn(transposeB ? [n, k] : [k, n], seed: 1)
            let rows = try Tensor.randn([300, k], seed: 2)
            let reference = try Tensor.matmul(rows.slice([.range(0..<8)]), weight, transposeB: transposeB)
            for count in [1, 16, 64, 65, 300] {
                let product = try Tensor.matmul(rows.slice([.range(0..<count)]), weight, transposeB: transposeB)
                let shared = Swift.min(count, 8) * n
                XCTAssertEqual(product.scalars.prefix(shared).map(\.bitPattern), reference.scalars.prefix(shared).map(\.bitPattern),
                               "n \(n), k \(k), transposeB \(transposeB), \(count) rows")
            }
            // And the blocked product is still the product: against a plain double-precision sum.
            let product = try Tensor.matmul(rows, weight, transposeB: transposeB)
            let (x, w) = (rows.scalars, weight.scalars)
            for (i, j) in [(0, 0), (65, n - 1), (299, n / 2)] {
                var sum = 0.0
                for t in 0..<k { sum += Double(x[i * k + t]) * Double(transposeB ? w[j * k + t] : w[t * n + j]) }
                XCTAssertEqual(Double(product.scalars[i * n + j]), sum, accuracy: 1e-4 * Double(k))
            }
        }
    }
}
