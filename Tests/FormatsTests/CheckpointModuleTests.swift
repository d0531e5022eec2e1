import XCTest
@testable import Engine
@testable import Formats

/// Modules saved to checkpoints and loaded back, in both formats.
final class CheckpointModuleTests: XCTestCase {
    final class Net: Module {
        let stem: Linear
        let blocks: [Linear]
        init(width: Int, seed: UInt64) throws {
            var random = RandomStream(seed: seed)
            stem = try Linear(inputs: 3, outputs: width, random: &random)
            blocks = [try Linear(inputs: width, outputs: width, random: &random),
                      try Linear(inputs: width, outputs: 2, bias: false, random: &random)]
        }
        func callAsFunction(_ x: Variable) throws -> Variable {
            try blocks[1](try blocks[0](try stem(x).silu()).silu())
        }
    }

    /// Just the stem of `Net`.
    final class Smaller: Module {
        let stem: Linear
        override init() {
            var random = RandomStream(seed: 0)
            stem = try! Linear(inputs: 3, outputs: 4, random: &random)
        }
    }

    func testAModelSurvivesASaveAndLoadInBothFormats() throws {
        let directory = try TemporaryDirectory()
        let trained = try Net(width: 4, seed: 1)
        let x = Variable(try Tensor.randn([5, 3], seed: 2))
        let expected = try trained(x).value
        for name in ["net.h5", "net.safetensors"] {
            try trained.saveCheckpoint(to: directory.file(name), configuration: ["width": "4"], metadata: ["step": .integer(12)])
            let fresh = try Net(width: 4, seed: 99)
            XCTAssertNotEqual(try fresh(x).value, expected)
            let checkpoint = try fresh.loadCheckpoint(from: directory.file(name))
            XCTAssertEqual(try fresh(x).value.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), name)
            XCTAssertEqual(checkpoint.configuration, ["width": "4"])
            XCTAssertEqual(checkpoint.metadata["step"], .integer(12))
            XCTAssertEqual(checkpoint.parameters.map(\.path),
                           ["stem.weight", "stem.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight"])
        }
    }

    func testLoadingIntoAModelOfAnotherShapeNamesTheFirstParameter() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("net.h5")
        try Net(width: 4, seed: 1).saveCheckpoint(to: path)
        let wider = try Net(width: 8, seed: 1)
        let before = wider.blocks[1].weight.value
        XCTAssertThrowsError(try wider.loadCheckpoint(from: path)) { error in
            XCTAssertEqual("\(error)", "parameter stem.weight has shape [8, 3] in the model but [4, 3] in checkpoint \(path)")
        }
        XCTAssertEqual(wider.blocks[1].weight.value, before, "a failed load changes nothing")

        XCTAssertThrowsError(try Smaller().loadCheckpoint(from: path)) { error in
            XCTAssertEqual("\(error)", "blocks.0.weight (shape [4, 4]) in checkpoint \(path) is not a parameter of the model")
        }
    }
}
