// Learns a 3x3 convolution kernel from examples with medsynth's engine: random images are
// filtered by Sobel's horizontal kernel, and a kernel that starts at random is fitted to them
// by Adam through the engine's automatic differentiation. Prints the learned kernel and exits
// with status 1 unless it matches Sobel's to 1e-3.
import Engine
import Foundation

let sobel: [Float] = [-1, 0, 1, -2, 0, 2, -1, 0, 1]
var random = RandomStream(seed: 7)
do {
    let images = Variable(try Tensor.rand([16, 1, 24, 24], low: -1, high: 1, using: &random))
    let truth = Variable(try Tensor(shape: [1, 1, 3, 3], scalars: sobel))
    let targets = try Variable.conv2d(input: images, weight: truth, padding: 1).detached()

    let kernel = Variable(try Tensor.rand([1, 1, 3, 3], low: -0.1, high: 0.1, using: &random), requiresGradient: true)
    let adam = try Adam(parameters: [kernel], learningRate: 0.05)
    var loss: Float = .infinity
    for step in 1...400 {
        adam.zeroGradients()
        let error = try Variable.conv2d(input: images, weight: kernel, padding: 1) - targets
        let mse = try error.pow(2).mean()
        try mse.backward()
        try adam.step()
        loss = try mse.value.item()
        if step % 100 == 0 { print("step \(step): loss \(loss)") }
    }
    let learned = kernel.value.withUnsafeBufferPointer { Array($0) }
    let largestError = zip(learned, sobel).map { abs($0 - $1) }.max() ?? .infinity
    print("learned kernel:", learned.map { String(format: "%.4f", $0) }.joined(separator: " "))
    print("largest difference from Sobel's: \(largestError)")
    exit(largestError < 1e-3 ? 0 : 1)
} catch {
    print("error: \(error)")
    exit(1)
}
