import XCTest
@testable import Engine

final class DropoutTests: XCTestCase {
    func testTrainingZeroesAFractionPAndScalesTheRest() throws {
        var random = RandomStream(seed: 1, stream: 7)
        let x = Variable(try Tensor.full([100_000], value: 2))
        let y = try x.dropout(probability: 0.3, using: &random).value
        let dropped = y.scalars.filter { $0 == 0 }.count
        // Binomial(100000, 0.3): standard deviation 145; allow 5 of them.
        XCTAssertEqual(Double(dropped), 30_000, accuracy: 725)
        XCTAssertTrue(y.scalars.allSatisfy { $0 == 0 || $0 == 2 * (1 / Float(0.7)) })
        // The expectation is kept: mean(y) ~ mean(x) = 2 (standard error about 0.003).
        XCTAssertEqual(try y.mean().item(), 2, accuracy: 0.015)
    }

    func testTheGradientUsesTheSameMask() throws {
        var random = RandomStream(seed: 2)
        let x = Variable(try Tensor.ones([1000]), requiresGradient: true)
        let y = try x.dropout(probability: 0.5, using: &random)
        try y.sum().backward()
        // For x = 1, y is the scaled mask itself, and so is dy/dx.
        XCTAssertEqual(x.grad?.scalars, y.value.scalars)
        XCTAssertTrue(y.value.scalars.contains(0) && y.value.scalars.contains(2))
    }

    func testMasksAreReproducibleFromTheStream() throws {
        let x = Variable(try Tensor.randn([4, 64], seed: 3))
        var first = RandomStream(seed: 9, stream: 2), second = RandomStream(seed: 9, stream: 2)
        let a = try x.dropout(probability: 0.25, using: &first).value
        let b = try x.dropout(probability: 0.25, using: &second).value
        XCTAssertEqual(a, b)
        XCTAssertEqual(first.position, 64, "256 values take 64 blocks of the stream")
        // The next draw continues the stream: another mask.
        XCTAssertNotEqual(try x.dropout(probability: 0.25, using: &first).value, a)
        // The mask does not depend on the thread count.
        let big = Variable(try Tensor.ones([300_000]))
        let masks = try [1, 2].map { threads in
            try Parallel.withThreadCount(threads) {
                var stream = RandomStream(seed: 4)
                return try big.dropout(probability: 0.1, using: &stream).value
            }
        }
        XCTAssertEqual(masks[0], masks[1])
    }

    func testEvaluationModeIsTheIdentity() throws {
        let dropout = try Dropout(probability: 0.5)
        dropout.setTraining(false)
        let x = Variable(try Tensor.randn([3, 5], seed: 5), requiresGradient: true)
        var random = RandomStream(seed: 6)
        let y = try dropout(x, random: &random)
        XCTAssertTrue(y === x)
        XCTAssertEqual(random.position, 0, "no random numbers drawn")
        dropout.setTraining(true)
        XCTAssertNotEqual(try dropout(x, random: &random).value, x.value)
        XCTAssertEqual(dropout.parameterCount, 0)
    }

    func testTheEdgeProbabilities() throws {
        var random = RandomStream(seed: 7)
        let x = Variable(try Tensor.randn([50], seed: 8))
        XCTAssertTrue(try x.dropout(probability: 0, using: &random) === x)
        XCTAssertEqual(try x.dropout(probability: 1, using: &random).value.scalars, [Float](repeating: 0, count: 50))
        assertTensorError("dropout", mentions: ["[0, 1]", "1.5"]) { try x.dropout(probability: 1.5, using: &random) }
        XCTAssertThrowsError(try Dropout(probability: -0.1))
    }
}
