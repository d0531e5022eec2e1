import CBLAS
import Foundation

/// LAPACKE, loaded at run time after OpenBLAS (see `OpenBLAS` and `CoreSelection`).
///
/// liblapacke is a thin C layer over LAPACK, which on Debian is OpenBLAS's own. Loading it after
/// `OpenBLAS.shared()` means OpenBLAS has already chosen its kernels, so LAPACK's inner BLAS calls
/// run the same kernels as the rest of Engine. Everything here works in Double: the routines are
/// used for small, ill-conditioned problems (covariance matrices) where Float is not enough.
public final class LAPACK: Sendable {
    // lapack_int is int32_t in Debian's liblapacke.so.3 (the LP64 build).
    private typealias DSYEVD = @convention(c) (
        Int32, CChar, CChar, Int32, UnsafeMutablePointer<Double>?, Int32,
        UnsafeMutablePointer<Double>?) -> Int32

    // (layout, jobz, m, n, a, lda, s, u, ldu, vt, ldvt)
    private typealias DGESDD = @convention(c) (
        Int32, CChar, Int32, Int32, UnsafeMutablePointer<Double>?, Int32, UnsafeMutablePointer<Double>?,
        UnsafeMutablePointer<Double>?, Int32, UnsafeMutablePointer<Double>?, Int32) -> Int32

    /// The file the library was loaded from.
    public let path: String
    private let dsyevdFunction: DSYEVD
    private let dgesddFunction: DGESDD

    private static let loaded = Result<LAPACK, any Error> { try LAPACK() }

    /// The process's LAPACKE, loaded on first use (after OpenBLAS); an error says what is missing.
    public static func shared() throws -> LAPACK {
        try loaded.get()
    }

    private init() throws {
        _ = try OpenBLAS.shared()
        let library = try NativeLibrary.open(
            anyOf: ["liblapacke.so.3", "liblapacke.so"], purpose: "LAPACKE (liblapacke-dev)")
        self.dsyevdFunction = try library.function("LAPACKE_dsyevd", as: DSYEVD.self)
        self.dgesddFunction = try library.function("LAPACKE_dgesdd", as: DGESDD.self)
        self.path = library.loadedPath() ?? library.name
    }

    /// The eigenvalues and eigenvectors of a real symmetric matrix: A = V diag(values) V^T.
    public struct SymmetricEigendecomposition: Sendable {
        /// The order n of the matrix.
        public let order: Int
        /// The n eigenvalues in ascending order.
        public let values: [Double]
        /// The eigenvectors as the columns of an n x n row-major matrix: `vectors[i * n + j]` is
        /// component i of the eigenvector for `values[j]`. They are orthonormal.
        public let vectors: [Double]
    }

    /// Eigendecomposition of the symmetric n x n row-major matrix `matrix` by LAPACK's
    /// divide-and-conquer routine dsyevd. Only the lower triangle is read.
    public func symmetricEigendecomposition(_ matrix: [Double], order n: Int) throws -> SymmetricEigendecomposition {
        let (values, vectors) = try decompose(matrix, order: n, vectors: true)
        return SymmetricEigendecomposition(order: n, values: values, vectors: vectors)
    }

    /// The eigenvalues of a real symmetric matrix (its lower triangle is read), ascending:
    /// `symmetricEigendecomposition` without the vectors, which costs several times less.
    public func symmetricEigenvalues(_ matrix: [Double], order n: Int) throws -> [Double] {
        try decompose(matrix, order: n, vectors: false).values
    }

    private func decompose(_ matrix: [Double], order n: Int, vectors: Bool) throws -> (values: [Double], vectors: [Double]) {
        guard n > 0, matrix.count == n * n else {
            throw TensorError("symmetricEigendecomposition",
                "a matrix of order \(n) needs \(n * n) values, but \(matrix.count) were given")
        }
        guard matrix.allSatisfy({ $0.isFinite }) else {
            throw TensorError("symmetricEigendecomposition", "the matrix holds a NaN or an infinity")
        }
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { a in
            w.withUnsafeMutableBufferPointer { w in
                dsyevdFunction(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: vectors ? "V" : "N")), CChar(UInt8(ascii: "L")),
                               Int32(n), a.baseAddress, Int32(n), w.baseAddress)
            }
        }
        guard info == 0 else {
            throw TensorError("symmetricEigendecomposition",
                "LAPACKE_dsyevd failed (info \(info)): " + (info < 0 ? "bad argument \(-info)" : "no convergence"))
        }
        return (w, a)
    }

    /// The singular values of a rows x columns row-major matrix, descending, by LAPACK's dgesdd:
    /// accurate for the small ones too, which the square roots of AᵀA's eigenvalues are not
    /// (they lose half the digits).
    public func singularValues(_ matrix: [Double], rows: Int, columns: Int) throws -> [Double] {
        guard rows > 0, columns > 0, matrix.count == rows * columns else {
            throw TensorError("singularValues", "a \(rows) x \(columns) matrix needs \(rows * columns) values, but \(matrix.count) were given")
        }
        guard matrix.allSatisfy({ $0.isFinite }) else {
            throw TensorError("singularValues", "the matrix holds a NaN or an infinity")
        }
        var a = matrix
        var values = [Double](repeating: 0, count: Swift.min(rows, columns))
        let info = a.withUnsafeMutableBufferPointer { a in
            values.withUnsafeMutableBufferPointer { values in
                dgesddFunction(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), Int32(rows), Int32(columns), a.baseAddress, Int32(columns),
                               values.baseAddress, nil, Int32(rows), nil, Int32(columns))
            }
        }
        guard info == 0 else {
            throw TensorError("singularValues",
                "LAPACKE_dgesdd failed (info \(info)): " + (info < 0 ? "bad argument \(-info)" : "no convergence"))
        }
        return values
    }
}
