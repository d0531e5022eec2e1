import Engine
import Foundation

/// A synthetic short-axis cardiac cine MRI generator: medsynth's embedded default data.
///
/// Subject k of a phantom is a pure function of (random, k, size): its anatomy comes from the
/// key `random.child("subject").item(k).child("anatomy")` and its noise from `….child("noise")`,
/// so subject 3 is the same whether it is drawn alone or as part of a batch of any length.
///
/// Geometry is in normalised coordinates (u, v) in [-1, 1]^2, sampled at pixel centres, so every
/// size from 32 to 256 draws the same anatomy at a different resolution. The image is in
/// radiological convention: the patient's right on the image left, anterior at the top.
///
/// | Element                | Shape                                                    | Intensity (± per-subject jitter) | Label |
/// |------------------------|----------------------------------------------------------|----------------------------------|-------|
/// | Air                    | outside the body                                         | 0 (noise only)                   | 0     |
/// | Subcutaneous fat       | outer shell of the body ellipse (per-subject axes)       | 0.80 ± 10 %, bright              | 0     |
/// | Chest wall muscle      | shell inside the fat                                     | 0.30 ± 10 %                      | 0     |
/// | Ribs                   | 5-7 small ellipses in the muscle along the anterior and lateral wall | cortex 0.10 ± 20 % (dark), marrow 0.62 ± 10 % (bright) | 0 |
/// | Mediastinum            | the thoracic cavity not filled by another organ          | 0.38 ± 10 %                      | 0     |
/// | Lungs                  | two ellipses, both sides of the heart, clipped to the cavity | 0.05 ± 20 %, darkest tissue  | 0     |
/// | Liver                  | ellipse at the cavity's lower image left (patient's right, under the dome) | 0.45 ± 10 %  | 0     |
/// | Vertebral body         | ellipse at the back of the cavity                        | rim (cortex) 0.75, marrow 0.50   | 0     |
/// | Descending aorta       | disc anterior to the spine on the image right (patient's left) | blood 0.88 ± 8 %           | 0     |
/// | LV blood pool          | ellipse, rotated per subject                             | blood 0.88 ± 8 %, bright         | 3     |
/// | LV myocardium          | ring around the LV; its area is kept over the cycle, so it thickens as the cavity shrinks | 0.24 ± 10 %, dark grey | 2 |
/// | RV blood pool          | crescent wrapping the LV on the image upper left (patient's anterior right) | blood          | 1     |
/// | RV free wall           | thin shell around the RV                                 | myocardium                       | 0     |
///
/// The cardiac phase runs from 0 (end-diastole) to 1 (end-systole): the LV cavity radius shrinks
/// by 32 % (an ejection fraction near 54 %) and the RV by 25 %. Each subject draws its phase
/// uniformly unless the caller fixes it.
///
/// The acquisition, in order:
/// 1. A coil bias field multiplies the image: b(u, v) = exp(c1 u + c2 v + c3 u^2 + c4 v^2 + c5 u v),
///    each c drawn in [-0.15, 0.15], a smooth low-order field in the log domain, always positive.
/// 2. The image is divided by max(1, its maximum), so the noiseless image lies in [0, 1].
/// 3. A Gaussian blur of sigma drawn in `blurSigma` pixels, separable, mirrored at the edges.
/// 4. Rician noise, the magnitude of a complex signal with Gaussian noise in both channels:
///    m = sqrt((x + n1)^2 + n2^2), n1 and n2 ~ N(0, `noiseSigma`). Where x = 0 (air) m is
///    Rayleigh distributed, with mean sigma sqrt(pi / 2) and E[m^2] = 2 sigma^2.
/// 5. Values above 1 are clipped to 1, so the image lies in [0, 1].
///
/// Labels cover the heart only (ACDC: 0 background, 1 RV, 2 myocardium, 3 LV) and are those of
/// the noiseless geometry at each pixel centre.
public struct Phantom: Sendable, Equatable {
    /// The sizes a phantom can have: square images of side 32 to 256.
    public static let sizes = 32...256

    /// The key every subject's key derives from.
    public let random: RandomKey
    /// The side of the square images, in pixels.
    public let size: Int
    /// The standard deviation of the Gaussian noise in each channel before the magnitude.
    public let noiseSigma: Float
    /// The range the blur's sigma, in pixels, is drawn from per subject.
    public let blurSigma: ClosedRange<Double>

    /// A phantom of `size` × `size` images whose subjects derive from the root key of `seed`.
    public init(seed: UInt64, size: Int, noiseSigma: Float = 0.03, blurSigma: ClosedRange<Double> = 0.5...1.0) throws {
        try self.init(random: RandomKey(seed: seed), size: size, noiseSigma: noiseSigma, blurSigma: blurSigma)
    }

    /// A phantom of `size` × `size` images whose subjects derive from `random`.
    public init(random: RandomKey, size: Int, noiseSigma: Float = 0.03, blurSigma: ClosedRange<Double> = 0.5...1.0) throws {
        guard Phantom.sizes.contains(size) else {
            throw TensorError("Phantom", "size must be in 32...256, got \(size)")
        }
        guard noiseSigma >= 0, noiseSigma.isFinite else {
            throw TensorError("Phantom", "noiseSigma must be a non-negative number, got \(noiseSigma)")
        }
        guard blurSigma.lowerBound >= 0, blurSigma.upperBound <= Double(size) else {
            throw TensorError("Phantom", "blurSigma must lie in 0...size (\(size)), got \(blurSigma)")
        }
        self.random = random
        self.size = size
        self.noiseSigma = noiseSigma
        self.blurSigma = blurSigma
    }

    /// Subjects `first ..< first + count`: images [count, 1, size, size] in [0, 1] and their
    /// labels [count, 1, size, size] with values 0 to 3. `phase` fixes every subject's cardiac
    /// phase (0 end-diastole, 1 end-systole); by default each subject draws its own.
    /// `cancellation` is checked before each subject; once it is set the function throws
    /// `CancellationError`.
    public func batch(
        count: Int, first: Int = 0, phase: Float? = nil, cancellation: CancellationFlag? = nil
    ) throws -> (images: Tensor, labels: Tensor) {
        guard count > 0, first >= 0 else {
            throw TensorError("Phantom", "needs count > 0 and first >= 0, got count \(count), first \(first)")
        }
        if let phase, !(0...1).contains(phase) {
            throw TensorError("Phantom", "phase must be in 0...1, got \(phase)")
        }
        let planeSize = size * size
        try Tensor.checkAllocation([count, 1, size, size], op: "phantom")
        var images = [Float](repeating: 0, count: count * planeSize)
        var labels = [Float](repeating: 0, count: count * planeSize)
        for k in 0..<count {
            try cancellation?.checkCancellation()
            let subject = self.subject(first + k, phase: phase)
            images.replaceSubrange(k * planeSize ..< (k + 1) * planeSize, with: subject.image)
            labels.replaceSubrange(k * planeSize ..< (k + 1) * planeSize, with: subject.labels)
        }
        return (try Tensor(shape: [count, 1, size, size], scalars: images),
                try Tensor(shape: [count, 1, size, size], scalars: labels))
    }

    /// The key of subject `index`'s draws of `part` ("anatomy" or "noise").
    private func stream(_ index: Int, _ part: String) -> RandomStream {
        random.child("subject").item(index).child(part).stream
    }

    /// One subject's image and labels, each size × size, row-major.
    func subject(_ index: Int, phase: Float?) -> (image: [Float], labels: [Float]) {
        var draws = PhantomDraws(stream(index, "anatomy"))
        let anatomy = PhantomAnatomy(draws: &draws, phase: phase)
        let bias = (0..<5).map { _ in draws.uniform(-0.15...0.15) }
        let sigma = Double(draws.uniform(Float(blurSigma.lowerBound)...Float(blurSigma.upperBound)))

        var image = [Double](repeating: 0, count: size * size)
        var labels = [Float](repeating: 0, count: size * size)
        for i in 0..<size {
            let v = (Float(i) + 0.5) / Float(size) * 2 - 1
            for j in 0..<size {
                let u = (Float(j) + 0.5) / Float(size) * 2 - 1
                let (value, label) = anatomy.sample(SIMD2(u, v))
                let field = expf(bias[0] * u + bias[1] * v + bias[2] * u * u + bias[3] * v * v + bias[4] * u * v)
                image[i * size + j] = Double(value * field)
                labels[i * size + j] = label
            }
        }
        let peak = Swift.max(1, image.max() ?? 1)
        if sigma > 0 {
            let kernel = FoldedKernel.gaussian(sigma: sigma)
            let columns = correlate1D(image, height: size, width: size, axis: 0, kernel: kernel, mode: .reflect)
            image = correlate1D(columns, height: size, width: size, axis: 1, kernel: kernel, mode: .reflect)
        }
        return (addRicianNoise(image, scale: 1 / peak, stream: stream(index, "noise")), labels)
    }

    /// sqrt((x + n1)^2 + n2^2) with n1, n2 ~ N(0, noiseSigma), clipped to 1. Pixel p takes the
    /// normals 2p and 2p + 1 of `stream`.
    private func addRicianNoise(_ image: [Double], scale: Double, stream: RandomStream) -> [Float] {
        var stream = stream
        let first = stream.reserveBlocks(forValues: 2 * image.count)
        var output = [Float](repeating: 0, count: image.count)
        for p in stride(from: 0, to: image.count, by: 2) {
            let n = stream.normals(block: first + UInt64(p / 2)) * noiseSigma
            for q in 0..<Swift.min(2, image.count - p) {
                let x = Float(image[p + q] * scale)
                let real = x + n[2 * q], imaginary = n[2 * q + 1]
                output[p + q] = Swift.min(1, (real * real + imaginary * imaginary).squareRoot())
            }
        }
        return output
    }
}
