import Engine
import Foundation
import XCTest
@testable import Language

/// scan, resample, crop and pad in the language: the geometry kept true through each.
final class GeometryVerbTests: XCTestCase {
    /// The NIfTI and DICOM fixtures of FormatsTests (made with nibabel and pydicom).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FormatsTests/Fixtures/geometry").path

    func session() -> Session {
        let context = RuntimeContext(outputDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-geo-\(UUID().uuidString)").path) { _ in }
        context.baseDirectory = Self.fixtures
        return Session(context: context)
    }

    func run(_ text: String, in session: Session) throws {
        let report = session.run(text, name: "t")
        if let diagnostic = report.diagnostic { XCTFail("\(diagnostic)"); throw diagnostic }
    }

    func record(_ name: String, in session: Session) throws -> Record {
        guard case .record(let record) = session.interpreter.globals[name] else { XCTFail("\(name) is not a record"); throw CancellationError() }
        return record
    }

    func tensor(_ value: Value?) throws -> Tensor {
        guard case .tensor(let tensor) = value else { XCTFail("not a tensor: \(String(describing: value))"); throw CancellationError() }
        return tensor
    }

    func numbers(_ value: Value?) -> [Double] {
        guard case .list(let items) = value else { return [] }
        return items.compactMap { if case .number(let x) = $0 { return x } else { return nil } }
    }

    /// The RAS position of voxel (x, y, z) under a scan's affine.
    func position(_ record: Record, _ voxel: [Double]) throws -> [Double] {
        let affine = try tensor(record["affine"]).scalars.map(Double.init)
        var result = [0.0, 0.0, 0.0]
        for row in 0..<3 {
            var sum = affine[row * 4 + 3]
            for column in 0..<3 { sum += affine[row * 4 + column] * voxel[column] }
            result[row] = sum
        }
        return result
    }

    /// A folder of DICOM files is one series (FormatsTests' synthetic one: 7 oblique slices 2.5 mm
    /// apart, shuffled on disk): scan gives the sorted volume with its spacing and orientation,
    /// load the volume alone, series= picks one of two, and every file read is noted for the cache.
    func testScanAndLoadReadAFolderAsOneSortedSeries() throws {
        let session = session()
        try run("""
            s = scan "../dicom-series/shuffled"
            v = load "../dicom-series/shuffled"
            t = scan "../dicom-series/two" series="9"
            """, in: session)
        let scan = try record("s", in: session)
        XCTAssertEqual(try tensor(scan["image"]).shape, [7, 12, 10])
        XCTAssertEqual(try tensor(session.interpreter.globals["v"]), try tensor(scan["image"]))
        let spacing = numbers(scan["spacing"])
        XCTAssertEqual(spacing.count, 3)
        XCTAssertEqual(spacing[0], 2.5, accuracy: 1e-4, "from the positions, not Slice Thickness (3.0)")
        XCTAssertEqual(spacing[1], 0.7, accuracy: 1e-6)
        XCTAssertEqual(spacing[2], 0.9, accuracy: 1e-6)
        func text(_ value: Value?) -> String? { if case .string(let text)? = value { return text } else { return nil } }
        XCTAssertEqual(text(scan["orientation"]), "LIP")
        XCTAssertEqual(text(scan["geometry"]), "dicom")
        XCTAssertEqual(text(scan["modality"]), "CT")
        XCTAssertEqual(numbers(.list([scan["files"] ?? .nothing])), [7])
        XCTAssertEqual(numbers(scan["window"]), [40, 400])
        XCTAssertEqual(try tensor(try record("t", in: session)["image"]).shape, [2, 12, 10])
        XCTAssertTrue(session.context.filesRead.filter { $0.contains("dicom-series/shuffled") }.count >= 8, "\(session.context.filesRead)")

        let report = session.run("u = scan \"../dicom-series/two\"", name: "u")
        XCTAssertTrue(report.diagnostic.map { "\($0)".contains("holds 2 series") } ?? false, String(describing: report.diagnostic))
    }

    func testScanKeepsNibabelsAffineAndResampleKeepsTheImagesExtent() throws {
        let session = session()
        try run("s = scan \"qform.nii.gz\"\nr = resample s spacing=[0.75, 0.5]", in: session)
        let s = try record("s", in: session), r = try record("r", in: session)
        XCTAssertEqual(numbers(s["spacing"]), [3, 1.5, 1.25])
        XCTAssertEqual(s["orientation"]?.inlineText, "\"LAS\"")
        XCTAssertEqual(s["geometry"]?.inlineText, "\"qform\"")
        // nibabel's img.affine for this file (geometry.json).
        let expected: [Float] = [-1.25, 0, 0, 5, 0, 1.4095389, -1.0260605, -6, 0, 0.5130302, 2.8190779, 7, 0, 0, 0, 1]
        for (a, b) in zip(try tensor(s["affine"]).scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // 4 rows of 1.5 mm become round(4 * 1.5 / 0.75) = 8 of 0.75; 5 columns of 1.25 become
        // round(12.5) = 13 of 6.25 / 13 mm.
        XCTAssertEqual(try tensor(r["image"]).shape, [3, 8, 13])
        XCTAssertEqual(numbers(r["spacing"])[2], 6.25 / 13, accuracy: 1e-12)
        // The outer corners of the first and last voxels stay where they were in the patient.
        for (before, after) in [([-0.5, -0.5, 0.0], [-0.5, -0.5, 0.0]), ([4.5, 3.5, 2.0], [12.5, 7.5, 2.0])] {
            for (a, b) in zip(try position(s, before), try position(r, after)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testResampleTakesATensorWithItsSpacingAndLabelsStayLabels() throws {
        let session = session()
        try run("""
            x = resample (reshape (linspace 0 15 count=16) [4, 4]) spacing=[2, 2] from=[1, 1]
            labels = resample (reshape (linspace 0 3 count=16) [4, 4]) spacing=[0.5, 0.5] from=[1, 1] method=nearest
            """, in: session)
        // 2x2 blocks averaged at their centres: (0 + 1 + 4 + 5) / 4 = 2.5, and so on.
        XCTAssertEqual(try tensor(session.interpreter.globals["x"]).scalars, [2.5, 4.5, 10.5, 12.5])
        let labels = try tensor(session.interpreter.globals["labels"])
        XCTAssertEqual(labels.shape, [8, 8])
        try run("source = reshape (linspace 0 3 count=16) [4, 4]", in: session)
        let allowed = Set(try tensor(session.interpreter.globals["source"]).scalars)
        XCTAssertTrue(labels.scalars.allSatisfy { allowed.contains($0) }, "nearest keeps the values as they were")
        let failures: [(String, String)] = [
            ("resample (zeros [4, 4]) spacing=[2, 2]", "does not know its voxel size"),
            ("resample (zeros [4, 4]) spacing=[2, 2] from=[1]", "from= has 1 sizes but spacing= 2"),
            ("resample (zeros [4, 4]) spacing=[0, 2] from=[1, 1]", "holds sizes above 0"),
            ("resample (scan \"qform.nii.gz\") spacing=[1, 1] from=[1, 1]", "a scan knows its own spacing"),
            ("resample (zeros [4, 4]) spacing=[1e-9, 1e-9] from=[1, 1]", "would be 4000000000 voxels along one axis"),
            ("resample (zeros [4, 4]) spacing=[1e-5, 1e-5] from=[1, 1]", "memory"),
        ]
        for (statement, message) in failures {
            let report = session.run("y = \(statement)", name: "bad")
            XCTAssertTrue(report.diagnostic?.description.contains(message) == true, "\(statement): \(String(describing: report.diagnostic))")
        }
    }

    /// Each sample's window is centred on its own mask's bounding box: rows 10...19 and columns
    /// 30...39 of 64 put a 16-pixel window at 7 and 27 (centred at 14.5 and 34.5).
    func testCropAroundEachSamplesMask() throws {
        let session = session()
        try run("""
            image = reshape (linspace 0 8191 count=8192) [2, 1, 64, 64]
            mask = zeros [2, 1, 64, 64]
            """, in: session)
        var mask = [Float](repeating: 0, count: 8192)
        for row in 10...19 { for column in 30...39 { mask[row * 64 + column] = 1 } }
        mask[4096 + 0] = 1  // the second sample: one pixel at the top-left corner
        session.interpreter.define("mask", .tensor(try Tensor(shape: [2, 1, 64, 64], scalars: mask)))
        try run("c = crop image size=[16, 16] around=mask\nk = crop image size=[16, 16]\np = pad image size=[70, 60]", in: session)
        let c = try tensor(session.interpreter.globals["c"])
        XCTAssertEqual(c.shape, [2, 1, 16, 16])
        XCTAssertEqual(c.scalars[0], Float(7 * 64 + 27), "the first sample's window starts at row 7, column 27")
        // The second: centre (0, 0) gives a window starting at 24 + floor(0 - 31.5) = -8 (padding).
        XCTAssertEqual(c.scalars[256 + 8 * 16 + 8], 4096, "the corner pixel lands at (8, 8)")
        XCTAssertEqual(c.scalars[256], 0, "padding")
        XCTAssertEqual(try tensor(session.interpreter.globals["k"]).scalars[0], Float(24 * 64 + 24))
        XCTAssertEqual(try tensor(session.interpreter.globals["p"]).shape, [2, 1, 70, 64], "pad never crops")
    }

    /// A scan is cropped as one image around its label's box over every slice, and its affine
    /// follows: the new first voxel lies where the old voxel at the window's start lay.
    func testCroppingAScanMovesItsAffine() throws {
        let session = session()
        try run("s = scan \"sform.nii.gz\"\nc = crop s size=[2, 2] around=(s.image > 50)", in: session)
        let s = try record("s", in: session), c = try record("c", in: session)
        let image = try tensor(s["image"])
        XCTAssertEqual(image.shape, [3, 4, 5])
        let cropped = try tensor(c["image"])
        XCTAssertEqual(cropped.shape, [3, 2, 2])
        // The value at (x, y, z) is 12 x + 3 y + z: those above 50 are at x = 4, y 1...3, so the
        // box's centre is y 2, x 4.
        let start = [image.shape[1], image.shape[2]].enumerated().map { axis, extent -> Int in
            let centre = [2.0, 4.0][axis]
            return (extent - 2) / 2 + Int((centre - Double(extent - 1) / 2).rounded(.down))
        }
        XCTAssertEqual(cropped.scalars[0], image.scalars[start[0] * 5 + start[1]])
        for (a, b) in zip(try position(c, [0, 0, 0]), try position(s, [Double(start[1]), Double(start[0]), 0])) {
            XCTAssertEqual(a, b, accuracy: 1e-5)
        }
    }

    /// A scan saved as NIfTI keeps its affine (as an sform) and spacing: read back, it is the
    /// same geometry; one that had only voxel sizes stays so.
    func testASavedScanReadsBackWithItsGeometry() throws {
        let session = session()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-geo-save-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (name, source) in [("qform.nii.gz", "sform"), ("sform.nii.gz", "sform"), ("none.nii.gz", "pixdim")] {
            try run("""
                s = scan "\(name)"
                c = crop (resample s spacing=[1, 1]) size=[3, 3]
                saved = save c "\(out)/\(name)"
                t = scan saved
                """, in: session)
            let c = try record("c", in: session), t = try record("t", in: session)
            XCTAssertEqual(try tensor(t["image"]), try tensor(c["image"]), name)
            XCTAssertEqual(t["geometry"]?.inlineText, "\"\(source)\"", name)
            for (a, b) in zip(numbers(t["spacing"]), numbers(c["spacing"])) { XCTAssertEqual(a, b, accuracy: 1e-6, name) }
            if source == "sform" {
                for (a, b) in zip(try tensor(t["affine"]).scalars, try tensor(c["affine"]).scalars) { XCTAssertEqual(a, b, accuracy: 1e-5, name) }
            }
        }
    }

    /// Shrinking axes go first, so that no intermediate is larger than it must be: growing the
    /// first axis of [2, 1000000] a millionfold while shrinking the second as much would
    /// otherwise pass through 8 TB.
    func testResampleNeverMakesAnIntermediateLargerThanNeeded() throws {
        let session = session()
        try run("r = resample (zeros [2, 1000000]) spacing=[1, 1] from=[1000000, 0.000001]", in: session)
        XCTAssertEqual(try tensor(session.interpreter.globals["r"]).shape, [2000000, 1])
        let method = session.run("r = resample (scan \"qform.nii.gz\") spacing=[1, 1] method=nearest", name: "t")
        XCTAssertTrue(method.diagnostic?.message.contains("method= is for a tensor") == true, String(describing: method.diagnostic))
    }
}
