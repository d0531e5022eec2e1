import Foundation

/// Where an image's voxels lie in the patient: what NIfTI's qform and sform and DICOM's pixel
/// spacing, slice thickness, orientation and position say, in one form for both.
///
/// `affine` is NIfTI's: a 4x4 matrix taking voxel indices (i, j, k), i along the tensor's last
/// axis (x, fastest), j the second last and k the third last, to millimetres in RAS+ (right,
/// anterior, superior), as nibabel's `img.affine`. DICOM's LPS positions are turned into RAS
/// (x and y negated), as nibabel and dicom2nifti do. `spacing` is the voxel size along each of
/// the tensor's axes, slowest first ([z, y, x] for a volume, [y, x] for a slice).
public struct ImageGeometry: Sendable, Equatable {
    /// Voxel sizes in millimetres, in the tensor's axis order.
    public var spacing: [Double]
    /// Voxel indices (x, y, z, 1) to RAS+ millimetres; four rows of four.
    public var affine: [[Double]]
    /// Which part of the file gave the affine: "sform", "qform" or "pixdim" (NIfTI, the last
    /// nibabel's fallback from voxel sizes alone), or "dicom".
    public var source: String

    public init(spacing: [Double], affine: [[Double]], source: String) {
        self.spacing = spacing
        self.affine = affine
        self.source = source
    }

    /// The letters of the axes' directions, x then y then z (nibabel's `aff2axcodes`): each voxel
    /// axis named by the RAS direction its column of the affine points along most.
    public var orientation: String {
        (0..<3).map { column -> String in
            let direction = (0..<3).map { affine[$0][column] }
            guard let axis = direction.indices.max(by: { abs(direction[$0]) < abs(direction[$1]) }), direction[axis] != 0 else { return "?" }
            let letters = [("R", "L"), ("A", "P"), ("S", "I")][axis]
            return direction[axis] > 0 ? letters.0 : letters.1
        }.joined()
    }

    /// The same geometry after the voxels along tensor axis `axis` (of `rank`) were resampled
    /// from `count` to `newCount` samples spanning the same extent (pixel-area aligned): the
    /// spacing scales by count/newCount and the first voxel's centre moves by half the change
    /// of spacing, so that the image's edges stay where they were.
    public func resampled(axis: Int, rank: Int, from count: Int, to newCount: Int) -> ImageGeometry {
        var geometry = self
        let scale = Double(count) / Double(newCount)
        geometry.spacing[axis] *= scale
        let column = rank - 1 - axis
        guard column < 3 else { return geometry }
        for row in 0..<3 {
            let step = affine[row][column]
            geometry.affine[row][3] += step * (scale - 1) / 2
            geometry.affine[row][column] = step * scale
        }
        return geometry
    }

    /// The same geometry after cropping (or padding, with negative starts) that makes index
    /// `start` along tensor axis `axis` (of `rank`) the new first voxel.
    public func shifted(axis: Int, rank: Int, by start: Int) -> ImageGeometry {
        var geometry = self
        let column = rank - 1 - axis
        guard column < 3 else { return geometry }
        for row in 0..<3 { geometry.affine[row][3] += affine[row][column] * Double(start) }
        return geometry
    }
}
