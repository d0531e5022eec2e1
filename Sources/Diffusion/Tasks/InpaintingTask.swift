import Engine
import Foundation

/// Inpainting as conditional generation (Med-cDiff, Hung et al. 2023): part of the image is
/// hidden and the model generates the whole image from the rest.
///
/// A mask is 1 on the hidden pixels and 0 on the known ones. The masks are random but each is a
/// pure function of (random, sample index), drawn from the key `random.child("mask").item(i)`. Shapes are
/// added until the hidden fraction reaches `coverage`, and painting stops at the pixel row
/// (rectangle) or brush dab (stroke) that reaches it, so the fraction exceeds `coverage` by less
/// than one row or dab:
///
/// - rectangles: sides uniform in S/8 ... S/2, placed uniformly inside the image;
/// - strokes: free-form brush strokes as in Yu et al. 2019 (gated convolution, "free-form
///   masks"): 2 to 6 straight segments of random direction and length S/8 ... S/3 from a random
///   start, painted with a round brush of radius S/32 ... S/12.
public struct InpaintingTask: Sendable {
    /// The kinds of shape the masks are made of.
    public enum MaskShapes: Sendable, Equatable {
        /// Axis-aligned rectangles only.
        case rectangles
        /// Free-form brush strokes only.
        case strokes
        /// Each shape a rectangle or a stroke with equal chances.
        case mixed
    }

    /// The fraction of pixels to hide, in [0, 1].
    public let coverage: Double
    /// The kinds of shape the masks are made of.
    public let shapes: MaskShapes
    /// The value hidden pixels take in the masked image (0: mid-grey in [-1, 1]).
    public let fillValue: Float
    /// The key every sample's mask derives from.
    public let random: RandomKey

    /// Refuses a coverage outside [0, 1].
    public init(coverage: Double, shapes: MaskShapes = .mixed, fillValue: Float = 0, random: RandomKey) throws {
        guard (0...1).contains(coverage) else {
            throw TensorError("InpaintingTask", "the coverage must be in [0, 1], got \(coverage)")
        }
        self.coverage = coverage
        self.shapes = shapes
        self.fillValue = fillValue
        self.random = random
    }

    /// Masks [count, 1, size, size] for samples firstSample ..< firstSample + count.
    /// `cancellation` is checked before each shape is painted; once it is set the function
    /// throws `CancellationError`.
    public func masks(count: Int, size: Int, firstSample: Int = 0, cancellation: CancellationFlag? = nil) throws -> Tensor {
        guard count > 0, size >= 8 else {
            throw TensorError("InpaintingTask", "needs at least one mask of side at least 8, got \(count) of side \(size)")
        }
        try Tensor.checkAllocation([count, 1, size, size], op: "holes")
        var values = [Float](repeating: 0, count: count * size * size)
        for k in 0..<count {
            var random = SampleRandomness(random.child("mask").item(firstSample + k))
            var canvas = MaskCanvas(size: size, target: Int((coverage * Double(size * size)).rounded()))
            while !canvas.isFull {
                try cancellation?.checkCancellation()
                let rectangle = switch shapes {
                case .rectangles: true
                case .strokes: false
                case .mixed: random.uniform() < 0.5
                }
                if rectangle { canvas.paintRectangle(&random) } else { canvas.paintStroke(&random) }
            }
            values.replaceSubrange(k * size * size ..< (k + 1) * size * size, with: canvas.pixels)
        }
        return try Tensor(shape: [count, 1, size, size], scalars: values)
    }

    /// The masked images (hidden pixels set to `fillValue`) [N, 1, S, S], their masks [N, 1, S, S],
    /// and the condition, both stacked [N, 2, S, S] (masked image, then mask).
    public func degrade(_ images: Tensor, firstSample: Int = 0) throws -> (masked: Tensor, mask: Tensor, condition: Tensor) {
        let (count, height, width) = try singleChannelPlanes(images, op: "InpaintingTask")
        guard height == width else { throw TensorError("InpaintingTask", "expects square images, got \(height) x \(width)") }
        let mask = try masks(count: count, size: height, firstSample: firstSample)
        let masked = try images * (1 - mask) + mask * fillValue
        return (masked, mask, try Tensor.concat([masked, mask], axis: 1))
    }

    /// The classical baseline: every hidden pixel set to the mean of the image's known pixels.
    public static func baseline(_ masked: Tensor, mask: Tensor) throws -> Tensor {
        let (count, height, width) = try singleChannelPlanes(masked, op: "InpaintingTask.baseline")
        guard mask.shape == masked.shape else {
            throw TensorError("InpaintingTask.baseline", "the mask \(describeShape(mask.shape)) and the image \(describeShape(masked.shape)) differ in shape")
        }
        let plane = height * width
        var output = masked
        output.withUnsafeMutableBufferPointer { x in
            mask.withUnsafeBufferPointer { m in
                for k in 0..<count {
                    let pixels = k * plane ..< (k + 1) * plane
                    var sum = 0.0, known = 0
                    for i in pixels where m[i] == 0 { sum += Double(x[i]); known += 1 }
                    let mean = Float(known > 0 ? sum / Double(known) : 0)
                    for i in pixels where m[i] != 0 { x[i] = mean }
                }
            }
        }
        return output
    }
}

/// One mask being painted until `target` pixels are hidden.
private struct MaskCanvas {
    let size: Int
    let target: Int
    var pixels: [Float]
    var hidden = 0

    init(size: Int, target: Int) {
        self.size = size
        self.target = target
        pixels = Array(repeating: 0, count: size * size)
    }

    var isFull: Bool { hidden >= target }

    mutating func hide(_ y: Int, _ x: Int) {
        guard (0..<size).contains(y), (0..<size).contains(x), pixels[y * size + x] == 0 else { return }
        pixels[y * size + x] = 1
        hidden += 1
    }

    /// A rectangle, row by row, stopping after the row that fills the mask.
    mutating func paintRectangle(_ random: inout SampleRandomness) {
        let sides = size / 8 ... size / 2
        let height = random.integer(sides), width = random.integer(sides)
        let top = random.integer(0 ... size - height), left = random.integer(0 ... size - width)
        for y in top ..< top + height where !isFull {
            for x in left ..< left + width { hide(y, x) }
        }
    }

    /// A free-form stroke, dab by dab (a disc every pixel along each segment), stopping after the
    /// dab that fills the mask.
    mutating func paintStroke(_ random: inout SampleRandomness) {
        let radius = random.integer(Swift.max(1, size / 32) ... Swift.max(2, size / 12))
        var y = random.uniform(0 ... Float(size - 1)), x = random.uniform(0 ... Float(size - 1))
        for _ in 0 ..< random.integer(2 ... 6) {
            let angle = random.uniform(0 ... 2 * Float.pi)
            let length = random.integer(size / 8 ... size / 3)
            for _ in 0 ..< length where !isFull {
                dab(y, x, radius)
                // Move one pixel along the segment, clamped to the image.
                y = Swift.min(Swift.max(y + sinf(angle), 0), Float(size - 1))
                x = Swift.min(Swift.max(x + cosf(angle), 0), Float(size - 1))
            }
        }
    }

    /// A disc of `radius` around (y, x).
    mutating func dab(_ y: Float, _ x: Float, _ radius: Int) {
        let cy = Int(y.rounded()), cx = Int(x.rounded())
        for dy in -radius ... radius {
            for dx in -radius ... radius where dy * dy + dx * dx <= radius * radius { hide(cy + dy, cx + dx) }
        }
    }
}
