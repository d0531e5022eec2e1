import XCTest
@testable import Engine

/// A small convolutional network learns a task end to end: the whole stack (conv2d, pooling,
/// SiLU, mean, Linear, cross-entropy, backward, Adam) has to be right for the loss to fall.
final class TrainingTests: XCTestCase {
    /// 8x8 images of one bright bar on noise: class 0 a horizontal bar, class 1 a vertical one,
    /// at a random row or column. Labels alternate.
    static func bars(count: Int, seed: UInt64) throws -> (images: Tensor, labels: Tensor) {
        var random = RandomStream(seed: seed)
        let noise = try Tensor.randn([count, 1, 8, 8], std: 0.3, using: &random)
        let positions = try Tensor.rand([count], low: 0, high: 8, using: &random)
        var pixels = noise.scalars
        for image in 0..<count {
            let line = Int(positions.scalars[image])
            for k in 0..<8 {
                let (row, column) = image % 2 == 0 ? (line, k) : (k, line)
                pixels[image * 64 + row * 8 + column] += 1
            }
        }
        return (try Tensor(shape: [count, 1, 8, 8], scalars: pixels),
                Tensor((0..<count).map { Float($0 % 2) }))
    }

    final class BarClassifier: Module {
        let conv1: Conv2d
        let conv2: Conv2d
        let head: Linear
        init(random: inout RandomStream) throws {
            conv1 = try Conv2d(inputChannels: 1, outputChannels: 8, kernelSize: 3, padding: 1, random: &random)
            conv2 = try Conv2d(inputChannels: 8, outputChannels: 8, kernelSize: 3, padding: 1, random: &random)
            head = try Linear(inputs: 8, outputs: 2, random: &random)
        }

        /// [N, 1, 8, 8] -> class logits [N, 2].
        func callAsFunction(_ x: Variable) throws -> Variable {
            let h = try conv1(x).silu().maxPool2d(kernel: 2)
            let features = try conv2(h).silu().mean(axes: [2, 3])
            return try head(features)
        }
    }

    /// Trains for `steps` and returns the losses and the held-out accuracy.
    func train(seed: UInt64, steps: Int) throws -> (losses: [Float], accuracy: Float) {
        var random = RandomStream(seed: seed)
        let model = try BarClassifier(random: &random)
        let optimizer = try Adam(parameters: model.parameters, learningRate: 1e-2)
        let data = try Self.bars(count: 256, seed: seed + 1)
        var losses: [Float] = []
        for step in 0..<steps {
            let start = (step * 32) % 256
            let images = Variable(try data.images.slice([.range(start..<(start + 32))]))
            let labels = try data.labels.slice([.range(start..<(start + 32))])
            let loss = try Loss.crossEntropy(try model(images), classes: labels)
            model.zeroGradients()
            try loss.backward()
            try optimizer.step()
            losses.append(try loss.value.item())
        }
        let test = try Self.bars(count: 128, seed: seed + 2)
        let predicted = try GradientMode.withoutGradients { try model(Variable(test.images)).value.argmax(axis: 1) }
        let correct = try (predicted .== test.labels).sum().item()
        return (losses, correct / 128)
    }

    func testASmallConvNetLearnsToTellBarsApart() throws {
        let run = try train(seed: 5, steps: 150)
        let first = run.losses.prefix(5).reduce(0, +) / 5
        let last = run.losses.suffix(10).reduce(0, +) / 10
        // Chance is ln 2 = 0.693; a wrong gradient anywhere in the stack stalls far above 0.05.
        XCTAssertGreaterThan(first, 0.6, "starts at chance")
        XCTAssertLessThan(last, 0.05, "losses: \(run.losses.suffix(10))")
        XCTAssertGreaterThanOrEqual(run.accuracy, 0.97)
    }

    func testTrainingIsReproducibleFromASeed() throws {
        let a = try train(seed: 9, steps: 20), b = try train(seed: 9, steps: 20)
        XCTAssertEqual(a.losses, b.losses)
        XCTAssertNotEqual(a.losses, try train(seed: 10, steps: 20).losses)
    }
}
