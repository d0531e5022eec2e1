import XCTest
@testable import Engine

/// The profile behind `medsynth bench --profile`: its intervals cut the run into pieces that add
/// up to the run's time, each charged to the operation that closed it; the products' operations
/// are counted exactly; and profiling changes no value.
final class OperationProfileTests: XCTestCase {
    /// A convolution, an attention layer and a loss, backward, and an Adam step.
    private func step(_ conv: Conv2d, _ attention: SpatialSelfAttention, _ optimizer: Adam, _ x: Variable) throws -> Tensor {
        optimizer.zeroGradients()
        let y = try attention(try conv(x))
        try Loss.meanSquaredError(y, Variable(try Tensor.zeros(y.shape))).backward()
        try optimizer.step()
        return conv.weight.value
    }

    private func model(seed: UInt64) throws -> (Conv2d, SpatialSelfAttention, Adam, Variable) {
        var random = RandomStream(seed: seed)
        let conv = try Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 3, padding: 1, random: &random)
        let attention = try SpatialSelfAttention(channels: 8, heads: 2, random: &random)
        let optimizer = try Adam(parameters: conv.parameters + attention.parameters, learningRate: 1e-3)
        return (conv, attention, optimizer, Variable(try Tensor.randn([4, 3, 8, 8], seed: seed + 1)))
    }

    func testTheKindsAddUpToTheRunAndTheProductsAreCounted() throws {
        let (conv, attention, optimizer, x) = try model(seed: 1)
        let profile = OperationProfile()
        try profile.record(runs: 3) { _ = try step(conv, attention, optimizer, x) }
        XCTAssertNil(OperationProfile.active, "recording ends with the runs")
        XCTAssertEqual(profile.runs, 3)

        let kinds = Dictionary(uniqueKeysWithValues: profile.perRun.map { ($0.kind, $0.entry) })
        for kind in ["conv2d", "conv2d backward", "attention", "attention backward", "optimizer", "gradient accumulation"] {
            XCTAssertNotNil(kinds[kind], "\(kind) is charged; the kinds are \(kinds.keys.sorted())")
        }
        XCTAssertNil(kinds["matmul"], "the attention's products are charged to the attention")
        XCTAssertEqual(kinds["conv2d"]?.calls, 1)

        // The intervals partition the runs: their sum is the runs' wall time.
        let charged = profile.entries.values.reduce(0) { $0 + $1.seconds }
        XCTAssertEqual(charged, profile.seconds, accuracy: 1e-9 * max(1, profile.seconds))

        // conv2d 3 -> 8, 3x3, 8x8, batch 4: each product 2 N O P K = 2 * 4 * 8 * 64 * 27; forward
        // computes one, backward two (dW and dX, the input requiring no gradient: only dW).
        let product = 2.0 * 4 * 8 * 64 * 27
        XCTAssertEqual(kinds["conv2d"]?.flops, product)
        XCTAssertEqual(kinds["conv2d backward"]?.flops, product, "x needs no gradient, so only dW is computed")
        // The attention over L = 64 tokens of C = 8 channels, 2 heads of d = 4, batch 4: four
        // projections 2 (N L) C C, and Q K^T and A V each 2 (N heads) L L d.
        let attentionFlops = 4 * 2.0 * 256 * 8 * 8 + 2 * 2.0 * 8 * 64 * 64 * 4
        XCTAssertEqual(kinds["attention"]?.flops, attentionFlops)
        XCTAssertEqual(profile.flopsPerRun, kinds.values.reduce(0) { $0 + $1.flops })

        // A 3x3 "same" convolution to 8 channels runs directly on the planes (no im2col).
        let phases = profile.phases
        XCTAssertGreaterThan(phases["direct"] ?? 0, 0, "the direct convolution is timed; the phases are \(phases)")
        XCTAssertNil(phases["im2col"], "no im2col in a direct convolution")
    }

    func testProfilingChangesNoValue() throws {
        let plain = try model(seed: 5), profiled = try model(seed: 5)
        var expected: [Tensor] = [], found: [Tensor] = []
        for _ in 0..<2 { expected.append(try step(plain.0, plain.1, plain.2, plain.3)) }
        let profile = OperationProfile()
        try profile.record(runs: 2) { found.append(try step(profiled.0, profiled.1, profiled.2, profiled.3)) }
        XCTAssertEqual(found, expected)
    }

    func testWithoutARecordingProfileMarksAreFree() {
        XCTAssertNil(OperationProfile.active)
        OperationProfile.mark("nothing")
        OperationProfile.count(flops: 1)
        XCTAssertEqual(OperationProfile.scope("nothing") { 7 }, 7)
        XCTAssertFalse(OperationProfile.isRecording)
    }
}
