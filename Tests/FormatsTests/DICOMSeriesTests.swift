import Foundation
import XCTest
@testable import Engine
@testable import Formats

/// A synthetic CT series (Fixtures/dicom-series, written by make_dicom_fixtures_gdcm.py with pydicom):
/// oblique, files named at random, Instance Numbers reversed, Slice Thickness 3.0 where the slices
/// are 2.5 mm apart, per-slice rescales, RLE and implicit VR slices among explicit ones.
final class DICOMSeriesTests: XCTestCase {
    private struct Expected: Decodable {
        let shape: [Int]
        let values: [Double]
        let spacing: [Double]
        let affine: [[Double]]
        let orientation: String
        let seriesInstanceUID: String
        let secondSeriesInstanceUID: String
        let files: [String]
    }

    private func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("dicom-series.json"))))
    }

    func testAShuffledSeriesLoadsSortedAlongItsNormalWithSpacingFromPositions() throws {
        let expected = try expected()
        let series = try DICOMSeries(folder: fixture("dicom-series/shuffled"))
        XCTAssertEqual(series.volume.shape, expected.shape)
        XCTAssertEqual(series.volume.scalars, expected.values.map(Float.init))
        XCTAssertEqual(series.files.map { ($0 as NSString).lastPathComponent }, expected.files, "files in position order")
        for (axis, spacing) in expected.spacing.enumerated() {
            XCTAssertEqual(series.geometry.spacing[axis], spacing, accuracy: 1e-4, "spacing[\(axis)]: from positions, not Slice Thickness")
        }
        for row in 0..<4 {
            for column in 0..<4 {
                XCTAssertEqual(series.geometry.affine[row][column], expected.affine[row][column], accuracy: 1e-4, "affine[\(row)][\(column)]")
            }
        }
        XCTAssertEqual(series.geometry.orientation, expected.orientation)
        XCTAssertEqual(series.seriesInstanceUID, expected.seriesInstanceUID)
        XCTAssertEqual(series.modality, "CT")
        XCTAssertEqual(series.transferSyntaxes.count, 3, "\(series.transferSyntaxes)")
        XCTAssertEqual(series.windows, [DICOMImage.Window(center: 40, width: 400)])
        XCTAssertNil(series.note)
    }

    func testAMissingSliceIsAGapNamedByItsNeighbours() throws {
        let expected = try expected()
        assertFormatError(mentions: [expected.files[2], expected.files[4], "5 mm apart", "2.5 mm", "1 slice were missing"]) {
            try DICOMSeries(folder: fixture("dicom-series/gap"))
        }
    }

    func testSeveralSeriesAreListedAndOneIsChosenByUIDOrNumber() throws {
        let expected = try expected()
        assertFormatError(mentions: ["holds 2 series", "series=", expected.seriesInstanceUID, expected.secondSeriesInstanceUID, "#9", "(7 files)"]) {
            try DICOMSeries(folder: fixture("dicom-series/two"))
        }
        XCTAssertEqual(try DICOMSeries(folder: fixture("dicom-series/two"), series: expected.seriesInstanceUID).volume.shape, [7, 12, 10])
        let scout = try DICOMSeries(folder: fixture("dicom-series/two"), series: "9")
        XCTAssertEqual(scout.volume.shape, [2, 12, 10])
        XCTAssertEqual(scout.seriesDescription, "scout")
        assertFormatError(mentions: ["no series \"7\""]) { try DICOMSeries(folder: fixture("dicom-series/two"), series: "7") }
    }

    func testEveryFileAndFolderLookedAtIsReported() throws {
        var visited: [String] = []
        _ = try DICOMSeries(folder: fixture("dicom-series/shuffled")) { _ in nil } visited: { visited.append($0) }
        XCTAssertEqual(visited.count, 8, "the folder and its 7 files: \(visited)")
        assertFormatError(mentions: ["not today"]) {
            try DICOMSeries(folder: fixture("dicom-series/shuffled"), allowed: { _ in "not today" })
        }
    }

    /// A synthetic enhanced CT (Fixtures/dicom-enhanced): 5 frames whose Plane Positions (per-frame
    /// functional groups) are shuffled against the frame order, orientation, pixel spacing and
    /// rescale only in the shared groups. The frames come sorted along the normal, the spacing from
    /// the positions; a folder holding only this file reads as the same volume.
    func testAnEnhancedMultiFrameImageLoadsLikeASeries() throws {
        struct Enhanced: Decodable { let shape: [Int]; let values: [Double]; let spacing: [Double]; let affine: [[Double]] }
        let expected = try JSONDecoder().decode(Enhanced.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("dicom-enhanced.json"))))
        let image = try DICOMImage(reading: fixture("dicom-enhanced/enhanced-ct.dcm"))
        XCTAssertEqual(image.pixels.shape, expected.shape)
        XCTAssertEqual(image.pixels.scalars, expected.values.map(Float.init), "frames sorted, rescale from the shared groups")
        XCTAssertEqual(image.rescaleIntercept, -1024)
        XCTAssertNil(image.geometryProblem)
        let geometry = try XCTUnwrap(image.geometry)
        for axis in 0..<3 { XCTAssertEqual(geometry.spacing[axis], expected.spacing[axis], accuracy: 1e-4) }
        for row in 0..<4 {
            for column in 0..<4 {
                XCTAssertEqual(geometry.affine[row][column], expected.affine[row][column], accuracy: 1e-4, "affine[\(row)][\(column)]")
            }
        }
        let series = try DICOMSeries(folder: fixture("dicom-enhanced"))
        XCTAssertEqual(series.volume, image.pixels)
        XCTAssertEqual(series.geometry, geometry)
    }

    /// A DICOM file of the folder that cannot be read is named, not passed over (which would look
    /// like a missing slice).
    func testADamagedSliceIsNamedNotSkipped() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-series-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: fixture("dicom-series/shuffled")), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let victim = folder.appendingPathComponent(try expected().files[3])
        try Data(Array(repeating: 0, count: 128) + Array("DICM".utf8) + Array(repeating: 0xFF, count: 64)).write(to: victim)
        assertFormatError(mentions: [victim.lastPathComponent]) { try DICOMSeries(folder: folder.path) }
    }

    /// Messages about absurd positions are written, not trapped on.
    func testAbsurdPositionsGiveAMessage() throws {
        let plane = SlicePlane(orientation: [1, 0, 0, 0, 1, 0], pixelSpacing: [1, 1])
        let slices = [0, 1, 1e300].map { SliceStack.Slice(position: [0, 0, $0], instanceNumber: nil, label: "z\($0)") }
        XCTAssertThrowsError(try SliceStack(slices, plane: plane, fallbackSpacing: 1, what: "slices")) {
            XCTAssertTrue("\($0)".contains("1e+300"), "\($0)")
        }
    }

    /// pydicom's expansion of a segmented palette: discrete values, then a linear ramp from the last
    /// one (numpy's linspace, rounded half to even), then an indirect copy of the first segment.
    func testSegmentedPalettesExpandAsPydicomExpandsThem() throws {
        let data = [0, 3, 10, 20, 30, 1, 4, 50, 2, 1, 0, 0]
        let lut = try DICOMPalette.expandSegmented(data[...], file: "p.dcm")
        // linspace(30 + 5, 50, 4) = 35, 40, 45, 50; the indirect segment repeats segment 0.
        XCTAssertEqual(lut, [10, 20, 30, 35, 40, 45, 50, 10, 20, 30])
        XCTAssertThrowsError(try DICOMPalette.expandSegmented([0, 70000][...], file: "p.dcm"))
        XCTAssertThrowsError(try DICOMPalette.expandSegmented([1, 3, 9][...], file: "p.dcm"), "a linear segment first")
    }

    /// The stack checks, on slices without files.
    func testTheStackRefusesDuplicatesAndShearAndFallsBackToInstanceNumbers() throws {
        let plane = SlicePlane(orientation: [1, 0, 0, 0, 1, 0], pixelSpacing: [1, 1])
        func slice(_ z: Double, x: Double = 0, number: Double? = nil) -> SliceStack.Slice {
            SliceStack.Slice(position: [x, 0, z], instanceNumber: number, label: "z\(z)")
        }
        XCTAssertThrowsError(try SliceStack([slice(0), slice(2), slice(2)], plane: plane, fallbackSpacing: 1, what: "slices")) {
            XCTAssertTrue("\($0)".contains("same position"), "\($0)")
        }
        XCTAssertThrowsError(try SliceStack([slice(0), slice(2), slice(4, x: 1)], plane: plane, fallbackSpacing: 1, what: "slices")) {
            XCTAssertTrue("\($0)".contains("sheared"), "\($0)")
        }
        let stack = try SliceStack([slice(4), slice(0), slice(2)], plane: plane, fallbackSpacing: 1, what: "slices")
        XCTAssertEqual(stack.order, [1, 2, 0])
        XCTAssertEqual(stack.spacing, 2)
        let numbered = try SliceStack([3.0, 1, 2].map { (number: Double) in SliceStack.Slice(position: nil, instanceNumber: number, label: "n\(Int(number))") },
                                      plane: plane, fallbackSpacing: 1.5, what: "slices")
        XCTAssertEqual(numbered.order, [1, 2, 0])
        XCTAssertEqual(numbered.spacing, 1.5)
        XCTAssertNotNil(numbered.note)
    }
}
