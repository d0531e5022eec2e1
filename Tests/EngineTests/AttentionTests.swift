import XCTest
@testable import Engine

/// Scaled dot-product attention and the spatial self-attention layer: what they compute and
/// how they start. (Gradients: LayerGradientTests; agreement with PyTorch: TorchReferenceTests.)
final class AttentionTests: XCTestCase {
    func testEqualKeysAverageTheValues() throws {
        // Every key the same: every score in a row is equal, so each output is the mean value.
        let query = Variable(try Tensor.randn([1, 2, 3], seed: 1))
        let key = Variable(try Tensor.full([1, 4, 3], value: 0.5))
        let value = Variable(try Tensor(shape: [1, 4, 2], scalars: [1, 10, 2, 20, 3, 30, 6, 60]))
        let output = try Variable.scaledDotProductAttention(query: query, key: key, value: value)
        assertClose(output.value.scalars, [3, 30, 3, 30], accuracy: 1e-5)
    }

    func testScoresAreScaledBySquareRootOfTheDimension() throws {
        // d = 4, q = (1, 1, 1, 1), keys (1, 1, 1, 1) and 0: scores 4 / sqrt(4) = 2 and 0, so
        // the weights are e^2 / (e^2 + 1) and 1 / (e^2 + 1).
        let query = Variable(try Tensor.ones([1, 1, 4]))
        let key = Variable(try Tensor(shape: [1, 2, 4], scalars: [1, 1, 1, 1, 0, 0, 0, 0]))
        let value = Variable(try Tensor(shape: [1, 2, 1], scalars: [1, 0]))
        let output = try Variable.scaledDotProductAttention(query: query, key: key, value: value)
        XCTAssertEqual(try output.value.item(), Float(exp(2.0) / (exp(2.0) + 1)), accuracy: 1e-6)
    }

    func layer(channels: Int = 8, heads: Int = 2, seed: UInt64 = 3) throws -> SpatialSelfAttention {
        var random = RandomStream(seed: seed)
        return try SpatialSelfAttention(channels: channels, heads: heads, random: &random)
    }

    func testInitialisationIsPyTorchs() throws {
        let attention = try layer(channels: 16, heads: 4)
        XCTAssertEqual(attention.namedParameters().map(\.path), [
            "query.weight", "query.bias", "key.weight", "key.bias",
            "value.weight", "value.bias", "output.weight", "output.bias"])
        XCTAssertEqual(attention.parameterCount, 4 * (16 * 16 + 16))
        let xavier = Float(6.0 / 64.0).squareRoot()   // sqrt(6 / (C + 3C))
        for projection in [attention.query, attention.key, attention.value] {
            let largest = try projection.weight.value.abs().max().item()
            XCTAssertLessThan(largest, xavier)
            XCTAssertGreaterThan(largest, 0.9 * xavier, "uses the whole range")
        }
        let largest = try attention.output.weight.value.abs().max().item()
        XCTAssertLessThan(largest, 0.25)   // 1 / sqrt(C)
        XCTAssertGreaterThan(largest, 0.2)
        for projection in [attention.query, attention.key, attention.value, attention.output] {
            XCTAssertEqual(projection.bias!.value.scalars, [Float](repeating: 0, count: 16))
        }
    }

    func testPositionsAreTokensWithoutOrder() throws {
        // Attention has no notion of where a token is: mirroring the image mirrors the output.
        let attention = try layer()
        let x = try Tensor.randn([2, 8, 3, 4], seed: 4)
        let y = try attention(Variable(x)).value
        let mirrored = try attention(Variable(try x.flipped([3]))).value
        XCTAssertEqual(y.shape, [2, 8, 3, 4])
        assertClose(mirrored.scalars, try y.flipped([3]).scalars, accuracy: 1e-5)
    }

    func testSamplesDoNotSeeEachOther() throws {
        let attention = try layer()
        let x = try Tensor.randn([3, 8, 2, 2], seed: 5)
        let together = try attention(Variable(x)).value
        let alone = try attention(Variable(try x[.range(1..<2)])).value
        assertClose(try together[.range(1..<2)].scalars, alone.scalars, accuracy: 1e-6)
    }

    func testOneHeadPerChannelGroupMatchesSeparateAttention() throws {
        // Two heads of d = 2 on C = 4: head 0 attends with channels 0-1 of Q, K, V, head 1 with
        // channels 2-3. Rebuild the result from the core op on those slices.
        let attention = try layer(channels: 4, heads: 2, seed: 6)
        let x = try Tensor.randn([1, 4, 2, 3], seed: 7)
        let tokens = try x.reshaped([1, 4, 6]).permuted([0, 2, 1])
        func project(_ linear: Linear) throws -> Tensor { try linear(Variable(tokens)).value }
        let (q, k, v) = (try project(attention.query), try project(attention.key), try project(attention.value))
        var heads: [Tensor] = []
        for h in 0..<2 {
            let channels = TensorIndex.range((2 * h)..<(2 * h + 2))
            heads.append(try Variable.scaledDotProductAttention(
                query: Variable(try q[.all, .all, channels]), key: Variable(try k[.all, .all, channels]),
                value: Variable(try v[.all, .all, channels])).value)
        }
        let merged = try Tensor.concat(heads, axis: 2)
        let expected = try attention.output(Variable(merged)).value.permuted([0, 2, 1]).reshaped([1, 4, 2, 3])
        assertClose(try attention(Variable(x)).value.scalars, expected.scalars, accuracy: 1e-6)
    }

    func testMisuseIsAClearError() throws {
        XCTAssertThrowsError(try layer(channels: 6, heads: 4)) { error in
            XCTAssertEqual("\(error)", "SpatialSelfAttention: 6 channels cannot be split among 4 heads")
        }
        let attention = try layer()
        assertTensorError("SpatialSelfAttention", mentions: ["[N, 8, H, W]", "[2, 4, 3, 3]"]) {
            try attention(Variable(try Tensor.zeros([2, 4, 3, 3])))
        }
        assertTensorError("scaledDotProductAttention", mentions: ["[1, 2, 3]", "[1, 2, 4]"]) {
            let a = Variable(try Tensor.zeros([1, 2, 3])), b = Variable(try Tensor.zeros([1, 2, 4]))
            return try Variable.scaledDotProductAttention(query: a, key: b, value: b)
        }
    }
}
