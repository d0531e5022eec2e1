/// A pair of extents along an image's height and width: a kernel size, a stride or a padding.
///
/// An integer literal means the same value along both axes, so `stride: 2` and
/// `Size2D(height: 2, width: 2)` are the same thing.
public struct Size2D: Equatable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// The same extent along both axes.
    public init(_ both: Int) {
        self.init(height: both, width: both)
    }

    public init(integerLiteral value: Int) {
        self.init(value)
    }

    public var description: String { height == width ? "\(height)" : "(\(height), \(width))" }
}

/// Where the windows of a 2-D convolution or pooling fall on an image plane.
///
/// A kernel of kh x kw values slides over the plane, zero-padded (or, for max pooling,
/// -inf-padded) by `padding` on each side, in steps of `stride`. Output position (oh, ow) covers
/// the input rows and columns
///
///     ih = oh * stride.height - padding.height + ki,   ki in 0..<kh
///     iw = ow * stride.width  - padding.width  + kj,   kj in 0..<kw
///
/// and there are (H + 2 padding - k) / stride + 1 positions along each axis (PyTorch's formula,
/// without dilation or ceil mode). Convolution and pooling share this geometry.
struct SlidingWindow: Equatable {
    /// The input plane.
    let height: Int, width: Int
    let kernel: Size2D, stride: Size2D, padding: Size2D

    /// The output plane.
    var outputHeight: Int { (height + 2 * padding.height - kernel.height) / stride.height + 1 }
    var outputWidth: Int { (width + 2 * padding.width - kernel.width) / stride.width + 1 }

    /// Checks that the kernel fits the padded plane; `op` and `shape` name the caller in errors.
    init(op: String, shape: [Int], height: Int, width: Int, kernel: Size2D, stride: Size2D, padding: Size2D) throws {
        guard height > 0, width > 0 else {
            throw TensorError(op, "input \(describeShape(shape)) has an empty image plane")
        }
        guard kernel.height > 0, kernel.width > 0 else {
            throw TensorError(op, "kernel size must be positive, got \(kernel)")
        }
        guard stride.height > 0, stride.width > 0 else {
            throw TensorError(op, "stride must be positive, got \(stride)")
        }
        guard padding.height >= 0, padding.width >= 0 else {
            throw TensorError(op, "padding must be non-negative, got \(padding)")
        }
        // Positions are counted in Int32 (pooling remembers them) and sizes must not overflow.
        let limit = Int(Int32.max)
        guard height <= limit / width, padding.height <= limit / 4, padding.width <= limit / 4,
              kernel.height <= limit, kernel.width <= limit else {
            throw TensorError(op, "input \(describeShape(shape)) with kernel \(kernel) and padding \(padding) is too large: "
                + "an image plane may hold at most 2^31 - 1 positions")
        }
        guard height + 2 * padding.height >= kernel.height, width + 2 * padding.width >= kernel.width else {
            throw TensorError(op, "a \(kernel.height)x\(kernel.width) kernel does not fit input \(describeShape(shape)) "
                + "padded by \(padding)")
        }
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    /// The output rows oh whose input row oh * stride - padding + ki lies inside the plane:
    /// every other row of the output sees padding there.
    func outputRows(kernelRow ki: Int) -> Range<Int> {
        Self.insideRange(offset: ki - padding.height, stride: stride.height, input: height, output: outputHeight)
    }

    /// The output columns ow whose input column ow * stride - padding + kj lies inside the plane.
    func outputColumns(kernelColumn kj: Int) -> Range<Int> {
        Self.insideRange(offset: kj - padding.width, stride: stride.width, input: width, output: outputWidth)
    }

    /// The o in 0..<output with 0 <= o * stride + offset < input.
    private static func insideRange(offset: Int, stride: Int, input: Int, output: Int) -> Range<Int> {
        // First o with o * stride + offset >= 0, i.e. ceil(-offset / stride) for negative offsets.
        let first = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        // Last o with o * stride + offset <= input - 1.
        let last = input - 1 - offset < 0 ? -1 : (input - 1 - offset) / stride
        let lower = Swift.min(first, output), upper = Swift.min(last + 1, output)
        return lower ..< Swift.max(lower, upper)
    }
}
