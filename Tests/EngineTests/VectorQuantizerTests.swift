import XCTest
@testable import Engine

final class VectorQuantizerTests: XCTestCase {
    /// Codes (0, 0), (1, 0), (0, 1), (5, 5) in D = 2.
    func quantizer() throws -> VectorQuantizer {
        var random = RandomStream(seed: 1)
        let vq = try VectorQuantizer(codes: 4, dimension: 2, random: &random)
        vq.codebook.value = try Tensor([[0, 0], [1, 0], [0, 1], [5, 5]])
        return vq
    }

    /// One 2x2 image of four positions, nearest to codes 1, 0, 2 and 3: (0.9, 0.1), (0.1, 0.2),
    /// (0.2, 0.7), (4, 6), stored NCHW (channel 0, then channel 1).
    func input(requiresGradient: Bool = true) throws -> Variable {
        Variable(try Tensor(shape: [1, 2, 2, 2], scalars: [0.9, 0.1, 0.2, 4, 0.1, 0.2, 0.7, 6]), requiresGradient: requiresGradient)
    }

    func testPicksTheNearestCodes() throws {
        let result = try quantizer()(try input())
        XCTAssertEqual(result.indices.shape, [1, 2, 2])
        XCTAssertEqual(result.indices.scalars, [1, 0, 2, 3])
        XCTAssertEqual(result.output.value.shape, [1, 2, 2, 2])
        XCTAssertEqual(result.output.value.scalars, [1, 0, 0, 5, 0, 0, 1, 5], "exactly the codes")
        XCTAssertEqual(result.counts.scalars, [1, 1, 1, 1])
        XCTAssertEqual(result.perplexity, 4, accuracy: 1e-6, "four codes used equally")
    }

    func testLossesByHand() throws {
        // Squared differences z - z_q: (0.01 + 0.01) + (0.01 + 0.04) + (0.04 + 0.09) + (1 + 1) = 2.2,
        // over 8 values.
        let vq = try quantizer()
        let result = try vq(try input())
        XCTAssertEqual(try result.codebookLoss.value.item(), 2.2 / 8, accuracy: 1e-6)
        XCTAssertEqual(try result.commitmentLoss.value.item(), 2.2 / 8, accuracy: 1e-6)
        XCTAssertEqual(try result.loss.value.item(), 1.25 * 2.2 / 8, accuracy: 1e-6)
    }

    func testStraightThroughGradientIsTheIdentity() throws {
        let vq = try quantizer()
        let z = try input()
        let g = try Tensor.randn([1, 2, 2, 2], seed: 2)
        try vq(z).output.backward(gradient: g)
        XCTAssertEqual(z.grad, g, "the gradient of the output reaches z unchanged")
        XCTAssertNil(vq.codebook.grad, "and not the codebook")
    }

    func testEachLossReachesOnlyItsSide() throws {
        let vq = try quantizer()
        // Codebook loss: d/de_k = sum over positions choosing k of 2 (e_k - z) / 8; z gets nothing.
        let z = try input()
        try vq(z).codebookLoss.backward()
        XCTAssertNil(z.grad)
        assertClose(try XCTUnwrap(vq.codebook.grad).scalars,
                    [-0.025, -0.05, 0.025, -0.025, -0.05, 0.075, 0.25, -0.25], accuracy: 1e-6)
        // Commitment loss: d/dz = 2 (z - e) / 8; the codebook gets nothing.
        vq.zeroGradients()
        let z2 = try input()
        try vq(z2).commitmentLoss.backward()
        XCTAssertNil(vq.codebook.grad)
        assertClose(try XCTUnwrap(z2.grad).scalars, [-0.025, 0.025, 0.05, -0.25, 0.025, 0.05, -0.075, 0.25], accuracy: 1e-6)
    }

    func testUsageOfACollapsedCodebook() throws {
        // Every position nearest to code 0: counts [P, 0, 0, 0] and perplexity 1.
        let result = try quantizer()(Variable(try Tensor.full([2, 2, 3, 3], value: 0.1)))
        XCTAssertEqual(result.counts.scalars, [18, 0, 0, 0])
        XCTAssertEqual(result.perplexity, 1)
        // Two codes used 3:1 give exp(-(3/4 ln 3/4 + 1/4 ln 1/4)).
        let x = Variable(try Tensor(shape: [1, 2, 1, 4], scalars: [0, 0, 0, 5, 0, 0, 0, 5]))
        XCTAssertEqual(try quantizer()(x).perplexity, Float(exp(-(0.75 * log(0.75) + 0.25 * log(0.25)))), accuracy: 1e-6)
    }

    func testCodesFromIndicesDecodeTheSameImage() throws {
        let vq = try quantizer()
        let result = try vq(try input())
        XCTAssertEqual(try vq.codes(at: result.indices), result.output.value)
        assertTensorError("VectorQuantizer.codes", mentions: ["index 4.0", "0..<4"]) {
            try vq.codes(at: try Tensor.full([1, 1, 1], value: 4))
        }
    }

    func testInitialisationAndErrors() throws {
        var random = RandomStream(seed: 3)
        let vq = try VectorQuantizer(codes: 16, dimension: 3, random: &random)
        XCTAssertEqual(vq.namedParameters().map(\.path), ["codebook"])
        XCTAssertEqual(vq.codebook.shape, [16, 3])
        XCTAssertLessThan(try vq.codebook.value.abs().max().item(), 1 / 16)
        assertTensorError("VectorQuantizer", mentions: ["[N, 3, H, W]", "[1, 2, 4, 4]"]) {
            try vq(Variable(try Tensor.zeros([1, 2, 4, 4])))
        }
        assertTensorError("gatherRows", mentions: ["row 5", "3 rows"]) {
            try Variable(try Tensor.zeros([3, 2])).gatherRows([0, 5])
        }
        assertTensorError("straightThrough", mentions: ["[2]", "[3]"]) {
            try Variable(try Tensor.zeros([3])).straightThrough(to: try Tensor.zeros([2]))
        }
    }
}
