import Foundation
import TestSupport
import XCTest
@testable import Formats

/// Where the voxels lie: NIfTI's sform, qform and fallback against nibabel's `img.affine`, and
/// DICOM's spacing, orientation and position against pydicom (fixtures made by
/// Fixtures/geometry/make_geometry_fixtures.py).
final class GeometryTests: XCTestCase {
    struct NIfTIExpectation: Decodable {
        let shape: [Int]
        let zooms: [Double]
        let affine: [[Double]]
        let qform_code: Int
        let sform_code: Int
    }

    struct DICOMExpectation: Decodable {
        let Rows: Int
        let Columns: Int
        let PixelSpacing: [Double]
        let SliceThickness: Double
        let ImageOrientationPatient: [Double]
        let ImagePositionPatient: [Double]
        let pixels: [[Double]]
    }

    func testNIfTIAffinesAndSpacingAgreeWithNibabel() throws {
        let expected = try JSONDecoder().decode(
            [String: NIfTIExpectation].self, from: Data(contentsOf: fixtureURL("geometry/geometry.json")))
        let sources = ["sform.nii.gz": "sform", "qform.nii.gz": "qform", "both.nii.gz": "sform", "none.nii.gz": "pixdim"]
        for (name, expectation) in expected.sorted(by: { $0.key < $1.key }) {
            let image = try NIfTIImage(reading: fixtureURL("geometry/" + name).path)
            XCTAssertEqual(image.voxels.shape, expectation.shape.reversed(), name)
            let geometry = try XCTUnwrap(image.geometry, "\(name): \(image.geometryProblem ?? "")")
            XCTAssertEqual(geometry.source, sources[name], name)
            for row in 0..<4 {
                for column in 0..<4 {
                    XCTAssertEqual(geometry.affine[row][column], expectation.affine[row][column], accuracy: 1e-6, "\(name) affine[\(row)][\(column)]")
                }
            }
            // The spacing is the voxel sizes (nibabel's zooms) in the tensor's order, z first.
            for (axis, zoom) in expectation.zooms.reversed().enumerated() {
                XCTAssertEqual(geometry.spacing[axis], zoom, accuracy: 1e-6, "\(name) spacing[\(axis)]")
            }
        }
        let qform = try XCTUnwrap(NIfTIImage(reading: fixtureURL("geometry/qform.nii.gz").path).geometry)
        XCTAssertEqual(qform.orientation, "LAS", "x flipped by qfac = -1, y and z rotated about x by 20 degrees")
    }

    /// pydicom's values of the tags, placed as the DICOM standard places them (PS3.3
    /// C.7.6.2.1.1) and turned from LPS to RAS.
    func testDICOMGeometryAgreesWithPydicom() throws {
        let expected = try JSONDecoder().decode(DICOMExpectation.self, from: Data(contentsOf: fixtureURL("geometry/geometry-dicom.json")))
        let image = try DICOMImage(reading: fixtureURL("geometry/geometry.dcm").path)
        XCTAssertEqual(image.pixels.shape, [1, expected.Rows, expected.Columns])
        XCTAssertEqual(image.pixels.scalars, expected.pixels.joined().map(Float.init))
        let geometry = try XCTUnwrap(image.geometry)
        XCTAssertEqual(geometry.spacing, [expected.SliceThickness, expected.PixelSpacing[0], expected.PixelSpacing[1]])
        let row = Array(expected.ImageOrientationPatient[0..<3]), column = Array(expected.ImageOrientationPatient[3..<6])
        let normal = [row[1] * column[2] - row[2] * column[1], row[2] * column[0] - row[0] * column[2], row[0] * column[1] - row[1] * column[0]]
        for axis in 0..<3 {
            let sign = axis < 2 ? -1.0 : 1.0
            XCTAssertEqual(geometry.affine[axis][0], sign * row[axis] * expected.PixelSpacing[1], accuracy: 1e-9)
            XCTAssertEqual(geometry.affine[axis][1], sign * column[axis] * expected.PixelSpacing[0], accuracy: 1e-9)
            XCTAssertEqual(geometry.affine[axis][2], sign * normal[axis] * expected.SliceThickness, accuracy: 1e-9)
            XCTAssertEqual(geometry.affine[axis][3], sign * expected.ImagePositionPatient[axis], accuracy: 1e-9)
        }
        // The centre of pixel (row 2, column 3) in LPS, by the standard's formula.
        let lps = (0..<3).map { expected.ImagePositionPatient[$0] + row[$0] * expected.PixelSpacing[1] * 3 + column[$0] * expected.PixelSpacing[0] * 2 }
        let ras = (0..<3).map { geometry.affine[$0][0] * 3 + geometry.affine[$0][1] * 2 + geometry.affine[$0][3] }
        XCTAssertEqual(ras[0], -lps[0], accuracy: 1e-9)
        XCTAssertEqual(ras[1], -lps[1], accuracy: 1e-9)
        XCTAssertEqual(ras[2], lps[2], accuracy: 1e-9)
    }

    func testResamplingAndShiftingMoveTheAffineWithTheVoxels() {
        let geometry = ImageGeometry(spacing: [2, 1], affine: [[1, 0, 0, 10], [0, 2, 0, 20], [0, 0, 1, 0], [0, 0, 0, 1]], source: "test")
        // 8 columns of 1 mm become 4 of 2 mm: the first centre moves half a new pixel minus half an old one.
        let coarse = geometry.resampled(axis: 1, rank: 2, from: 8, to: 4)
        XCTAssertEqual(coarse.spacing, [2, 2])
        XCTAssertEqual(coarse.affine[0], [2, 0, 0, 10.5])
        // The image's left edge stays at 9.5 mm.
        XCTAssertEqual(coarse.affine[0][3] - coarse.affine[0][0] / 2, geometry.affine[0][3] - geometry.affine[0][0] / 2)
        let cropped = geometry.shifted(axis: 0, rank: 2, by: 3)
        XCTAssertEqual(cropped.affine[1][3], 26)
    }

    /// A malformed geometry costs the geometry, never the pixels.
    func testAMalformedGeometryStillReadsTheVoxels() throws {
        var bytes = [UInt8](try Data(contentsOf: fixtureURL("geometry/geometry.dcm")))
        let spacing = Array("0.7\\0.8".utf8)
        let at = try XCTUnwrap(bytes.indices.first { Array(bytes[$0..<min($0 + spacing.count, bytes.count)]) == spacing })
        bytes.replaceSubrange(at..<at + spacing.count, with: Array("0.7\\abc".utf8))
        let image = try DICOMImage(decoding: bytes, file: "bad.dcm")
        XCTAssertNil(image.geometry)
        XCTAssertTrue(image.geometryProblem?.contains("is not a list of numbers") == true, String(describing: image.geometryProblem))
        XCTAssertEqual(image.pixels.shape, [1, 4, 5])
    }
}
