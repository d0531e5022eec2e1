import XCTest
@testable import Engine

final class ModuleTests: XCTestCase {
    final class Block: Module {
        let conv1: Linear
        let res: [Linear]
        let gate: Variable
        let fixed = Variable(Tensor([1, 2]))  // a constant: not a parameter
        init(random: inout RandomStream) throws {
            conv1 = try Linear(inputs: 2, outputs: 3, random: &random)
            res = [try Linear(inputs: 3, outputs: 3, bias: false, random: &random),
                   try Linear(inputs: 3, outputs: 2, random: &random)]
            gate = Variable(Tensor([0.5]), requiresGradient: true)
        }
    }

    final class Model: Module {
        let down: [Block]
        let head: Linear?
        init(random: inout RandomStream) throws {
            down = [try Block(random: &random), try Block(random: &random)]
            head = try Linear(inputs: 2, outputs: 1, random: &random)
        }
    }

    func model(seed: UInt64 = 1) throws -> Model {
        var random = RandomStream(seed: seed)
        return try Model(random: &random)
    }

    func testHierarchicalParameterPaths() throws {
        let paths = try model().namedParameters().map(\.path)
        XCTAssertEqual(paths, [
            "down.0.conv1.weight", "down.0.conv1.bias", "down.0.res.0.weight", "down.0.res.1.weight", "down.0.res.1.bias", "down.0.gate",
            "down.1.conv1.weight", "down.1.conv1.bias", "down.1.res.0.weight", "down.1.res.1.weight", "down.1.res.1.bias", "down.1.gate",
            "head.weight", "head.bias",
        ])
    }

    func testParameterCount() throws {
        // Per block: 2*3 + 3 + 3*3 + 3*2 + 2 + 1 = 27; two blocks and a head of 2 + 1.
        XCTAssertEqual(try model().parameterCount, 2 * 27 + 3)
    }

    func testLinearInitialisationAndForward() throws {
        var random = RandomStream(seed: 3)
        let layer = try Linear(inputs: 16, outputs: 8, random: &random)
        let bound: Float = 0.25  // 1 / sqrt(16)
        XCTAssertTrue(layer.weight.value.scalars.allSatisfy { abs($0) < bound })
        XCTAssertGreaterThan(try layer.weight.value.abs().max().item(), 0.2, "uses the whole range")
        let x = Variable(try Tensor.randn([5, 16], seed: 4))
        let y = try layer(x)
        XCTAssertEqual(y.shape, [5, 8])
        let expected = try Tensor.matmul(x.value, layer.weight.value, transposeB: true) + layer.bias!.value
        XCTAssertEqual(y.value.scalars, expected.scalars)
        XCTAssertThrowsError(try layer(Variable(try Tensor.zeros([5, 15]))))
    }

    func testTrainingModeReachesEveryModule() throws {
        let m = try model()
        m.setTraining(false)
        XCTAssertFalse(m.down[1].res[0].isTraining)
        XCTAssertFalse(m.head!.isTraining)
        m.setTraining(true)
        XCTAssertTrue(m.down[0].conv1.isTraining)
    }

    func testLoadingParametersNamesTheFirstMismatch() throws {
        let target = try model(seed: 1), source = try model(seed: 2)
        try target.loadParameters(source.namedParameters().map { ($0.path, $0.variable.value) })
        XCTAssertEqual(target.down[1].res[1].weight.value, source.down[1].res[1].weight.value)

        var wrong = source.namedParameters().map { ($0.path, $0.variable.value) }
        wrong[3].1 = try Tensor.zeros([2, 4])
        let before = target.head!.weight.value
        XCTAssertThrowsError(try target.loadParameters(wrong)) { error in
            XCTAssertEqual("\(error)", "parameter down.0.res.1.weight has shape [2, 3] in the model but [2, 4] in the loaded parameters")
        }
        XCTAssertEqual(target.head!.weight.value, before, "nothing changes when loading fails")
        XCTAssertThrowsError(try target.loadParameters(Array(wrong.dropLast()))) { error in
            XCTAssertTrue("\(error)".hasPrefix("parameter down.0.res.1.weight has shape"), "\(error)")
        }
        var missing = source.namedParameters().map { ($0.path, $0.variable.value) }
        missing.removeLast()
        XCTAssertThrowsError(try target.loadParameters(missing)) { error in
            XCTAssertEqual("\(error)", "parameter head.bias (shape [1]) is missing from the loaded parameters")
        }
        XCTAssertThrowsError(try target.loadParameters(source.namedParameters().map { ($0.path, $0.variable.value) } + [("extra", Tensor(1))])) { error in
            XCTAssertEqual("\(error)", "extra (shape []) in the loaded parameters is not a parameter of the model")
        }
    }

    final class Shared: Module {
        let first: Linear
        let second: Linear
        let byName: [String: Linear]
        let pair: (Linear, Variable)
        init(random: inout RandomStream) throws {
            first = try Linear(inputs: 2, outputs: 2, random: &random)
            second = first
            byName = ["b": try Linear(inputs: 2, outputs: 1, bias: false, random: &random),
                      "a": try Linear(inputs: 1, outputs: 1, bias: false, random: &random)]
            pair = (try Linear(inputs: 1, outputs: 1, bias: false, random: &random), Variable(Tensor([3]), requiresGradient: true))
        }
    }

    func testSharedLayersDictionariesAndTuples() throws {
        var random = RandomStream(seed: 2)
        let model = try Shared(random: &random)
        XCTAssertEqual(model.namedParameters().map(\.path),
                       ["first.weight", "first.bias", "byName.a.weight", "byName.b.weight", "pair.0.weight", "pair.1"])
        XCTAssertNoThrow(try Adam(parameters: model.parameters), "a shared layer is optimised once")
    }

    func testLinearRefusesZeroFeatures() {
        var random = RandomStream(seed: 2)
        assertTensorError("Linear", mentions: ["0 inputs"]) { try Linear(inputs: 0, outputs: 3, random: &random) }
    }
}
