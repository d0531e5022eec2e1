import XCTest
@testable import Engine

/// GroupNorm and LayerNorm: what they compute, their layers' defaults, their errors.
/// (Gradients: LayerGradientTests; agreement with PyTorch: TorchReferenceTests.)
final class NormalizationTests: XCTestCase {
    func testEveryGroupHasMeanZeroAndVarianceOne() throws {
        let x = try Tensor.randn([3, 8, 5, 7], mean: 2, std: 3, seed: 1)
        let y = try Variable(x).groupNorm(groups: 4).value
        // Group g of sample n is channels 2g, 2g + 1: 70 consecutive values.
        let groups = try y.reshaped([3, 4, 70])
        assertClose(try groups.mean(axes: [2]).scalars, [Float](repeating: 0, count: 12), accuracy: 1e-6)
        // var / (var + eps) with var ~ 9: 1 - 1.1e-6.
        assertClose(try groups.variance(axes: [2]).scalars, [Float](repeating: 1, count: 12), accuracy: 1e-5)
    }

    func testGroupNormByHand() throws {
        // One group [1, 2, 3, 4]: mean 2.5, variance 1.25, so xhat = (x - 2.5) / sqrt(1.25 + eps).
        let x = Variable(try Tensor(shape: [1, 2, 2], scalars: [1, 2, 3, 4]))
        let weight = Variable(Tensor([2, -1])), bias = Variable(Tensor([0.5, 1]))
        let y = try x.groupNorm(groups: 1, weight: weight, bias: bias)
        let s = Float(1 / (1.25 + 1e-5).squareRoot())
        assertClose(y.value.scalars, [2 * -1.5 * s + 0.5, 2 * -0.5 * s + 0.5, -0.5 * s + 1, -1.5 * s + 1], accuracy: 1e-6)
    }

    func testAConstantGroupBecomesTheBias() throws {
        // Variance 0: eps keeps rstd finite and xhat is 0, so y = bias.
        let x = Variable(try Tensor.full([2, 4, 3, 3], value: 7))
        let y = try x.groupNorm(groups: 2, weight: Variable(Tensor([1, 2, 3, 4])), bias: Variable(Tensor([0, 1, 2, 3])))
        XCTAssertEqual(try y.value[.at(1), .all, .at(2), .at(0)].scalars, [0, 1, 2, 3])
    }

    func testOneGroupIsLayerNormOverChannelsAndPixels() throws {
        let x = try Tensor.randn([2, 3, 4, 5], seed: 2)
        let grouped = try Variable(x).groupNorm(groups: 1).value
        let layered = try Variable(try x.reshaped([2, 60])).layerNorm().value
        assertClose(grouped.scalars, layered.scalars, accuracy: 1e-6)
    }

    func testLayerNormNormalisesTheLastAxis() throws {
        let x = try Tensor.randn([4, 3, 16], mean: -1, std: 5, seed: 3)
        let y = try Variable(x).layerNorm(weight: Variable(try Tensor.full([16], value: 2)), bias: Variable(try Tensor.full([16], value: 1))).value
        assertClose(try y.mean(axes: [2]).scalars, [Float](repeating: 1, count: 12), accuracy: 1e-5)
        assertClose(try y.variance(axes: [2]).scalars, [Float](repeating: 4, count: 12), accuracy: 1e-4)
    }

    func testTheSameResultOnOneAndTwoThreads() throws {
        // Large enough for several parallel chunks of rows.
        let x = Variable(try Tensor.randn([8, 32, 32, 32], seed: 4), requiresGradient: true)
        let g = try Tensor.randn(x.shape, seed: 5)
        func run(_ threads: Int) throws -> [Tensor] {
            try Parallel.withThreadCount(threads) {
                let norm = try GroupNorm(groups: 8, channels: 32)
                x.zeroGradient()
                let y = try norm(x)
                try y.backward(gradient: g)
                return [y.value, x.grad!, norm.weight!.grad!, norm.bias!.grad!]
            }
        }
        XCTAssertEqual(try run(1), try run(2))
    }

    /// GroupNorm with SiLU fused gives, to the bit, what the two ops give one after the other:
    /// the output and the gradients of the input, weight and bias (with affine parameters that
    /// are not 1 and 0, so that the recomputed normalised values are really scaled and shifted).
    func testGroupNormThenSiLUFusedIsTheTwoOpsToTheBit() throws {
        let x = try Tensor.randn([3, 12, 5, 7], mean: 0.5, std: 2, seed: 6)
        let g = try Tensor.randn(x.shape, seed: 7)
        func run(fused: Bool) throws -> [Tensor] {
            let input = Variable(x, requiresGradient: true)
            let norm = try GroupNorm(groups: 4, channels: 12)
            norm.weight!.value = try Tensor.randn([12], mean: 1, std: 0.5, seed: 8)
            norm.bias!.value = try Tensor.randn([12], seed: 9)
            let y = fused ? try norm.silu(input) : try norm(input).silu()
            try y.backward(gradient: g)
            return [y.value, input.grad!, norm.weight!.grad!, norm.bias!.grad!]
        }
        let (fused, separate) = (try run(fused: true), try run(fused: false))
        for (a, b) in zip(fused, separate) { XCTAssertEqual(a.scalars, b.scalars) }
        // And it is SiLU of a GroupNorm: some outputs are negative, none below SiLU's minimum.
        XCTAssertLessThan(fused[0].scalars.min()!, 0)
        XCTAssertGreaterThan(fused[0].scalars.min()!, -0.2785)
    }

    func testEmptyInputsGiveEmptyResults() throws {
        let x = Variable(try Tensor.zeros([0, 4, 3, 3]), requiresGradient: true)
        let norm = try GroupNorm(groups: 2, channels: 4)
        let y = try norm(x)
        XCTAssertEqual(y.shape, [0, 4, 3, 3])
        try y.sum().backward()
        XCTAssertEqual(x.grad?.shape, [0, 4, 3, 3])
        XCTAssertEqual(norm.weight?.grad?.scalars, [0, 0, 0, 0])
        XCTAssertEqual(try Variable(try Tensor.zeros([2, 4, 0])).groupNorm(groups: 2).shape, [2, 4, 0])
    }

    func testLayersStartAsPureNormalisation() throws {
        let group = try GroupNorm(groups: 4, channels: 8)
        XCTAssertEqual(group.namedParameters().map(\.path), ["weight", "bias"])
        XCTAssertEqual(group.weight?.value.scalars, [Float](repeating: 1, count: 8))
        XCTAssertEqual(group.bias?.value.scalars, [Float](repeating: 0, count: 8))
        XCTAssertEqual(try GroupNorm(groups: 4, channels: 8, affine: false).parameterCount, 0)
        let layer = try LayerNorm(features: 6)
        XCTAssertEqual(layer.parameterCount, 12)
        XCTAssertEqual(layer.weight?.value.scalars, [Float](repeating: 1, count: 6))
    }

    func testMisuseIsAClearError() throws {
        XCTAssertThrowsError(try GroupNorm(groups: 3, channels: 8)) { error in
            XCTAssertEqual("\(error)", "GroupNorm: 8 channels cannot be split into 3 groups")
        }
        let x = Variable(try Tensor.zeros([2, 6, 4, 4]))
        assertTensorError("groupNorm", mentions: ["6 channels", "4 groups", "[2, 6, 4, 4]"]) { try x.groupNorm(groups: 4) }
        assertTensorError("groupNorm", mentions: ["[N, C, ...]", "[6]"]) { try Variable(try Tensor.zeros([6])).groupNorm(groups: 1) }
        assertTensorError("groupNorm", mentions: ["weight of shape [4]", "6 channels"]) {
            try x.groupNorm(groups: 2, weight: Variable(try Tensor.ones([4])))
        }
        assertTensorError("layerNorm", mentions: ["bias of shape [3]", "4 channels"]) {
            try x.layerNorm(bias: Variable(try Tensor.ones([3])))
        }
    }
}
