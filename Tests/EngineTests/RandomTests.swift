import Foundation
import XCTest
@testable import Engine

final class RandomTests: XCTestCase {
    // MARK: Philox

    /// Random123's known-answer vectors for Philox4x32-10 (tests/kat_vectors): counter, key, output.
    func testPhiloxKnownAnswers() {
        let vectors: [(SIMD4<UInt32>, SIMD2<UInt32>, SIMD4<UInt32>)] = [
            (SIMD4(0, 0, 0, 0), SIMD2(0, 0),
             SIMD4(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
            (SIMD4(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), SIMD2(0xffffffff, 0xffffffff),
             SIMD4(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
            (SIMD4(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), SIMD2(0xa4093822, 0x299f31d0),
             SIMD4(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
        ]
        for (counter, key, expected) in vectors {
            XCTAssertEqual(Philox.block(counter: counter, key: key), expected, "counter \(counter), key \(key)")
        }
    }

    /// The stream's counter is (block lo, block hi, stream lo, stream hi) and its key (seed lo,
    /// seed hi). Expected words from an independent Python Philox4x32-10 with that layout.
    func testStreamBlockLayout() {
        XCTAssertEqual(RandomStream(seed: 42).block(0),
                       SIMD4(0x9ceaf053, 0x77f5493b, 0x12bf50ad, 0x5742b3d7))
        XCTAssertEqual(RandomStream(seed: 42, stream: 7).block(3),
                       SIMD4(0x945bcada, 0x7e42d578, 0x8747d589, 0xfcd7d3ce))
        XCTAssertEqual(RandomStream(seed: 0x0123456789ABCDEF, stream: 0xFEDCBA9876543210).block(0x1_0000_0001),
                       SIMD4(0xfa249394, 0x2accffa1, 0x40ed4359, 0x233050e4))
    }

    // MARK: Mapping words to values

    /// Uniforms are (word >> 8) * 2^-24, lane by lane: block 0 of seed 42 above.
    func testUniformValuesFromWords() throws {
        let values = try Tensor.rand([4], seed: 42)
        XCTAssertEqual(values.scalars, [0.6129598617553711, 0.4685865044593811, 0.07323169708251953, 0.3408614993095398])
        XCTAssertEqual(RandomStream.uniform(0), 0)
        XCTAssertEqual(RandomStream.uniform(.max), 1 - 0x1p-24)
    }

    /// Normals are Box-Muller on lane pairs (0, 1) and (2, 3), with u1 = 1 - uniform; checked
    /// against the same formula in Double.
    func testNormalValuesFromWords() throws {
        let words = RandomStream(seed: 42).block(0)
        func boxMuller(_ a: UInt32, _ b: UInt32) -> [Double] {
            let u1 = 1 - Double(a >> 8) / 16_777_216, u2 = Double(b >> 8) / 16_777_216
            let r = (-2 * Foundation.log(u1)).squareRoot()
            return [r * Foundation.cos(2 * .pi * u2), r * Foundation.sin(2 * .pi * u2)]
        }
        let expected = boxMuller(words[0], words[1]) + boxMuller(words[2], words[3])
        let values = try Tensor.randn([2, 2], seed: 42)
        for (value, reference) in zip(values.scalars, expected) {
            XCTAssertEqual(Double(value), reference, accuracy: 1e-5)
        }
        // The extreme words stay finite: u1 = 2^-24 gives the largest radius, u1 = 1 gives 0.
        let (far, _) = RandomStream.normals(.max, 0)
        XCTAssertEqual(far, Float((48 * Foundation.log(2.0)).squareRoot()), accuracy: 1e-5)
        XCTAssertEqual(RandomStream.normals(0, 0).0, 0)
    }

    // MARK: Reproducibility and independence

    func testSameSeedAndStreamRepeat() throws {
        XCTAssertEqual(try Tensor.rand([3, 50], seed: 7, stream: 2), try Tensor.rand([3, 50], seed: 7, stream: 2))
        XCTAssertEqual(try Tensor.randn([3, 50], seed: 7, stream: 2), try Tensor.randn([3, 50], seed: 7, stream: 2))
    }

    func testDifferentStreamsAndSeedsDiffer() throws {
        let base = try Tensor.rand([1000], seed: 7, stream: 1).scalars
        for other in [try Tensor.rand([1000], seed: 7, stream: 2), try Tensor.rand([1000], seed: 8, stream: 1)] {
            let equal = zip(base, other.scalars).filter { $0 == $1 }.count
            XCTAssertLessThan(equal, 5, "two streams should agree only by chance (about 1000 / 2^24 values)")
        }
    }

    /// What stream 2 gives does not depend on how much stream 1 (same seed) has drawn.
    func testDrawingFromOneStreamDoesNotChangeAnother() throws {
        var first = RandomStream(seed: 11, stream: 1)
        var second = RandomStream(seed: 11, stream: 2)
        let alone = try Tensor.randn([257], using: &second)

        second = RandomStream(seed: 11, stream: 2)
        _ = try Tensor.rand([10_000], using: &first)
        let interleaved1 = try Tensor.randn([100], using: &second)
        _ = try Tensor.randn([333], using: &first)
        let interleaved2 = try Tensor.randn([157], using: &second)
        XCTAssertEqual(Array(alone.scalars[..<100]), interleaved1.scalars)
        XCTAssertEqual(Array(alone.scalars[100...]), interleaved2.scalars)
        XCTAssertEqual(first.position, 2500 + 84)
        XCTAssertEqual(second.position, 25 + 40)
    }

    /// Rule: draws of n and then m values equal one draw of n + m values when n is a multiple
    /// of 4. Otherwise the rest of the n-draw's last block is skipped: the second draw starts
    /// at value 4 * ceil(n/4) of the long draw.
    func testSuccessiveDrawsAndPosition() throws {
        var stream = RandomStream(seed: 5, stream: 3)
        let whole = try Tensor.rand([40], using: &stream).scalars
        XCTAssertEqual(stream.position, 10)

        stream = RandomStream(seed: 5, stream: 3)
        let a = try Tensor.rand([8], using: &stream).scalars
        let b = try Tensor.rand([13], using: &stream).scalars
        XCTAssertEqual(a + b, Array(whole[..<21]))
        XCTAssertEqual(stream.position, 2 + 4)

        stream = RandomStream(seed: 5, stream: 3)
        let c = try Tensor.rand([5], using: &stream).scalars
        XCTAssertEqual(stream.position, 2)
        let d = try Tensor.rand([3], using: &stream).scalars
        XCTAssertEqual(c, Array(whole[..<5]))
        XCTAssertEqual(d, Array(whole[8..<11]))

        for (count, blocks) in [(0, 0), (1, 1), (3, 1), (4, 1), (5, 2), (1_000_003, 250_001)] {
            var fresh = RandomStream(seed: 1, position: 17)
            XCTAssertEqual(fresh.reserveBlocks(forValues: count), 17)
            XCTAssertEqual(fresh.position, 17 + UInt64(blocks), "a draw of \(count) values")
        }
        // A scalar is one value; an empty tensor draws nothing.
        stream = RandomStream(seed: 5)
        _ = try Tensor.randn([], using: &stream)
        _ = try Tensor.randn([3, 0], using: &stream)
        XCTAssertEqual(stream.position, 1)
    }

    /// A tensor much larger than one chunk, with a partial last block, is bit-identical for
    /// any thread count.
    func testThreadCountDoesNotChangeValues() throws {
        let shape = [1_000_003]
        func draw() throws -> (Tensor, Tensor, RandomStream) {
            var stream = RandomStream(seed: 2024, stream: 9, position: 3)
            let u = try Tensor.rand(shape, low: -2, high: 5, using: &stream)
            let z = try Tensor.randn(shape, mean: 1, std: 3, using: &stream)
            return (u, z, stream)
        }
        let one = try Parallel.withThreadCount(1) { try draw() }
        let two = try Parallel.withThreadCount(2) { try draw() }
        let three = try Parallel.withThreadCount(3) { try draw() }
        XCTAssertTrue(one.0 == two.0 && one.1 == two.1 && one.2 == two.2)
        XCTAssertTrue(one.0 == three.0 && one.1 == three.1 && one.2 == three.2)
    }

    // MARK: Statistics

    func testUniformStatistics() throws {
        let values = try Tensor.rand([1_000_000], seed: 123).scalars
        let (mean, variance) = moments(values)
        XCTAssertEqual(mean, 0.5, accuracy: 0.002)
        XCTAssertEqual(variance, 1.0 / 12, accuracy: 0.002)
        XCTAssertGreaterThanOrEqual(values.min()!, 0)
        XCTAssertLessThan(values.max()!, 1)
    }

    func testUniformRange() throws {
        let values = try Tensor.rand([1_000_000], low: -3, high: 0.5, seed: 9).scalars
        let (mean, _) = moments(values)
        XCTAssertEqual(mean, -1.25, accuracy: 0.01)
        XCTAssertGreaterThanOrEqual(values.min()!, -3)
        XCTAssertLessThan(values.max()!, 0.5)
        // Same blocks as the unit uniforms, mapped as low + (high - low) * u.
        let unit = try Tensor.rand([100], seed: 9).scalars
        XCTAssertEqual(Array(values[..<100]), unit.map { -3 + 3.5 * $0 })
    }

    func testNormalStatistics() throws {
        let values = try Tensor.randn([1_000_000], seed: 321).scalars
        XCTAssertTrue(values.allSatisfy(\.isFinite), "no NaN or infinity")
        let (mean, variance) = moments(values)
        XCTAssertEqual(mean, 0, accuracy: 0.005)
        XCTAssertEqual(variance.squareRoot(), 1, accuracy: 0.005)
        let within = Double(values.filter { Swift.abs($0) < 1.96 }.count) / Double(values.count)
        XCTAssertEqual(within, 0.95, accuracy: 0.003)
    }

    func testNormalMeanAndStd() throws {
        let standard = try Tensor.randn([1_000_000], seed: 77).scalars
        let shifted = try Tensor.randn([1_000_000], mean: 3, std: 2, seed: 77).scalars
        XCTAssertEqual(shifted, standard.map { 3 + 2 * $0 })
        let (mean, variance) = moments(shifted)
        XCTAssertEqual(mean, 3, accuracy: 0.01)
        XCTAssertEqual(variance.squareRoot(), 2, accuracy: 0.01)
        XCTAssertEqual(try Tensor.randn([5], mean: -1, std: 0, seed: 1).scalars, [Float](repeating: -1, count: 5))
    }

    // MARK: Misuse

    func testBadArgumentsThrow() {
        var stream = RandomStream(seed: 1)
        XCTAssertThrowsError(try Tensor.rand([2, -1], using: &stream)) { error in
            XCTAssertEqual((error as? TensorError)?.op, "rand")
        }
        XCTAssertThrowsError(try Tensor.randn([-3], seed: 1)) { error in
            XCTAssertEqual((error as? TensorError)?.op, "randn")
        }
        XCTAssertThrowsError(try Tensor.rand([2], low: 1, high: 1, seed: 1))
        XCTAssertThrowsError(try Tensor.rand([2], low: 2, high: 1, seed: 1))
        XCTAssertThrowsError(try Tensor.rand([2], low: -.greatestFiniteMagnitude, high: .greatestFiniteMagnitude, seed: 1))
        XCTAssertThrowsError(try Tensor.randn([2], std: -1, seed: 1))
        XCTAssertThrowsError(try Tensor.randn([2], mean: .nan, seed: 1))
        XCTAssertEqual(stream.position, 0, "a refused draw uses no blocks")
    }

    /// Mean and (population) variance, accumulated in Double.
    private func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        return (mean, variance)
    }
}
