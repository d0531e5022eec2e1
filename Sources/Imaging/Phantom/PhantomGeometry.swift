import Engine
import Foundation

/// An ellipse in the phantom's normalised coordinates: u from -1 (image left) to +1 (image right),
/// v from -1 (image top) to +1 (image bottom), whatever the pixel size. `angle` turns the
/// ellipse's first axis from +u towards +v (clockwise on screen), in radians.
struct Ellipse: Sendable {
    var center: SIMD2<Float>
    var radii: SIMD2<Float>
    var angle: Float = 0

    /// (x / a)^2 + (y / b)^2 with (x, y) the point in the ellipse's own axes: below 1 inside.
    @inline(__always)
    func level(_ p: SIMD2<Float>) -> Float {
        let d = p - center
        let c = cosf(angle), s = sinf(angle)
        let x = (c * d.x + s * d.y) / radii.x
        let y = (-s * d.x + c * d.y) / radii.y
        return x * x + y * y
    }

    @inline(__always)
    func contains(_ p: SIMD2<Float>) -> Bool { level(p) < 1 }

    /// The same ellipse with both radii shrunk by `depth` (grown for a negative depth): a shell
    /// of roughly constant thickness lies between the two.
    func inset(by depth: Float) -> Ellipse {
        Ellipse(center: center, radii: radii - SIMD2(repeating: depth), angle: angle)
    }
}

/// The phantom's per-subject random numbers: uniform values in [0, 1) read one by one from a
/// `RandomStream`, four to a Philox block.
struct PhantomDraws {
    private var stream: RandomStream
    private var values = SIMD4<Float>()
    private var next = 4

    init(_ stream: RandomStream) { self.stream = stream }

    /// The next uniform value in [0, 1).
    mutating func uniform() -> Float {
        if next == 4 {
            values = stream.uniforms(block: stream.reserveBlocks(forValues: 4))
            next = 0
        }
        defer { next += 1 }
        return values[next]
    }

    /// A uniform value in `range`.
    mutating func uniform(_ range: ClosedRange<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// `value` jittered by a uniform relative amount up to ±`fraction`.
    mutating func jitter(_ value: Float, by fraction: Float) -> Float {
        value * (1 + uniform(-fraction...fraction))
    }

    /// A point jittered by up to ±`amount` along each axis.
    mutating func jitter(_ point: SIMD2<Float>, by amount: Float) -> SIMD2<Float> {
        point + SIMD2(uniform(-amount...amount), uniform(-amount...amount))
    }
}
