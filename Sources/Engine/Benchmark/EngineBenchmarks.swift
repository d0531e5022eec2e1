/// The Engine's own benchmarks: SGEMM and memory-bound element-wise work.
public enum EngineBenchmarks {
    /// SGEMM C = A B on square n x n matrices with `threads` OpenBLAS threads: 2 n^3 flops.
    public static func sgemm(size n: Int, threads: Int) throws -> BenchmarkCase {
        let blas = try OpenBLAS.shared()
        let a = try Tensor.full([n, n], value: 0.5), b = try Tensor.full([n, n], value: 0.25)
        var c = try Tensor.zeros([n, n])
        return BenchmarkCase(name: "sgemm \(n) (\(threadsLabel(threads)))",
                             unit: "GFLOP/s", work: 2 * Double(n * n * n) / 1e9) {
            blas.withThreads(threads) {
                a.withUnsafeBufferPointer { x in
                    b.withUnsafeBufferPointer { y in
                        c.withUnsafeMutableBufferPointer { z in
                            blas.sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n,
                                       alpha: 1, a: x.baseAddress!, lda: n, b: y.baseAddress!, ldb: n,
                                       beta: 0, c: z.baseAddress!, ldc: n)
                        }
                    }
                }
            }
        }
    }

    /// Element-wise a + b over `count` floats: reads 2 and writes 1 float per element.
    public static func add(count: Int) throws -> BenchmarkCase {
        let a = try Tensor.full([count], value: 1), b = try Tensor.full([count], value: 2)
        return BenchmarkCase(name: "add \(count / (1 << 20))M (\(threadsLabel(Parallel.threadCount)))",
                             unit: "GB/s", work: 12 * Double(count) / 1e9) {
            _ = try a + b
        }
    }

    /// Element-wise e^x over `count` floats: reads 1 and writes 1 float per element.
    public static func exp(count: Int) throws -> BenchmarkCase {
        let a = try Tensor.linspace(-4, 4, count: count)
        return BenchmarkCase(name: "exp \(count / (1 << 20))M (\(threadsLabel(Parallel.threadCount)))",
                             unit: "GB/s", work: 8 * Double(count) / 1e9) {
            _ = a.exp()
        }
    }

    static func threadsLabel(_ threads: Int) -> String {
        threads == 1 ? "1 thread" : "\(threads) threads"
    }

    /// SGEMM at 256, 512 and 1024 on one thread and on every core; add and exp over 16M floats.
    public static func standard() throws -> [BenchmarkCase] {
        let cores = Parallel.threadCount
        var cases: [BenchmarkCase] = []
        for n in [256, 512, 1024] {
            cases.append(try sgemm(size: n, threads: 1))
            if cores > 1 { cases.append(try sgemm(size: n, threads: cores)) }
        }
        cases.append(try add(count: 16 << 20))
        cases.append(try exp(count: 16 << 20))
        return cases
    }
}
