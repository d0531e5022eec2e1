import XCTest
@testable import Engine

/// Exporting and restoring the state of Adam, SGD and the moving average: a copy restored
/// half-way must take bit for bit the steps the original takes, and a state that does not fit is
/// refused without changing anything.
final class OptimizerStateTests: XCTestCase {
    static let gradients: [[Float]] = [[0.5, -1, 2], [-0.25, 0.75, 1.5], [1, 0.5, -0.5], [0.3, -0.2, 0.1], [2, 1, -1]]

    /// Runs `gradients[0..<3]` on one optimizer, restores its state into a second one over a copy
    /// of the parameter, then runs the last two gradients on both: the values must agree exactly.
    func assertRestoredOptimizerContinues(_ make: ([Variable]) throws -> any StatefulOptimizer) throws {
        let original = Variable(Tensor([1, -2, 3]), requiresGradient: true)
        let optimizer = try make([original])
        for g in Self.gradients[0..<3] {
            original.grad = Tensor(g)
            try optimizer.step()
        }
        let copy = Variable(original.value, requiresGradient: true)
        let restored = try make([copy])
        try restored.importState(optimizer.exportState())
        XCTAssertEqual(restored.exportState(), optimizer.exportState())
        for g in Self.gradients[3...] {
            original.grad = Tensor(g)
            copy.grad = Tensor(g)
            try optimizer.step()
            try restored.step()
        }
        XCTAssertEqual(copy.value.scalars.map(\.bitPattern), original.value.scalars.map(\.bitPattern))
        // Without the state the copy would differ: the test would notice a state that is not restored.
        let fresh = Variable(Tensor([1, -2, 3]), requiresGradient: true)
        let unrestored = try make([fresh])
        for g in Self.gradients[0..<3] { fresh.grad = Tensor(g); try unrestored.step() }
        let bare = Variable(fresh.value, requiresGradient: true)
        let restart = try make([bare])
        for g in Self.gradients[3...] { bare.grad = Tensor(g); try restart.step() }
        XCTAssertNotEqual(bare.value.scalars, original.value.scalars)
    }

    func testAdamRestoredHalfwayContinuesBitForBit() throws {
        try assertRestoredOptimizerContinues { try Adam(parameters: $0, learningRate: 0.1) }
    }

    func testAdamWRestoredHalfwayContinuesBitForBit() throws {
        try assertRestoredOptimizerContinues { try Adam.adamW(parameters: $0, learningRate: 0.1, weightDecay: 0.1) }
    }

    func testSGDWithMomentumRestoredHalfwayContinuesBitForBit() throws {
        try assertRestoredOptimizerContinues { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) }
    }

    func testAdamStateNamesTheMomentsAndTheStepCount() throws {
        let p = Variable(Tensor([1, -2, 3]), requiresGradient: true)
        let idle = Variable(Tensor([0]), requiresGradient: true)
        let adam = try Adam(parameters: [p, idle], learningRate: 0.1)
        p.grad = Tensor([0.5, -1, 2])
        try adam.step()
        let state = adam.exportState()
        XCTAssertEqual(state.kind, "Adam")
        XCTAssertEqual(state.counters, ["steps.0": 1], "the parameter without a gradient has no state yet")
        // m = (1 - 0.9) g, v = (1 - 0.999) g².
        assertClose(state.tensors["first.0"]!.scalars, [0.05, -0.1, 0.2], accuracy: 1e-7)
        assertClose(state.tensors["second.0"]!.scalars, [0.00025, 0.001, 0.004], accuracy: 1e-7)
        XCTAssertNil(state.tensors["first.1"])
    }

    func testAStateThatDoesNotFitIsRefusedAndChangesNothing() throws {
        let p = Variable(Tensor([1, -2, 3]), requiresGradient: true)
        let adam = try Adam(parameters: [p], learningRate: 0.1)
        p.grad = Tensor([0.5, -1, 2])
        try adam.step()
        let before = adam.exportState()

        let sgd = try SGD(parameters: [p], learningRate: 0.1, momentum: 0.9)
        try sgd.step()
        XCTAssertThrowsError(try adam.importState(sgd.exportState())) { error in
            XCTAssertTrue("\(error)".contains("cannot restore the state of a SGD optimizer"), "\(error)")
        }
        var wrongShape = before
        wrongShape.tensors["second.0"] = Tensor([1, 2])
        XCTAssertThrowsError(try adam.importState(wrongShape)) { error in
            XCTAssertTrue("\(error)".contains("second.0 has shape [2] but its parameter has shape [3]"), "\(error)")
        }
        var incomplete = before
        incomplete.counters = [:]
        XCTAssertThrowsError(try adam.importState(incomplete))
        var foreign = before
        foreign.tensors["first.7"] = Tensor([1])
        XCTAssertThrowsError(try adam.importState(foreign)) { error in
            XCTAssertTrue("\(error)".contains("first.7"), "\(error)")
        }
        XCTAssertEqual(adam.exportState(), before)
    }

    func testMovingAverageRestoredHalfwayContinuesBitForBit() throws {
        final class Pair: Module {
            let weight = Variable(Tensor([1, 2]), requiresGradient: true)
            let bias = Variable(Tensor([0]), requiresGradient: true)
        }
        let weights: [[Float]] = [[3, -2], [5, 0], [1, 5], [0.5, 0.25], [-1, 7]]
        let module = Pair(), copy = Pair()
        let average = try ExponentialMovingAverage(of: module, decay: 0.9, schedule: .warmup(inverseGamma: 1, power: 0.75))
        for weight in weights[0..<3] { module.weight.value = Tensor(weight); try average.update() }
        let state = average.exportState()
        XCTAssertEqual(state.counters, ["updates": 3])
        XCTAssertEqual(Set(state.tensors.keys), ["weight", "bias"])
        let restored = try ExponentialMovingAverage(of: copy, decay: 0.9, schedule: .warmup(inverseGamma: 1, power: 0.75))
        try restored.importState(state)
        XCTAssertEqual(restored.nextDecay, average.nextDecay)
        for weight in weights[3...] {
            module.weight.value = Tensor(weight); try average.update()
            copy.weight.value = Tensor(weight); try restored.update()
        }
        XCTAssertEqual(restored.averages.map(\.tensor), average.averages.map(\.tensor))

        var missing = state
        missing.tensors["bias"] = nil
        XCTAssertThrowsError(try restored.importState(missing)) { error in
            XCTAssertTrue("\(error)".contains("no shadow of parameter bias"), "\(error)")
        }
    }
}
