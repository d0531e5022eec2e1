import Foundation
import XCTest
@testable import Engine

/// GroupNorm, LayerNorm and spatial self-attention, forward and backward, against values
/// computed once with PyTorch (Fixtures/make_norm_attention_fixtures.py wrote
/// Fixtures/norm_attention_fixtures.json). Each case's loss is sum(y * g) for a stored g.
/// Tolerances, absolute: 1e-5 for outputs (values of order 1), 1e-4 for gradients, which sum
/// hundreds of products (the largest differences seen were 8e-6 for dweight of the large case).
final class TorchReferenceTests: XCTestCase {
    /// A case of the fixture file, read from beside this source file, so no Python runs at test time.
    func fixture(_ name: String) throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/norm_attention_fixtures.json")
        let fixtures = try XCTUnwrap(try JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(fixtures[name] as? [String: Any], "no case \(name) in \(url.path)")
    }

    /// A {"shape": [...], "values": [...]} entry as a Tensor.
    func tensor(_ object: Any?) throws -> Tensor {
        let entry = try XCTUnwrap(object as? [String: Any])
        let shape = try XCTUnwrap(entry["shape"] as? [Int])
        let values = try XCTUnwrap(entry["values"] as? [Double])
        return try Tensor(shape: shape, scalars: values.map(Float.init))
    }

    func assertMatches(_ actual: Tensor?, _ expected: Tensor, accuracy: Float, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else { return XCTFail("\(name): no value", file: file, line: line) }
        XCTAssertEqual(actual.shape, expected.shape, name, file: file, line: line)
        let worst = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, accuracy, "\(name): largest difference from PyTorch", file: file, line: line)
    }

    /// A normalisation case: `normalize(x, weight, bias, case)` against PyTorch's y and gradients.
    func checkNormalization(
        _ name: String, file: StaticString = #filePath, line: UInt = #line,
        _ normalize: (Variable, Variable, Variable, [String: Any]) throws -> Variable
    ) throws {
        let f = try fixture(name)
        let x = Variable(try tensor(f["x"]), requiresGradient: true)
        let weight = Variable(try tensor(f["weight"]), requiresGradient: true)
        let bias = Variable(try tensor(f["bias"]), requiresGradient: true)
        let y = try normalize(x, weight, bias, f)
        try y.backward(gradient: try tensor(f["g"]))
        assertMatches(y.value, try tensor(f["y"]), accuracy: 1e-5, "\(name) y", file: file, line: line)
        assertMatches(x.grad, try tensor(f["dx"]), accuracy: 1e-4, "\(name) dx", file: file, line: line)
        assertMatches(weight.grad, try tensor(f["dweight"]), accuracy: 1e-4, "\(name) dweight", file: file, line: line)
        assertMatches(bias.grad, try tensor(f["dbias"]), accuracy: 1e-4, "\(name) dbias", file: file, line: line)
    }

    func groupNorm(_ x: Variable, _ weight: Variable, _ bias: Variable, _ f: [String: Any]) throws -> Variable {
        try x.groupNorm(groups: try XCTUnwrap(f["groups"] as? Int), weight: weight, bias: bias, epsilon: 1e-5)
    }

    func testGroupNorm() throws {
        try checkNormalization("groupNorm", groupNorm)
    }

    func testGroupNormOverMoreThanOneSummationBlock() throws {
        try checkNormalization("groupNormLarge", groupNorm)
    }

    func testLayerNorm() throws {
        try checkNormalization("layerNorm") { x, weight, bias, _ in try x.layerNorm(weight: weight, bias: bias, epsilon: 1e-5) }
    }

    func testSpatialSelfAttentionMatchesMultiheadAttention() throws {
        let f = try fixture("attention")
        let x = Variable(try tensor(f["x"]), requiresGradient: true)
        var random = RandomStream(seed: 1)
        let attention = try SpatialSelfAttention(channels: x.shape[1], heads: try XCTUnwrap(f["heads"] as? Int), random: &random)
        let parameters = try XCTUnwrap(f["parameters"] as? [String: Any])
        try attention.loadParameters(try parameters.map { ($0.key, try tensor($0.value)) })

        let y = try attention(x)
        try y.backward(gradient: try tensor(f["g"]))
        assertMatches(y.value, try tensor(f["y"]), accuracy: 1e-5, "attention y")
        assertMatches(x.grad, try tensor(f["dx"]), accuracy: 1e-4, "attention dx")
        let gradients = try XCTUnwrap(f["gradients"] as? [String: Any])
        for (path, parameter) in attention.namedParameters() {
            assertMatches(parameter.grad, try tensor(gradients[path]), accuracy: 1e-4, "attention d\(path)")
        }
    }
}
