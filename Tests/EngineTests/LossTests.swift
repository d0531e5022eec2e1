import XCTest
@testable import Engine

/// Loss values checked by hand. (Gradients: LayerGradientTests.)
final class LossTests: XCTestCase {
    func v(_ values: [Float]) -> Variable { Variable(Tensor(values)) }

    func testRegressionLossesAndReductions() throws {
        let p = Variable(try Tensor(shape: [2, 2], scalars: [1, -2, 3, 0])), t = Variable(try Tensor.zeros([2, 2]))
        XCTAssertEqual(try Loss.meanSquaredError(p, t).value.item(), 14.0 / 4)
        XCTAssertEqual(try Loss.meanSquaredError(p, t, reduction: .sum).value.item(), 14)
        XCTAssertEqual(try Loss.meanSquaredError(p, t, reduction: .batchMean).value.item(), 7, "sum / N with N = 2")
        XCTAssertEqual(try Loss.meanSquaredError(p, t, reduction: .none).value.scalars, [1, 4, 9, 0])
        XCTAssertEqual(try Loss.l1(p, t).value.item(), 6.0 / 4)
        XCTAssertEqual(try Loss.l1(p, t, reduction: .none).value.scalars, [1, 2, 3, 0])
    }

    func testL1GradientIsTheSignAndZeroOnATie() throws {
        let p = Variable(Tensor([2, -1, 0.5]), requiresGradient: true)
        try Loss.l1(p, v([1, 1, 0.5]), reduction: .sum).backward()
        XCTAssertEqual(p.grad?.scalars, [1, -1, 0])
    }

    func testBinaryCrossEntropyWithLogits() throws {
        // Logit 0 is probability 1/2: a loss of ln 2 whatever the target.
        let zero = try Loss.binaryCrossEntropyWithLogits(v([0, 0, 0]), v([0, 0.3, 1]), reduction: .none).value.scalars
        assertClose(zero, [Float](repeating: Float(log(2.0)), count: 3), accuracy: 1e-7)
        // Against the definition at a moderate logit: -(y ln s + (1 - y) ln(1 - s)), s = sigmoid(2).
        let s = 1 / (1 + exp(-2.0))
        XCTAssertEqual(try Loss.binaryCrossEntropyWithLogits(v([2]), v([0.25])).value.item(),
                       Float(-(0.25 * log(s) + 0.75 * log(1 - s))), accuracy: 1e-6)
        // Huge logits neither overflow nor take log(0): confident and right is 0, confident and
        // wrong is |x|.
        let extreme = try Loss.binaryCrossEntropyWithLogits(v([100, -100, 100, -200]), v([1, 1, 0, 0]), reduction: .none).value.scalars
        XCTAssertLessThan(extreme[0], 1e-30)
        XCTAssertEqual(Array(extreme[1...]), [100, 100, 0])
        // The gradient sigmoid(x) - y, exact at the logit 0 where max and |x| have kinks.
        let x = Variable(Tensor([0, 0, 100]), requiresGradient: true)
        try Loss.binaryCrossEntropyWithLogits(x, v([0, 1, 0]), reduction: .sum).backward()
        XCTAssertEqual(x.grad?.scalars, [0.5, -0.5, 1])
    }

    func testCrossEntropyFromClassIndices() throws {
        // Logits ln [1, 2, 3]: softmax [1, 2, 3] / 6, so class 2 costs ln 2 and class 0 ln 6.
        let row: [Float] = [0, Float(log(2.0)), Float(log(3.0))]
        let logits = Variable(try Tensor([row, row]), requiresGradient: true)
        let losses = try Loss.crossEntropy(logits, classes: Tensor([2, 0]), classAxis: -1, reduction: .none)
        assertClose(losses.value.scalars, [Float(log(2.0)), Float(log(6.0))], accuracy: 1e-6)
        // The mean's gradient: (softmax - onehot) / N.
        try Loss.crossEntropy(logits, classes: Tensor([2, 0]), classAxis: -1).backward()
        assertClose(try XCTUnwrap(logits.grad).scalars, [1 / 12, 2 / 12, -3 / 12, -5 / 12, 2 / 12, 3 / 12], accuracy: 1e-6)
    }

    func testCrossEntropyOverTheChannelsOfAnImage() throws {
        // [N, C, H, W] logits, equal within each pixel: every pixel costs ln C = ln 4.
        let logits = Variable(try Tensor.zeros([2, 4, 3, 3]))
        let classes = try Tensor(shape: [2, 3, 3], scalars: (0..<18).map { Float($0 % 4) })
        XCTAssertEqual(try Loss.crossEntropy(logits, classes: classes).value.item(), Float(log(4.0)), accuracy: 1e-6)
        // The class of a pixel is read along axis 1: a large logit at [n, c, h, w] for c = its
        // class makes that pixel nearly free; a pixel of equal logits still costs ln 4.
        var confident = try Tensor.zeros([1, 4, 1, 2]).scalars
        confident[2 * 2 + 1] = 50   // pixel 1 of channel 2
        let loss = try Loss.crossEntropy(Variable(try Tensor(shape: [1, 4, 1, 2], scalars: confident)),
                                         classes: try Tensor(shape: [1, 1, 2], scalars: [0, 2]), reduction: .none)
        assertClose(loss.value.scalars, [Float(log(4.0)), 0], accuracy: 1e-6)
    }

    func testCrossEntropyFromProbabilities() throws {
        let logits = Variable(try Tensor.randn([3, 5], seed: 1))
        let classes = Tensor([4, 0, 2])
        let oneHot = Variable(try Tensor(shape: [3, 5], scalars: (0..<15).map { [4, 0, 2][$0 / 5] == $0 % 5 ? 1 : 0 }))
        XCTAssertEqual(try Loss.crossEntropy(logits, probabilities: oneHot, classAxis: 1).value.item(),
                       try Loss.crossEntropy(logits, classes: classes, classAxis: 1).value.item(), accuracy: 1e-6)
        // Soft labels (1/2, 1/2) against logits (0, 0): ln 2.
        XCTAssertEqual(try Loss.crossEntropy(Variable(try Tensor.zeros([1, 2])), probabilities: Variable(try Tensor.full([1, 2], value: 0.5))).value.item(),
                       Float(log(2.0)), accuracy: 1e-7)
    }

    func testCrossEntropyRefusesBadClassIndices() throws {
        let logits = Variable(try Tensor.zeros([2, 3]))
        assertTensorError("crossEntropy", mentions: ["class index 3.0", "position 1", "0..<3"]) {
            try Loss.crossEntropy(logits, classes: Tensor([0, 3]))
        }
        assertTensorError("crossEntropy", mentions: ["1.5"]) { try Loss.crossEntropy(logits, classes: Tensor([1.5, 0])) }
        assertTensorError("crossEntropy", mentions: ["[3]", "[2]"]) { try Loss.crossEntropy(logits, classes: Tensor([0, 1, 2])) }
    }

    func testGaussianKLDivergence() throws {
        // N(0, 1) against itself: 0. Mean 1: 0.5. Variance 2: 0.5 (2 - 1 - ln 2).
        let mean = Variable(try Tensor(shape: [2, 3], scalars: [0, 1, 0, 0, 0, 0]))
        let logVariance = Variable(try Tensor(shape: [2, 3], scalars: [0, 0, Float(log(2.0)), 0, 0, 0]))
        let each = try Loss.gaussianKLDivergence(mean: mean, logVariance: logVariance, reduction: .none).value.scalars
        assertClose(each, [0, 0.5, Float(0.5 * (1 - log(2.0))), 0, 0, 0], accuracy: 1e-7)
        let total = Float(0.5 + 0.5 * (1 - log(2.0)))
        XCTAssertEqual(try Loss.gaussianKLDivergence(mean: mean, logVariance: logVariance).value.item(), total / 2, accuracy: 1e-7, "batch mean, the default")
        XCTAssertEqual(try Loss.gaussianKLDivergence(mean: mean, logVariance: logVariance, reduction: .sum).value.item(), total, accuracy: 1e-7)
        XCTAssertEqual(try Loss.gaussianKLDivergence(mean: mean, logVariance: logVariance, reduction: .mean).value.item(), total / 6, accuracy: 1e-7)
    }

    func testMismatchedShapesAreAnError() throws {
        let a = Variable(try Tensor.zeros([2, 3])), b = Variable(try Tensor.zeros([3]))
        assertTensorError("meanSquaredError", mentions: ["[2, 3]", "[3]"]) { try Loss.meanSquaredError(a, b) }
        assertTensorError("l1", mentions: ["[2, 3]", "[3]"]) { try Loss.l1(a, b) }
        assertTensorError("binaryCrossEntropyWithLogits", mentions: ["[2, 3]", "[3]"]) { try Loss.binaryCrossEntropyWithLogits(a, b) }
        assertTensorError("gaussianKLDivergence", mentions: ["[2, 3]", "[3]"]) { try Loss.gaussianKLDivergence(mean: a, logVariance: b) }
    }
}
