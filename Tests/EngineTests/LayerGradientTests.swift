import XCTest
@testable import Engine

/// The backward of every layer op and loss against central finite differences. GradientCheck:
/// step 1e-2, a value passes within 1e-3 + 1e-2 |numeric|, for L = sum(w * f) with a fixed
/// random weighting w. Module parameters are checked the same way by perturbing them in place.
final class LayerGradientTests: XCTestCase {
    /// Smooth, sign-mixed, tie-free test values.
    func values(_ shape: [Int], offset: Float = 0, scale: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        return try! Tensor(shape: shape, scalars: (0..<n).map { scale * sin(Float($0) * 1.3 + offset) + 0.1 * Float($0 % 3) })
    }

    func assertGradient(
        _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
        _ function: ([Variable]) throws -> Variable
    ) {
        do {
            let report = try GradientCheck().check(inputs, function)
            XCTAssertTrue(report.passed, report.description, file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    /// Every parameter of `module`'s gradient for L = sum(w * forward()) against central
    /// differences of L in each parameter value, with GradientCheck's step and tolerances.
    func assertParameterGradients(
        _ module: Module, file: StaticString = #filePath, line: UInt = #line, _ forward: () throws -> Variable
    ) throws {
        let check = GradientCheck()
        module.zeroGradients()
        let output = try forward()
        let weights = try Tensor.randn(output.shape, seed: 23)
        try output.backward(gradient: weights)
        func loss() throws -> Double {
            let y = try GradientMode.withoutGradients { try forward().value }
            return zip(y.scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for (path, parameter) in module.namedParameters() {
            let original = parameter.value
            let analytic = try XCTUnwrap(parameter.grad, "\(path) got no gradient", file: file, line: line)
            for j in 0..<original.count {
                var up = original.scalars, down = original.scalars
                up[j] += check.step
                down[j] -= check.step
                parameter.value = try Tensor(shape: original.shape, scalars: up)
                let plus = try loss()
                parameter.value = try Tensor(shape: original.shape, scalars: down)
                let minus = try loss()
                parameter.value = original
                let numeric = (plus - minus) / (Double(up[j]) - Double(down[j]))
                let a = Double(analytic.scalars[j])
                XCTAssertLessThanOrEqual(abs(a - numeric), check.absoluteTolerance + check.relativeTolerance * abs(numeric),
                                         "\(path)[\(j)]: backward \(a), finite differences \(numeric)", file: file, line: line)
            }
        }
    }

    func testGroupNorm() {
        let x = values([2, 6, 3, 2], scale: 2), w = values([6], offset: 1) + 1, b = values([6], offset: 2)
        assertGradient([x, w, b]) { try $0[0].groupNorm(groups: 3, weight: $0[1], bias: $0[2]) }
        assertGradient([x]) { try $0[0].groupNorm(groups: 2) }
        // One channel per group (InstanceNorm), and [N, C] inputs with no spatial axes. (Groups
        // of two values would be a poor test: xhat is then about +-1 whatever x, and its
        // derivative is concentrated where the two values nearly meet, too sharply for steps of 1e-2.)
        assertGradient([x, w]) { try $0[0].groupNorm(groups: 6, weight: $0[1]) }
        assertGradient([values([3, 4], scale: 2), values([4]) + 1, values([4], offset: 3)]) {
            try $0[0].groupNorm(groups: 1, weight: $0[1], bias: $0[2])
        }
    }

    func testGroupNormOverRowsLongerThanOneVector() {
        // Channels of 18 values: the kernel's 16-lane loop and its tail both carry gradient.
        let x = values([1, 4, 3, 6], scale: 1.5), w = values([4], offset: 1) + 1, b = values([4], offset: 2)
        assertGradient([x, w, b]) { try $0[0].groupNorm(groups: 2, weight: $0[1], bias: $0[2]) }
    }

    func testLayerNorm() {
        let x = values([2, 3, 5], scale: 2), w = values([5], offset: 1) + 1, b = values([5], offset: 2)
        assertGradient([x, w, b]) { try $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        assertGradient([values([4, 20], scale: 2)]) { try $0[0].layerNorm() }
    }

    func testDropoutWithAFixedMask() {
        assertGradient([values([4, 5])]) {
            var random = RandomStream(seed: 5)
            return try $0[0].dropout(probability: 0.3, using: &random)
        }
    }

    func testScaledDotProductAttention() {
        let q = values([2, 3, 4]), k = values([2, 5, 4], offset: 1), v = values([2, 5, 3], offset: 2)
        assertGradient([q, k, v]) { try Variable.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) }
    }

    func testSpatialSelfAttention() throws {
        var random = RandomStream(seed: 8)
        let attention = try SpatialSelfAttention(channels: 4, heads: 2, random: &random)
        for projection in [attention.query, attention.key, attention.value, attention.output] {
            projection.bias!.value = try Tensor.randn([4], std: 0.3, using: &random)
        }
        let x = values([2, 4, 2, 3])
        assertGradient([x]) { try attention($0[0]) }
        try assertParameterGradients(attention) { try attention(Variable(x)) }
    }

    func testGroupNormModuleParameters() throws {
        let norm = try GroupNorm(groups: 2, channels: 4)
        norm.weight!.value = values([4], offset: 1) + 1
        try assertParameterGradients(norm) { try norm(Variable(values([2, 4, 3, 3], scale: 2))) }
    }

    func testGatherRows() {
        // Row 1 is picked twice: its gradient is the sum of both.
        assertGradient([values([3, 4])]) { try $0[0].gatherRows([1, 0, 1, 2, 1]) }
    }

    func testRegressionLosses() {
        let p = values([2, 3, 2]), t = values([2, 3, 2], offset: 0.9)
        assertGradient([p, t]) { try Loss.meanSquaredError($0[0], $0[1]) }
        assertGradient([p, t]) { try Loss.meanSquaredError($0[0], $0[1], reduction: .none) }
        // |p - t| > 2 steps everywhere, so finite differences do not straddle the kink.
        assertGradient([p, t]) { try Loss.l1($0[0], $0[1], reduction: .sum) }
    }

    func testBinaryCrossEntropyWithLogits() {
        let x = values([3, 4], scale: 4), y = values([3, 4], offset: 2) * 0.4 + 0.5
        assertGradient([x, y]) { try Loss.binaryCrossEntropyWithLogits($0[0], $0[1]) }
        assertGradient([x, y]) { try Loss.binaryCrossEntropyWithLogits($0[0], $0[1], reduction: .none) }
    }

    func testCrossEntropy() throws {
        let logits = values([2, 3, 2, 2], scale: 2)
        let classes = try Tensor(shape: [2, 2, 2], scalars: [0, 2, 1, 1, 2, 0, 0, 1])
        assertGradient([logits]) { try Loss.crossEntropy($0[0], classes: classes) }
        assertGradient([logits]) { try Loss.crossEntropy($0[0], classes: classes, reduction: .none) }
        assertGradient([values([4, 5], scale: 2)]) { try Loss.crossEntropy($0[0], classes: Tensor([4, 0, 2, 2]), classAxis: -1, reduction: .sum) }
        let probabilities = try values([2, 3, 2, 2], offset: 1).softmax(axis: 1)
        assertGradient([logits, probabilities]) { try Loss.crossEntropy($0[0], probabilities: $0[1]) }
    }

    func testGaussianKLDivergence() {
        let mean = values([2, 3, 2]), logVariance = values([2, 3, 2], offset: 1)
        assertGradient([mean, logVariance]) { try Loss.gaussianKLDivergence(mean: $0[0], logVariance: $0[1]) }
        assertGradient([mean, logVariance]) { try Loss.gaussianKLDivergence(mean: $0[0], logVariance: $0[1], reduction: .mean) }
    }
}
