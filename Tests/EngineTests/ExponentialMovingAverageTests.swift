import XCTest
@testable import Engine

final class ExponentialMovingAverageTests: XCTestCase {
    final class Pair: Module {
        let weight = Variable(Tensor([1, 2]), requiresGradient: true)
        let bias = Variable(Tensor([0]), requiresGradient: true)
    }

    /// Sets the weight as if an optimizer step had, then updates the average.
    func step(_ module: Pair, _ average: ExponentialMovingAverage, weight: [Float]) throws {
        module.weight.value = Tensor(weight)
        try average.update()
    }

    func testFixedDecayByHand() throws {
        let module = Pair()
        let average = try ExponentialMovingAverage(of: module, decay: 0.5)
        XCTAssertEqual(average.averages[0].tensor.scalars, [1, 2], "shadows start as the weights")
        XCTAssertEqual(average.nextDecay, 0)
        try step(module, average, weight: [3, -2])
        XCTAssertEqual(average.averages[0].tensor.scalars, [3, -2], "the first update copies (d = 0)")
        XCTAssertEqual(average.nextDecay, 0.5)
        try step(module, average, weight: [5, 0])
        XCTAssertEqual(average.averages[0].tensor.scalars, [4, -1])    // 0.5 [3, -2] + 0.5 [5, 0]
        try step(module, average, weight: [0, 4])
        XCTAssertEqual(average.averages[0].tensor.scalars, [2, 1.5])   // 0.5 [4, -1] + 0.5 [0, 4]
        XCTAssertEqual(average.averages.map(\.path), ["weight", "bias"])
        XCTAssertEqual(average.updateCount, 3)
    }

    func testWarmupWithGammaOneAndPowerOneIsTheRunningMean() throws {
        // d = 1 - (1 + n)^-1 = n / (n + 1): each update weighs the new weight 1 / (n + 1).
        let module = Pair()
        let average = try ExponentialMovingAverage(of: module, decay: 0.9999, schedule: .warmup(inverseGamma: 1, power: 1))
        let weights: [[Float]] = [[3, -2], [5, 0], [1, 5]]
        let means: [[Float]] = [[3, -2], [4, -1], [3, 1]]
        for (weight, mean) in zip(weights, means) {
            try step(module, average, weight: weight)
            assertClose(average.averages[0].tensor.scalars, mean, accuracy: 1e-6)
        }
        XCTAssertEqual(average.nextDecay, 0.75, accuracy: 1e-7)
    }

    func testWarmupDecaysAsDiffusersAndStopsAtTheCap() throws {
        let module = Pair()
        let average = try ExponentialMovingAverage(of: module, decay: 0.5, schedule: .warmup(inverseGamma: 1, power: 2.0 / 3))
        var decays: [Float] = []
        for _ in 0..<4 {
            decays.append(average.nextDecay)
            try average.update()
        }
        // diffusers' EMAModel(decay=0.5, use_ema_warmup=True).get_decay(k) for k = 1...4:
        // 0, 1 - 2^(-2/3) = 0.370039, 1 - 3^(-2/3) = 0.519249 capped to 0.5, 0.5.
        assertClose(decays, [0, 0.370039, 0.5, 0.5], accuracy: 1e-6)
    }

    func testEvaluatingWithTheAveragePutsTheTrainingWeightsBack() throws {
        let module = Pair()
        let average = try ExponentialMovingAverage(of: module, decay: 0.5)
        try step(module, average, weight: [3, -2])
        try step(module, average, weight: [5, 0])
        let seen = try average.withAveragedWeights { module.weight.value.scalars }
        XCTAssertEqual(seen, [4, -1])
        XCTAssertEqual(module.weight.value.scalars, [5, 0])

        struct Interrupted: Error {}
        XCTAssertThrowsError(try average.withAveragedWeights { throw Interrupted() })
        XCTAssertEqual(module.weight.value.scalars, [5, 0], "restored when the body throws")
    }

    func testCopyingIntoAnotherModuleAndTheShadowsAreNotViews() throws {
        let module = Pair(), evaluation = Pair()
        let average = try ExponentialMovingAverage(of: module, decay: 0.5)
        try step(module, average, weight: [3, -2])
        // An optimizer step updates the weight in place; the shadow shares nothing with it.
        module.weight.grad = Tensor([1, 1])
        try SGD(parameters: [module.weight], learningRate: 1).step()
        XCTAssertEqual(module.weight.value.scalars, [2, -3])
        try average.copy(to: evaluation)
        XCTAssertEqual(evaluation.weight.value.scalars, [3, -2])

        final class Other: Module { let weight = Variable(Tensor([1, 2, 3]), requiresGradient: true) }
        XCTAssertThrowsError(try average.copy(to: Other())) { error in
            XCTAssertEqual("\(error)", "parameter weight has shape [3] in the model but [2] in the loaded parameters")
        }
    }

    func testMisuseIsRefused() throws {
        let module = Pair()
        XCTAssertThrowsError(try ExponentialMovingAverage(of: module, decay: 1.5)) { error in
            XCTAssertEqual("\(error)", "ExponentialMovingAverage: decay must be in [0, 1], got 1.5")
        }
        let average = try ExponentialMovingAverage(of: module)
        module.bias.value = Tensor([0, 0])
        XCTAssertThrowsError(try average.update()) { error in
            XCTAssertEqual("\(error)", "ExponentialMovingAverage: parameter bias had shape [1] when tracking began but now has [2]")
        }
    }
}
