import Engine

/// Inception-v3 as pytorch-fid computes FID with it (Szegedy et al. 2016, "Rethinking the
/// Inception Architecture"; Heusel et al. 2017 for FID): torchvision's `Inception3` with
/// pytorch-fid's patched blocks (FIDInceptionA, C and E_1 average their pooling branch over the
/// positions inside the image only; E_2 max-pools it), up to the 2048 features of the last
/// average pooling. The properties are named as the modules of pytorch-fid's weight file
/// (pt_inception-2015-12-05), so its state dict loads by path; `fc` and `AuxLogits` are not
/// used and not loaded.
///
/// Input: images in 0...1, resized bilinearly to 299 x 299 (align_corners=False, no antialias)
/// and scaled to -1...1, as pytorch-fid's `InceptionV3(resize_input=True, normalize_input=True)`.
final class InceptionV3: Module {
    /// torchvision's BasicConv2d: a convolution without bias, batch norm (eps 0.001), ReLU.
    final class BasicConv2d: Module {
        let conv: FrozenConv2d
        let bn: FrozenBatchNorm

        init(_ input: Int, _ output: Int, kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0) throws {
            conv = try FrozenConv2d(input, output, kernel: kernel, stride: stride, padding: padding)
            bn = try FrozenBatchNorm(output, epsilon: 1e-3)
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor { try normalizedConvolution(conv, bn, x) }
    }

    /// Three convolution widths, a 5x5 branch and a pooled branch (Mixed_5b...5d).
    final class BlockA: Module {
        let branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool: BasicConv2d

        init(_ input: Int, poolFeatures: Int) throws {
            branch1x1 = try BasicConv2d(input, 64, kernel: 1)
            branch5x5_1 = try BasicConv2d(input, 48, kernel: 1)
            branch5x5_2 = try BasicConv2d(48, 64, kernel: 5, padding: 2)
            branch3x3dbl_1 = try BasicConv2d(input, 64, kernel: 1)
            branch3x3dbl_2 = try BasicConv2d(64, 96, kernel: 3, padding: 1)
            branch3x3dbl_3 = try BasicConv2d(96, 96, kernel: 3, padding: 1)
            branch_pool = try BasicConv2d(input, poolFeatures, kernel: 1)
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            try Tensor.concat([
                try branch1x1(x),
                try branch5x5_2(try branch5x5_1(x)),
                try branch3x3dbl_3(try branch3x3dbl_2(try branch3x3dbl_1(x))),
                try branch_pool(try averagedInside(x)),
            ], axis: 1)
        }
    }

    /// The grid reduction from 35 to 17 (Mixed_6a).
    final class BlockB: Module {
        let branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3: BasicConv2d

        init(_ input: Int) throws {
            branch3x3 = try BasicConv2d(input, 384, kernel: 3, stride: 2)
            branch3x3dbl_1 = try BasicConv2d(input, 64, kernel: 1)
            branch3x3dbl_2 = try BasicConv2d(64, 96, kernel: 3, padding: 1)
            branch3x3dbl_3 = try BasicConv2d(96, 96, kernel: 3, stride: 2)
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            try Tensor.concat([
                try branch3x3(x),
                try branch3x3dbl_3(try branch3x3dbl_2(try branch3x3dbl_1(x))),
                try Variable(x).maxPool2d(kernel: 3, stride: 2).value,
            ], axis: 1)
        }
    }

    /// Factorised 7x7 convolutions (Mixed_6b...6e).
    final class BlockC: Module {
        let branch1x1: BasicConv2d
        let branch7x7_1, branch7x7_2, branch7x7_3: BasicConv2d
        let branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5: BasicConv2d
        let branch_pool: BasicConv2d

        init(_ input: Int, channels7x7 c7: Int) throws {
            let row = Size2D(height: 1, width: 7), column = Size2D(height: 7, width: 1)
            let rowPadding = Size2D(height: 0, width: 3), columnPadding = Size2D(height: 3, width: 0)
            branch1x1 = try BasicConv2d(input, 192, kernel: 1)
            branch7x7_1 = try BasicConv2d(input, c7, kernel: 1)
            branch7x7_2 = try BasicConv2d(c7, c7, kernel: row, padding: rowPadding)
            branch7x7_3 = try BasicConv2d(c7, 192, kernel: column, padding: columnPadding)
            branch7x7dbl_1 = try BasicConv2d(input, c7, kernel: 1)
            branch7x7dbl_2 = try BasicConv2d(c7, c7, kernel: column, padding: columnPadding)
            branch7x7dbl_3 = try BasicConv2d(c7, c7, kernel: row, padding: rowPadding)
            branch7x7dbl_4 = try BasicConv2d(c7, c7, kernel: column, padding: columnPadding)
            branch7x7dbl_5 = try BasicConv2d(c7, 192, kernel: row, padding: rowPadding)
            branch_pool = try BasicConv2d(input, 192, kernel: 1)
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            var double = try branch7x7dbl_1(x)
            for conv in [branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5] { double = try conv(double) }
            return try Tensor.concat([
                try branch1x1(x),
                try branch7x7_3(try branch7x7_2(try branch7x7_1(x))),
                double,
                try branch_pool(try averagedInside(x)),
            ], axis: 1)
        }
    }

    /// The grid reduction from 17 to 8 (Mixed_7a).
    final class BlockD: Module {
        let branch3x3_1, branch3x3_2: BasicConv2d
        let branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4: BasicConv2d

        init(_ input: Int) throws {
            branch3x3_1 = try BasicConv2d(input, 192, kernel: 1)
            branch3x3_2 = try BasicConv2d(192, 320, kernel: 3, stride: 2)
            branch7x7x3_1 = try BasicConv2d(input, 192, kernel: 1)
            branch7x7x3_2 = try BasicConv2d(192, 192, kernel: Size2D(height: 1, width: 7), padding: Size2D(height: 0, width: 3))
            branch7x7x3_3 = try BasicConv2d(192, 192, kernel: Size2D(height: 7, width: 1), padding: Size2D(height: 3, width: 0))
            branch7x7x3_4 = try BasicConv2d(192, 192, kernel: 3, stride: 2)
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            try Tensor.concat([
                try branch3x3_2(try branch3x3_1(x)),
                try branch7x7x3_4(try branch7x7x3_3(try branch7x7x3_2(try branch7x7x3_1(x)))),
                try Variable(x).maxPool2d(kernel: 3, stride: 2).value,
            ], axis: 1)
        }
    }

    /// Expanded filter banks on the 8x8 grid (Mixed_7b averages its pooled branch, Mixed_7c
    /// takes its maximum: pytorch-fid's E_1 and E_2).
    final class BlockE: Module {
        let branch1x1: BasicConv2d
        let branch3x3_1, branch3x3_2a, branch3x3_2b: BasicConv2d
        let branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b: BasicConv2d
        let branch_pool: BasicConv2d
        let maximumPool: Bool

        init(_ input: Int, maximumPool: Bool) throws {
            let row = Size2D(height: 1, width: 3), column = Size2D(height: 3, width: 1)
            let rowPadding = Size2D(height: 0, width: 1), columnPadding = Size2D(height: 1, width: 0)
            branch1x1 = try BasicConv2d(input, 320, kernel: 1)
            branch3x3_1 = try BasicConv2d(input, 384, kernel: 1)
            branch3x3_2a = try BasicConv2d(384, 384, kernel: row, padding: rowPadding)
            branch3x3_2b = try BasicConv2d(384, 384, kernel: column, padding: columnPadding)
            branch3x3dbl_1 = try BasicConv2d(input, 448, kernel: 1)
            branch3x3dbl_2 = try BasicConv2d(448, 384, kernel: 3, padding: 1)
            branch3x3dbl_3a = try BasicConv2d(384, 384, kernel: row, padding: rowPadding)
            branch3x3dbl_3b = try BasicConv2d(384, 384, kernel: column, padding: columnPadding)
            branch_pool = try BasicConv2d(input, 192, kernel: 1)
            self.maximumPool = maximumPool
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            let single = try branch3x3_1(x)
            let double = try branch3x3dbl_2(try branch3x3dbl_1(x))
            let pooled = maximumPool ? try Variable(x).maxPool2d(kernel: 3, stride: 1, padding: 1).value : try averagedInside(x)
            return try Tensor.concat([
                try branch1x1(x),
                try branch3x3_2a(single), try branch3x3_2b(single),
                try branch3x3dbl_3a(double), try branch3x3dbl_3b(double),
                try branch_pool(pooled),
            ], axis: 1)
        }
    }

    let Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3: BasicConv2d
    let Mixed_5b, Mixed_5c, Mixed_5d: BlockA
    let Mixed_6a: BlockB
    let Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e: BlockC
    let Mixed_7a: BlockD
    let Mixed_7b, Mixed_7c: BlockE

    /// The side images are resized to.
    static let inputSize = 299
    static let featureCount = 2048

    /// The network with `weights`, by pytorch-fid's names (every one of them; nothing else).
    init(weights: [(path: String, tensor: Tensor)], source: String) throws {
        Conv2d_1a_3x3 = try BasicConv2d(3, 32, kernel: 3, stride: 2)
        Conv2d_2a_3x3 = try BasicConv2d(32, 32, kernel: 3)
        Conv2d_2b_3x3 = try BasicConv2d(32, 64, kernel: 3, padding: 1)
        Conv2d_3b_1x1 = try BasicConv2d(64, 80, kernel: 1)
        Conv2d_4a_3x3 = try BasicConv2d(80, 192, kernel: 3)
        Mixed_5b = try BlockA(192, poolFeatures: 32)
        Mixed_5c = try BlockA(256, poolFeatures: 64)
        Mixed_5d = try BlockA(288, poolFeatures: 64)
        Mixed_6a = try BlockB(288)
        Mixed_6b = try BlockC(768, channels7x7: 128)
        Mixed_6c = try BlockC(768, channels7x7: 160)
        Mixed_6d = try BlockC(768, channels7x7: 160)
        Mixed_6e = try BlockC(768, channels7x7: 192)
        Mixed_7a = try BlockD(768)
        Mixed_7b = try BlockE(1280, maximumPool: false)
        Mixed_7c = try BlockE(2048, maximumPool: true)
        super.init()
        try loadParameters(weights, from: source)
    }

    /// images [N, 1 or 3, H, W] in 0...1 -> features [N, 2048].
    func features(_ images: Tensor) throws -> Tensor {
        try GradientMode.withoutGradients {
            var x = try images.imageNetInput(side: Self.inputSize, network: "Inception-v3") * 2 - 1
            x = try Conv2d_2b_3x3(try Conv2d_2a_3x3(try Conv2d_1a_3x3(x)))
            x = try Variable(x).maxPool2d(kernel: 3, stride: 2).value
            x = try Conv2d_4a_3x3(try Conv2d_3b_1x1(x))
            x = try Variable(x).maxPool2d(kernel: 3, stride: 2).value
            for block in [Mixed_5b, Mixed_5c, Mixed_5d] { x = try block(x) }
            x = try Mixed_6a(x)
            for block in [Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e] { x = try block(x) }
            x = try Mixed_7c(try Mixed_7b(try Mixed_7a(x)))
            return try x.mean(axes: [2, 3])  // adaptive_avg_pool2d to 1x1, flattened
        }
    }
}

/// pytorch-fid's pooling branch: a 3x3 mean at stride 1 over the positions inside the image.
private func averagedInside(_ x: Tensor) throws -> Tensor {
    try Variable(x).avgPool2d(kernel: 3, stride: 1, padding: 1, countingPadding: false).value
}
