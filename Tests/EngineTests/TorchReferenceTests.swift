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

    func checkGroupNorm(_ name: String) throws {
        let f = try fixture(name)
        let groups = try XCTUnwrap(f["groups"] as? Int)
        let x = Variable(try tensor(f["x"]), requiresGradient: true)
        let weight = Variable(try tensor(f["weight"]), requiresGradient: true)
        let bias = Variable(try tensor(f["bias"]), requiresGradient: true)
        let y = try x.groupNorm(groups: groups, weight: weight, bias: bias, epsilon: 1e-5)
        try y.backward(gradient: try tensor(f["g"]))
        assertMatches(y.value, try tensor(f["y"]), accuracy: 1e-5, "\(name) y")
        assertMatches(x.grad, try tensor(f["dx"]), accuracy: 1e-4, "\(name) dx")
        assertMatches(weight.grad, try tensor(f["dweight"]), accuracy: 1e-4, "\(name) dweight")
        assertMatches(bias.grad, try tensor(f["dbias"]), accuracy: 1e-4, "\(name) dbias")
    }

    func testGroupNorm() throws {
        try checkGroupNorm("groupNorm")
    }

    func testGroupNormOverMoreThanOneSummationBlock() throws {
        try checkGroupNorm("groupNormLarge")
    }

    func testLayerNorm() throws {
        let f = try fixture("layerNorm")
        let x = Variable(try tensor(f["x"]), requiresGradient: true)
        let weight = Variable(try tensor(f["weight"]), requiresGradient: true)
        let bias = Variable(try tensor(f["bias"]), requiresGradient: true)
        let y = try x.layerNorm(weight: weight, bias: bias)
        try y.backward(gradient: try tensor(f["g"]))
        assertMatches(y.value, try tensor(f["y"]), accuracy: 1e-5, "layerNorm y")
        assertMatches(x.grad, try tensor(f["dx"]), accuracy: 1e-4, "layerNorm dx")
        assertMatches(weight.grad, try tensor(f["dweight"]), accuracy: 1e-4, "layerNorm dweight")
        assertMatches(bias.grad, try tensor(f["dbias"]), accuracy: 1e-4, "layerNorm dbias")
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
