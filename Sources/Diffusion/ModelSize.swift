import Engine
import Foundation
import Formats

/// How many parameters a model's configuration asks for, counted before anything is allocated.
///
/// A model is built layer by layer, and each layer's tensors pass the memory budget on their own;
/// but `widths=[30000, 30000]` asks for many tensors that each fit and together do not, and the
/// process would be killed partway through. So each model's initialiser first counts, from its
/// configuration alone, exactly the parameters its layers will create (the counts mirror the
/// initialisers, and a test compares them with built models) and checks their bytes against the
/// budget. The counts are in Double: a configuration of absurd widths overflows no Int here.
/// A checkpoint's loader compares the same count with the parameters the file holds before it
/// builds anything (`requireCheckpoint(_:holds:model:)`).
enum ModelSize {
    /// Conv2d: an [outputs, inputs, k, k] weight and an [outputs] bias.
    static func conv(_ inputs: Int, _ outputs: Int, kernel: Int) -> Double {
        Double(outputs) * Double(inputs) * Double(kernel * kernel) + Double(outputs)
    }

    /// Linear: an [outputs, inputs] weight and an [outputs] bias.
    static func linear(_ inputs: Int, _ outputs: Int) -> Double {
        Double(outputs) * Double(inputs) + Double(outputs)
    }

    /// GroupNorm with an affine weight and bias per channel.
    static func groupNorm(_ channels: Int) -> Double {
        2 * Double(channels)
    }

    /// Throws a `MemoryBudgetError` naming `model` when `parameters` Float values are over the
    /// memory budget.
    static func checkBudget(parameters: Double, model: @autoclosure () -> String) throws {
        let bytes = parameters * Double(MemoryLayout<Float>.stride)
        try MemoryBudget.check(bytes: bytes < 0x1p63 ? Int(bytes) : Int.max,
                               for: "\(model()) (\(describe(parameters)) parameters)")
    }

    /// Throws a `CheckpointError` when the model a checkpoint's configuration describes has more
    /// parameters than the checkpoint holds values: the configuration cannot be the one that
    /// saved these parameters, and building the model it asks for could take any amount of
    /// memory. Called before the model is built.
    static func requireCheckpoint(_ checkpoint: Checkpoint, holds parameters: Double, model: String) throws {
        let held = checkpoint.parameters.reduce(0.0) { $0 + Double($1.tensor.count) }
        guard parameters <= held else {
            throw CheckpointError(parameter: nil, "the configuration describes \(model) of \(describe(parameters)) parameters, "
                + "but the checkpoint holds \(describe(held)) values: the configuration does not match the parameters")
        }
    }

    /// A parameter count as people read it: "1234567", or "4.0e+18" past a trillion.
    private static func describe(_ count: Double) -> String {
        count < 1e12 ? String(Int(count)) : String(format: "%.1e", count)
    }
}

extension UNet.Configuration {
    /// The number of parameters a UNet of this configuration has, as `UNet.init` creates them
    /// (0 for a configuration without widths or blocks, which `UNet.init` refuses).
    public var parameterCount: Double {
        guard !widths.isEmpty, blocksPerLevel > 0 else { return 0 }
        let t = timeEmbeddingWidth
        // A level's first block changes the width, the others keep it: counted in closed form,
        // so that blocksPerLevel = 10^12 is counted (and refused) at once.
        let repeats = Double(blocksPerLevel - 1)
        func residualBlock(_ inputs: Int, _ outputs: Int) -> Double {
            ModelSize.groupNorm(inputs) + ModelSize.conv(inputs, outputs, kernel: 3) + ModelSize.linear(t, outputs)
                + ModelSize.groupNorm(outputs) + ModelSize.conv(outputs, outputs, kernel: 3)
                + (inputs == outputs ? 0 : ModelSize.conv(inputs, outputs, kernel: 1))
        }
        var count = 2 * ModelSize.linear(t, t) + ModelSize.conv(inputChannels, widths[0], kernel: 3)
        var width = widths[0]
        for (level, levelWidth) in widths.enumerated() {
            count += residualBlock(width, levelWidth) + repeats * residualBlock(levelWidth, levelWidth)
            width = levelWidth
            if level < widths.count - 1 { count += ModelSize.conv(width, width, kernel: 3) }
        }
        count += ModelSize.groupNorm(width) + 4 * ModelSize.linear(width, width)
        for levelWidth in widths.dropLast().reversed() {
            count += ModelSize.conv(width, width, kernel: 3)
            count += residualBlock(width + levelWidth, levelWidth) + repeats * residualBlock(levelWidth, levelWidth)
            width = levelWidth
        }
        return count + ModelSize.groupNorm(width) + ModelSize.conv(width, outputChannels, kernel: 3)
    }
}

extension Autoencoder.Configuration {
    /// The number of parameters an autoencoder of this configuration has, as `Autoencoder.init`
    /// creates them.
    public var parameterCount: Double {
        if let autoencoderKL { return autoencoderKL.parameterCount }
        let (w, wide) = (outerWidth, innerWidth)
        func unit(_ inputs: Int, _ outputs: Int) -> Double {
            ModelSize.conv(inputs, outputs, kernel: 3) + ModelSize.groupNorm(outputs)
        }
        let encoder = unit(imageChannels, w) + unit(w, w) + unit(w, wide) + unit(wide, wide)
            + ModelSize.conv(wide, encoderOutputChannels, kernel: 3)
        let decoder = unit(latentChannels, wide) + unit(wide, wide) + unit(wide, w) + unit(w, w)
            + ModelSize.conv(w, imageChannels, kernel: 3)
        var codebook = 0.0
        if case .vq(let codes, _, let learning) = regularizer {
            // The codebook, and with moving averages the cluster sizes and sums.
            codebook = Double(codes) * Double(latentChannels) * (learning == .gradient ? 1 : 2) + (learning == .gradient ? 0 : Double(codes))
        }
        return encoder + decoder + codebook
    }
}

extension ConditionEncoder {
    /// The number of parameters a condition encoder of these sizes has.
    public static func parameterCount(inputChannels: Int, outputChannels: Int, downsamplingFactor: Int, width: Int) -> Double {
        ModelSize.conv(inputChannels, width, kernel: 3)
            + Double(downsamplingFactor.trailingZeroBitCount) * ModelSize.conv(width, width, kernel: 3)
            + ModelSize.conv(width, outputChannels, kernel: 3)
    }
}
