import XCTest
@testable import Diffusion
@testable import Engine

final class DiscriminatorTests: XCTestCase {
    func testThePatchDiscriminatorGivesOneLogitPerPatch() throws {
        var random = RandomStream(seed: 1)
        let discriminator = try PatchDiscriminator(width: 16, downsamplings: 3, random: &random)
        // 1->16 (4x4), 16->32 and its norm, 32->64 and its norm, 64->1 (3x3).
        XCTAssertEqual(discriminator.parameterCount, (16 * 16 + 16) + (32 * 16 * 16 + 32 + 64) + (64 * 32 * 16 + 64 + 128) + (64 * 9 + 1))
        let logits = try discriminator(Variable(try Tensor.rand([2, 1, 64, 64], seed: 2)))
        XCTAssertEqual(logits.shape, [2, 1, 8, 8])
    }

    func testLeakyReLUKeepsAFifthOfNegativeValuesAndTheirGradient() throws {
        let x = Variable(Tensor([-2, -0.5, 0, 3]), requiresGradient: true)
        let y = try x.leakyReLU(slope: 0.2)
        XCTAssertEqual(y.value.scalars, [-0.4, -0.1, 0, 3])
        try y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0.2, 0.2, 1, 1])
    }

    func testHingeLossesMatchTheirDefinitions() throws {
        let real = Variable(Tensor([2, 0.5, -1, 0]))
        let fake = Variable(Tensor([-3, -0.5, 1, 0.25]))
        // relu(1 - real) = [0, 0.5, 2, 1] -> 0.875; relu(1 + fake) = [0, 0.5, 2, 1.25] -> 0.9375.
        XCTAssertEqual(try AdversarialLoss.hingeDiscriminatorLoss(real: real, fake: fake).value.scalars[0], 1.8125, accuracy: 1e-6)
        XCTAssertEqual(try AdversarialLoss.hingeGeneratorLoss(fake: fake).value.scalars[0], 0.5625, accuracy: 1e-6)
    }

    func testTheAdversarialTermStartsAtItsStepAndTrainsOnlyItsSide() throws {
        var random = RandomStream(seed: 3)
        let discriminator = try PatchDiscriminator(width: 8, downsamplings: 2, random: &random)
        let adversarial = AdversarialLoss(weight: 0.5, startStep: 10)
        let images = try Tensor.rand([2, 1, 16, 16], low: -1, high: 1, seed: 4)
        let reconstructed = Variable(try Tensor.rand([2, 1, 16, 16], low: -1, high: 1, seed: 5), requiresGradient: true)
        XCTAssertNil(try adversarial.generatorTerm(discriminator, reconstructed: reconstructed, step: 9))
        XCTAssertNil(try adversarial.discriminatorLoss(discriminator, images: images, reconstructed: reconstructed.value, step: 9))

        let term = try XCTUnwrap(try adversarial.generatorTerm(discriminator, reconstructed: reconstructed, step: 10))
        let logits = try GradientMode.withoutGradients { try discriminator(reconstructed).value }
        XCTAssertEqual(term.value.scalars[0], -0.5 * (try logits.mean().scalars[0]), accuracy: 1e-6)
        try term.backward()
        XCTAssertNotNil(reconstructed.grad)

        discriminator.zeroGradients()
        let dLoss = try XCTUnwrap(try adversarial.discriminatorLoss(discriminator, images: images, reconstructed: reconstructed.value, step: 10))
        try dLoss.backward()
        XCTAssertTrue(discriminator.parameters.allSatisfy { $0.grad != nil })
    }
}
