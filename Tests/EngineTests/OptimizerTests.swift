import XCTest
@testable import Engine

/// SGD, Adam and AdamW: their first steps against PyTorch, the state they keep per parameter,
/// their errors, and convergence on a least-squares problem whose optimum is known exactly.
///
/// The reference trajectories come from torch 2.15.0 (float32), made once with:
///
///     import torch
///     grads = [[0.5, -1.0, 2.0], [-0.25, 0.75, 1.5], [1.0, 0.5, -0.5]]
///     def run(make):
///         p = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
///         opt = make([p])
///         for g in grads:
///             p.grad = torch.tensor(g)
///             opt.step()
///             print([float(f"{x:.9g}") for x in p.detach().tolist()])
///     run(lambda ps: torch.optim.SGD(ps, lr=0.1))
///     run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))
///     run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01))
///     run(lambda ps: torch.optim.Adam(ps, lr=0.1))
///     run(lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1))
///     run(lambda ps: torch.optim.AdamW(ps, lr=0.1, weight_decay=0.1))
final class OptimizerTests: XCTestCase {
    static let start: [Float] = [1, -2, 3]
    static let gradients: [[Float]] = [[0.5, -1, 2], [-0.25, 0.75, 1.5], [1, 0.5, -0.5]]

    /// The parameter's value after each of three steps from `start` with `gradients`.
    func trajectory(_ makeOptimizer: ([Variable]) throws -> Optimizer) throws -> [[Float]] {
        let p = Variable(Tensor(Self.start), requiresGradient: true)
        let optimizer = try makeOptimizer([p])
        return try Self.gradients.map { g in
            p.grad = Tensor(g)
            try optimizer.step()
            return p.value.scalars
        }
    }

    func assertTrajectory(
        _ actual: [[Float]], _ expected: [[Float]], accuracy: Float = 1e-6, file: StaticString = #filePath, line: UInt = #line
    ) {
        for (a, e) in zip(actual, expected) { assertClose(a, e, accuracy: accuracy, file: file, line: line) }
    }

    // MARK: - First steps against PyTorch

    func testSGDFirstStepsMatchPyTorch() throws {
        assertTrajectory(try trajectory { try SGD(parameters: $0, learningRate: 0.1) }, [
            [0.949999988, -1.89999998, 2.79999995], [0.974999964, -1.97500002, 2.64999986], [0.87499994, -2.0250001, 2.69999981],
        ])
        // By hand for the second step: b = 0.9 [0.5, -1, 2] + [-0.25, 0.75, 1.5] = [0.2, -0.15, 3.3],
        // p = [0.95, -1.9, 2.8] - 0.1 b = [0.93, -1.885, 2.47].
        assertTrajectory(try trajectory { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) }, [
            [0.949999988, -1.89999998, 2.79999995], [0.930000007, -1.88499999, 2.47000003], [0.812000036, -1.92149997, 2.22300005],
        ])
        assertTrajectory(try trajectory { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01) }, [
            [0.903100014, -1.80620003, 2.61430001], [0.907574117, -1.86264825, 2.15990281], [0.698189199, -1.93903816, 1.9791944],
        ])
    }

    func testAdamFirstStepsMatchPyTorch() throws {
        // The first step moves every weight by exactly the learning rate against its gradient's
        // sign: bias correction makes m̂ = g and v̂ = g², so the step is η g / (|g| + ε).
        assertTrajectory(try trajectory { try Adam(parameters: $0, learningRate: 0.1) }, [
            [0.900000036, -1.89999998, 2.9000001], [0.873366356, -1.8910675, 2.80174255], [0.807555199, -1.90839899, 2.73980451],
        ])
        assertTrajectory(try trajectory {
            try Adam(parameters: $0, learningRate: 0.1, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: .l2(0.1))
        }, [
            [0.900166392, -1.9000833, 2.90004349], [0.859680116, -1.87633765, 2.80217385], [0.783834815, -1.87593806, 2.73681808],
        ])
    }

    func testAdamWFirstStepsMatchPyTorch() throws {
        // The decay comes first: after one step p = 0.99 p - 0.1 sign(g) = [0.89, -1.88, 2.87].
        assertTrajectory(try trajectory { try Adam.adamW(parameters: $0, learningRate: 0.1, weightDecay: 0.1) }, [
            [0.890000045, -1.88, 2.87000012], [0.854466379, -1.8522675, 2.74304271], [0.780110538, -1.85107636, 2.65367436],
        ])
    }

    func testDecoupledDecayDoesNotGoThroughTheAdaptiveStep() throws {
        // With zero gradients AdamW's m and v stay 0, so it only shrinks: p_t = p_0 (1 - η λ)^t.
        // Adam's L2 decay instead becomes the gradient λ p, which the adaptive step normalises:
        // the first step moves every weight by η whatever λ is (1 -> 0.9, not 0.9995).
        let decoupled = Variable(Tensor([1, -4]), requiresGradient: true)
        let coupled = Variable(Tensor([1, -4]), requiresGradient: true)
        let adamW = try Adam.adamW(parameters: [decoupled], learningRate: 0.1, weightDecay: 0.005)
        let adam = try Adam(parameters: [coupled], learningRate: 0.1, weightDecay: .l2(0.005))
        coupled.grad = try Tensor.zeros([2])
        try adam.step()
        assertClose(coupled.value.scalars, [0.9, -3.9], accuracy: 1e-6)
        for _ in 0..<3 {
            decoupled.grad = try Tensor.zeros([2])
            try adamW.step()
        }
        let shrink = Float(pow(1 - 0.1 * 0.005, 3.0))
        assertClose(decoupled.value.scalars, [shrink, -4 * shrink], accuracy: 1e-6)
    }

    // MARK: - State per parameter

    func testAParameterWithoutAGradientIsSkippedAndItsStateWaits() throws {
        for makeOptimizer: ([Variable]) throws -> Optimizer in [
            { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) },
            { try Adam(parameters: $0, learningRate: 0.1) },
        ] {
            let a = Variable(Tensor(Self.start), requiresGradient: true)
            let b = Variable(Tensor(Self.start), requiresGradient: true)
            let optimizer = try makeOptimizer([a, b])
            a.grad = Tensor(Self.gradients[0])
            try optimizer.step()
            XCTAssertEqual(b.value.scalars, Self.start, "no gradient, no change")
            // b's first step is its own first step: the momentum buffer starts at its gradient,
            // Adam's bias correction uses t = 1. So b follows a fresh optimizer's trajectory.
            b.grad = Tensor(Self.gradients[0])
            try optimizer.step()
            let fresh = try trajectory(makeOptimizer)
            XCTAssertEqual(b.value.scalars, fresh[0])
            a.zeroGradient()
            b.grad = Tensor(Self.gradients[1])
            let aBefore = a.value
            try optimizer.step()
            XCTAssertEqual(b.value.scalars, fresh[1])
            XCTAssertEqual(a.value, aBefore)
        }
    }

    func testTheLearningRateCanChangeBetweenSteps() throws {
        let p = Variable(Tensor([1]), requiresGradient: true)
        let optimizer = try SGD(parameters: [p], learningRate: 0.5)
        p.grad = Tensor([1])
        try optimizer.step()
        optimizer.learningRate = 0.25
        try optimizer.step()
        XCTAssertEqual(p.value.scalars, [0.25])
        optimizer.zeroGradients()
        XCTAssertNil(p.grad)
    }

    func testLargeParametersUpdateTheSameWithAnyThreadCount() throws {
        // Several chunks of Parallel.elementGrain; the update is element-wise, so bit-identical.
        func run(threads: Int) throws -> Tensor {
            try Parallel.withThreadCount(threads) {
                let p = Variable(try Tensor.randn([300_000], seed: 5), requiresGradient: true)
                let optimizer = try Adam.adamW(parameters: [p], learningRate: 0.01)
                for step in 0..<3 {
                    p.grad = try Tensor.randn([300_000], seed: 10 + UInt64(step))
                    try optimizer.step()
                }
                return p.value
            }
        }
        XCTAssertEqual(try run(threads: 1), try run(threads: 2))
    }

    // MARK: - Errors

    func testMisuseIsAnErrorThatSaysWhatIsWrong() throws {
        let p = Variable(Tensor([1, 2]), requiresGradient: true)
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { try Adam(parameters: [p], beta1: 1) }, "Adam: beta1 must be in [0, 1), got 1.0")
        XCTAssertEqual(message { try SGD(parameters: [p], learningRate: 0.1, nesterov: true) },
                       "SGD: Nesterov momentum needs a momentum above 0, got 0.0")
        XCTAssertEqual(message { try SGD(parameters: [p], learningRate: -1) }, "SGD: the learning rate must be at least 0, got -1.0")
        XCTAssertEqual(message { try Adam(parameters: [p, p]) },
                       "Adam: parameter 1 is the same variable as parameter 0; list each parameter once")
        XCTAssertEqual(message { try SGD(parameters: [p * 2], learningRate: 0.1) },
                       "SGD: parameter 0 is a computed result, not a leaf; optimize the parameters it was computed from")
        XCTAssertEqual(message { try Adam(parameters: [p], weightDecay: .decoupled(.nan)) }, "Adam: weight decay must be at least 0, got nan")
    }

    func testAStepThatFailsChangesNothing() throws {
        let good = Variable(Tensor([1, 2]), requiresGradient: true)
        let bad = Variable(Tensor([1, 2, 3]), requiresGradient: true)
        let optimizer = try Adam(parameters: [good, bad])
        good.grad = Tensor([1, 1])
        bad.grad = Tensor([1, 1])
        XCTAssertThrowsError(try optimizer.step()) { error in
            XCTAssertEqual("\(error)", "Adam: parameter 1 has shape [3] but its gradient has shape [2]")
        }
        XCTAssertEqual(good.value.scalars, [1, 2], "the earlier parameter is not updated either")

        bad.grad = nil
        try optimizer.step()
        good.value = Tensor([1, 2, 3])
        XCTAssertThrowsError(try optimizer.step()) { error in
            XCTAssertEqual("\(error)", "Adam: parameter 0 had shape [2] when tracking began but now has [3]")
        }
    }

    // MARK: - Convergence

    /// Least squares on the eight corners of the cube {-1, 1}³. The three coordinate columns
    /// and the column of ones are orthogonal with squared norm 8, so the minimum of
    /// L = mean((x·w + b - y)²) is w_j = mean(x_j y), b = mean(y): w = [-0.375, -0.125, 0.125],
    /// b = 1. The gradient is ∇L = 2 (θ - θ*) for θ = (w, b), so with an L2 penalty (λ/2)|θ|²
    /// the minimum moves to θ* 2 / (2 + λ).
    struct CubeRegression {
        static let optimum: [Float] = [-0.375, -0.125, 0.125, 1]
        let x: Variable
        let y: Variable

        init() throws {
            let corners = [Float(1), -1]
            x = Variable(try Tensor(corners.flatMap { z in corners.flatMap { y in corners.map { x in [x, y, z] } } }))
            y = Variable(try Tensor(shape: [8, 1], scalars: [2, 0.5, -1, 3, 1.5, -0.5, 0, 2.5]))
        }

        /// A model that starts at PyTorch's initialisation, far from the optimum.
        func model() throws -> Linear {
            var random = RandomStream(seed: 7)
            return try Linear(inputs: 3, outputs: 1, random: &random)
        }

        func loss(_ model: Linear) throws -> Variable {
            try (try model(x) - y).pow(2).mean()
        }

        /// Trains for `steps` full-batch steps and returns (w, b).
        func train(_ model: Linear, _ optimizer: Optimizer, steps: Int, schedule: LearningRateSchedule? = nil) throws -> [Float] {
            for step in 0..<steps {
                if let schedule { optimizer.learningRate = schedule.learningRate(atStep: step) }
                optimizer.zeroGradients()
                try loss(model).backward()
                try optimizer.step()
            }
            return model.weight.value.scalars + model.bias!.value.scalars
        }
    }

    func testSGDWithMomentumReachesTheLeastSquaresOptimum() throws {
        let problem = try CubeRegression()
        let model = try problem.model()
        // The error contracts by about √μ ≈ 0.95 per step: 300 steps leave ~1e-7.
        let optimizer = try SGD(parameters: model.parameters, learningRate: 0.1, momentum: 0.9)
        assertClose(try problem.train(model, optimizer, steps: 300), CubeRegression.optimum, accuracy: 1e-5)
    }

    func testSGDWithWeightDecayReachesTheRidgeOptimum() throws {
        let problem = try CubeRegression()
        let model = try problem.model()
        let optimizer = try SGD(parameters: model.parameters, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1)
        let ridge = CubeRegression.optimum.map { $0 * 2 / 2.1 }
        assertClose(try problem.train(model, optimizer, steps: 300), ridge, accuracy: 1e-5)
    }

    func testAdamReachesTheLeastSquaresOptimum() throws {
        let problem = try CubeRegression()
        let model = try problem.model()
        // At a constant rate Adam keeps stepping by about η near the optimum; the cosine decay
        // to 0 lets it settle.
        let optimizer = try Adam(parameters: model.parameters)
        let schedule = try WarmupCosineDecay(peak: 0.05, warmupSteps: 10, totalSteps: 500)
        assertClose(try problem.train(model, optimizer, steps: 500, schedule: schedule), CubeRegression.optimum, accuracy: 1e-5)
    }

    func testAdamWEndsNearTheOptimumPulledTowardZero() throws {
        let problem = try CubeRegression()
        let model = try problem.model()
        let optimizer = try Adam.adamW(parameters: model.parameters, weightDecay: 0.01)
        let schedule = try WarmupCosineDecay(peak: 0.05, warmupSteps: 10, totalSteps: 500)
        let result = try problem.train(model, optimizer, steps: 500, schedule: schedule)
        // The decay keeps every weight a little closer to zero than the optimum: this run ends at
        // b = 0.9983, PyTorch's AdamW with the same settings from its own random start at 0.9975.
        assertClose(result, CubeRegression.optimum, accuracy: 5e-3)
        for (value, optimum) in zip(result, CubeRegression.optimum) {
            XCTAssertLessThan(abs(value), abs(optimum), "decay pulls toward zero")
        }
    }
}
