/// The Engine's own benchmarks: SGEMM, memory-bound element-wise work and convolution.
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

    /// conv2d forward and backward (input, weight and bias gradients) of input [batch, channels,
    /// size, size] with a 3x3 kernel to as many channels, stride 1, padding 1: three products of
    /// 2 * batch * channels^2 * 9 * size^2 flops each (the forward, dW and the columns' dX).
    public static func conv2d(channels: Int, size: Int, batch: Int) throws -> BenchmarkCase {
        let input = Variable(try Tensor.randn([batch, channels, size, size], seed: 1), requiresGradient: true)
        let weight = Variable(try Tensor.randn([channels, channels, 3, 3], std: 0.05, seed: 2), requiresGradient: true)
        let bias = Variable(try Tensor.randn([channels], seed: 3), requiresGradient: true)
        let gradient = try Tensor.randn([batch, channels, size, size], seed: 4)
        let flops = 3 * 2 * Double(batch * channels * channels * 9 * size * size)
        return BenchmarkCase(name: "conv2d fwd+bwd \(channels)x\(channels)x3x3 \(size)x\(size) b\(batch)",
                             unit: "GFLOP/s", work: flops / 1e9) {
            let output = try Variable.conv2d(input: input, weight: weight, bias: bias, stride: 1, padding: 1)
            try output.backward(gradient: gradient)
            for parameter in [input, weight, bias] { parameter.zeroGradient() }
        }
    }

    static func threadsLabel(_ threads: Int) -> String {
        threads == 1 ? "1 thread" : "\(threads) threads"
    }

    /// SGEMM at 256, 512 and 1024 on one thread and on every core; add and exp over 16M floats;
    /// conv2d forward and backward at the size of a UNet's convolutions.
    public static func standard() throws -> [BenchmarkCase] {
        let cores = Parallel.threadCount
        var cases: [BenchmarkCase] = []
        for n in [256, 512, 1024] {
            cases.append(try sgemm(size: n, threads: 1))
            if cores > 1 { cases.append(try sgemm(size: n, threads: cores)) }
        }
        cases.append(try add(count: 16 << 20))
        cases.append(try exp(count: 16 << 20))
        cases.append(try conv2d(channels: 64, size: 32, batch: 32))
        return cases
    }
}
