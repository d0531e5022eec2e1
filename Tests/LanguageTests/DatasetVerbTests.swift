import Engine
import Foundation
import XCTest
@testable import Formats
@testable import Imaging
@testable import Language

/// `dataset` on ACDC-layout folders and on files found by patterns.
final class DatasetVerbTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-dataset-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `count` phantom patients; patient i is drawn with `pixels[i % 3]` pixels of
    /// 96 / pixels mm, one slice (ED, frame 1) or two (ES, frame 12: an empty slice, then the image).
    func writeACDC(count: Int, pixels: [Int] = [64, 80, 48]) throws -> String {
        let root = directory + "/acdc"
        let patients = try (0..<count).map { i -> ACDCFolder.Patient in
            let size = pixels[i % pixels.count]
            let phantom = try Phantom(seed: 3, size: size)
            let sizes: [Float] = [96 / Float(size), 96 / Float(size), 8]
            let ed = try phantom.batch(count: 1, first: i, phase: 0), es = try phantom.batch(count: 1, first: i, phase: 1)
            let empty = try Tensor.zeros([1, size, size])
            return ACDCFolder.Patient(
                number: i + 1,
                endDiastole: .init(index: 1, image: try ed.images.reshaped([1, size, size]), labels: try ed.labels.reshaped([1, size, size]), voxelSizes: sizes),
                endSystole: .init(index: 12, image: try Tensor.concat([empty, try es.images.reshaped([1, size, size])]),
                                  labels: try Tensor.concat([empty, try es.labels.reshaped([1, size, size])]), voxelSizes: sizes),
                info: ["Group": i % 2 == 0 ? "NOR" : "DCM", "Height": "170", "Weight": "70"])
        }
        try ACDCFolder.write(patients, to: root)
        return root
    }

    func session() -> Session {
        let context = RuntimeContext(outputDirectory: directory + "/out", seed: 0) { _ in }
        context.baseDirectory = directory
        return Session(context: context)
    }

    func strings(_ value: Value?) -> [String] {
        guard case .list(let items) = value else { return [] }
        return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }

    func testAnACDCFolderSplitsBySubjectAndBringsSlicesToOneGrid() throws {
        _ = try writeACDC(count: 10)
        let session = session()
        let report = session.run("ds = dataset \"acdc\" spacing=[1.5, 1.5] size=[64, 64] seed=4", name: "t")
        XCTAssertNil(report.diagnostic)
        guard case .record(let ds) = session.interpreter.globals["ds"], case .record(let subjects) = ds["subjects"] else { return XCTFail() }
        let splits = ["train", "validation", "test"].map { strings(subjects[$0]) }
        XCTAssertEqual(splits.map(\.count), [7, 2, 1], "0.7, 0.15 and 0.15 of 10 subjects, rounded")
        XCTAssertEqual(Set(splits.joined()).count, 10, "every subject once")
        for (name, members) in zip(["train", "validation", "test"], splits) {
            guard case .record(let part) = ds[name], case .tensor(let image) = part["image"], case .tensor(let label) = part["label"] else {
                return XCTFail(name)
            }
            let sliceSubjects = strings(part["subject"])
            XCTAssertEqual(Set(sliceSubjects), Set(members), "\(name): its slices come from its subjects only")
            // Each subject gives its ED slice and the labelled one of its two ES slices.
            XCTAssertEqual(image.shape, [members.count * 2, 1, 64, 64])
            XCTAssertEqual(label.shape, image.shape)
            XCTAssertEqual(strings(part["phase"]), Array(repeating: ["ED", "ES"], count: members.count).flatMap { $0 })
            guard case .list(let slices) = part["slice"] else { return XCTFail() }
            XCTAssertEqual(slices.map(\.inlineText), Array(repeating: ["0", "1"], count: members.count).flatMap { $0 })
            XCTAssertTrue(label.scalars.allSatisfy { [0, 1, 2, 3].contains($0) }, "labels stay labels")
        }
        // Info.cfg's group travels with each slice.
        guard case .record(let train) = ds["train"] else { return XCTFail() }
        for (subject, group) in zip(strings(train["subject"]), strings(train["group"])) {
            XCTAssertEqual(group, (Int(subject.dropFirst(7))! - 1) % 2 == 0 ? "NOR" : "DCM")
        }
        XCTAssertEqual(train["height"].map { Array($0.inlineText.prefix(9)) }.map { String($0) }, "[170, 170")
        XCTAssertEqual(train["weight"].map { Array($0.inlineText.prefix(7)) }.map { String($0) }, "[70, 70")
    }

    /// The same anatomy drawn at 48, 64 and 80 pixels over the same 96 mm is about the same
    /// size in pixels once resampled to 1.5 mm: its label's area agrees within a few percent.
    func testResamplingToOneSpacingMakesTheAnatomyOneSize() throws {
        let root = try writeACDC(count: 3, pixels: [48, 64, 80])
        // The same subject three times: rewrite patients 2 and 3 as subject 0 at other sizes.
        let patients = try (0..<3).map { i -> ACDCFolder.Patient in
            let size = [48, 64, 80][i]
            let batch = try Phantom(seed: 3, size: size).batch(count: 1, first: 0, phase: 0)
            let frame = ACDCFolder.Frame(index: 1, image: try batch.images.reshaped([1, size, size]),
                                         labels: try batch.labels.reshaped([1, size, size]), voxelSizes: [96 / Float(size), 96 / Float(size), 8])
            return ACDCFolder.Patient(number: i + 1, endDiastole: frame, endSystole: { var f = frame; f.index = 12; return f }())
        }
        try FileManager.default.removeItem(atPath: root)
        try ACDCFolder.write(patients, to: root)
        let session = session()
        XCTAssertNil(session.run("ds = dataset \"acdc\" spacing=[1.5, 1.5] size=[64, 64] split=[1, 0, 0] slices=all", name: "t").diagnostic)
        guard case .record(let ds) = session.interpreter.globals["ds"], case .record(let train) = ds["train"],
              case .tensor(let label) = train["label"] else { return XCTFail() }
        let areas = (0..<6).map { n in label.scalars[(n * 4096)..<((n + 1) * 4096)].filter { $0 > 0 }.count }
        let mean = Double(areas.reduce(0, +)) / 6
        for area in areas { XCTAssertEqual(Double(area), mean, accuracy: 0.06 * mean, "\(areas)") }
    }

    func testSlicesOfDifferentSizesNeedASizeAndTheSplitNeedsSubjects() throws {
        _ = try writeACDC(count: 3)
        let session = session()
        let unstacked = session.run("ds = dataset \"acdc\" split=[1, 0, 0]", name: "t")
        XCTAssertTrue(unstacked.diagnostic?.message.contains("cannot be stacked") == true, String(describing: unstacked.diagnostic))
        XCTAssertEqual(unstacked.diagnostic?.hint, "give size=[H, W] (and spacing= to bring them to one pixel size first)")
        let few = session.run("ds = dataset \"acdc\" size=[64, 64] split=[0.5, 0.5, 0]", name: "t")
        XCTAssertNil(few.diagnostic, "3 subjects: 2 and 1")
        let none = session.run("ds = dataset \"acdc\" size=[64, 64] split=[0.9, 0.05, 0.05]", name: "t")
        XCTAssertTrue(none.diagnostic?.message.contains("leave none for validation") == true, String(describing: none.diagnostic))
        let sum = session.run("ds = dataset \"acdc\" size=[64, 64] split=[0.5, 0.4, 0.4]", name: "t")
        XCTAssertTrue(sum.diagnostic?.message.contains("add up to 1") == true)
        let file = session.run("ds = dataset \"acdc/patient001/Info.cfg\"", name: "t")
        XCTAssertTrue(file.diagnostic?.message.contains("is not a folder") == true)
    }

    func testTheSameSeedGivesTheSameSplit() throws {
        _ = try writeACDC(count: 12)
        let session = session()
        XCTAssertNil(session.run("a = dataset \"acdc\" size=[64, 64] seed=1\nb = dataset \"acdc\" size=[64, 64] seed=1\nc = dataset \"acdc\" size=[64, 64] seed=2", name: "t").diagnostic)
        func train(_ name: String) -> [String] {
            guard case .record(let ds) = session.interpreter.globals[name], case .record(let subjects) = ds["subjects"] else { return [] }
            return strings(subjects["train"])
        }
        XCTAssertEqual(train("a"), train("b"))
        XCTAssertNotEqual(train("a"), train("c"))
    }

    /// A folder of files: images and labels found by patterns, paired in sorted order, the
    /// subject named by its folder.
    func testAFilesLayoutPairsImagesAndLabels() throws {
        for subject in ["s1", "s2", "s3"] {
            let folder = directory + "/files/" + subject
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let batch = try Phantom(seed: 1, size: 32).batch(count: 1, phase: 0)
            try NIfTIImage.write(try batch.images.reshaped([1, 32, 32]), to: folder + "/image.nii.gz")
            try NIfTIImage.write(try batch.labels.reshaped([1, 32, 32]), to: folder + "/label.nii.gz")
        }
        let session = session()
        let report = session.run("ds = dataset \"files\" images=\"*/image.nii.gz\" labels=\"*/label.nii.gz\" split=[1, 0, 0]", name: "t")
        XCTAssertNil(report.diagnostic)
        guard case .record(let ds) = session.interpreter.globals["ds"], case .record(let train) = ds["train"] else { return XCTFail() }
        XCTAssertEqual(strings(train["subject"]), ["s1", "s2", "s3"])
        XCTAssertEqual(strings(train["source"]), ["s1/image.nii.gz", "s2/image.nii.gz", "s3/image.nii.gz"])
        let mismatch = session.run("ds = dataset \"files\" images=\"*/image.nii.gz\" labels=\"s1/label.nii.gz\"", name: "t")
        XCTAssertTrue(mismatch.diagnostic?.message.contains("1 labels match") == true, String(describing: mismatch.diagnostic))
        let missing = session.run("ds = dataset \"files\"", name: "t")
        XCTAssertTrue(missing.diagnostic?.message.contains("needs images= and labels=") == true)
    }

    /// A split's records go through crop and pad (their spacing is per slice, so they carry no
    /// single geometry), and resample says why it cannot take one.
    func testASplitIsCroppedAndPaddedButNotResampledAsOneScan() throws {
        _ = try writeACDC(count: 3)
        let session = session()
        XCTAssertNil(session.run("ds = dataset \"acdc\" size=[64, 64] split=[1, 0, 0]\nc = crop ds.train size=[32, 32] around=ds.train.label\np = pad ds.train size=[70, 70]", name: "t").diagnostic)
        guard case .record(let c) = session.interpreter.globals["c"], case .tensor(let image) = c["image"], case .tensor(let label) = c["label"] else {
            return XCTFail()
        }
        XCTAssertEqual(image.shape, [6, 1, 32, 32])
        XCTAssertEqual(label.shape, [6, 1, 32, 32])
        let resampled = session.run("r = resample ds.train spacing=[1, 1]", name: "t")
        XCTAssertTrue(resampled.diagnostic?.message.contains("no single spacing") == true, String(describing: resampled.diagnostic))
    }

    /// In a confined run, a patient's file that is a link out of the folder is refused before
    /// anything is read through it; acdc_phantom writes through no link.
    func testLinksOutOfAnACDCFolderAreRefused() throws {
        let root = try writeACDC(count: 2)
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-outside-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let frame = root + "/patient002/patient002_frame01.nii.gz"
        try FileManager.default.moveItem(atPath: frame, toPath: outside + "/private.nii.gz")
        try FileManager.default.createSymbolicLink(atPath: frame, withDestinationPath: outside + "/private.nii.gz")
        let session = session()
        session.context.fileAccess = .confined(to: [directory], outputFolders: [directory + "/out"])
        let report = session.run("ds = dataset \"acdc\" size=[64, 64] split=[1, 0, 0]", name: "t")
        XCTAssertTrue(report.diagnostic?.message.contains("patient002/patient002_frame01.nii.gz leads outside") == true, String(describing: report.diagnostic))
        XCTAssertFalse(report.diagnostic?.description.contains(outside) == true, "the target outside is not named")

        try FileManager.default.createDirectory(atPath: directory + "/fresh", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory + "/fresh/patient001", withDestinationPath: outside)
        let written = session.run("acdc_phantom \"fresh\" n=1 size=32", name: "t")
        XCTAssertNotNil(written.diagnostic)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), ["private.nii.gz"], "nothing written through the link")
    }

    /// The M&Ms re-implementation's layout: one HDF5 file of slices and masks per split; the
    /// files give the split.
    func testAnHDF5FolderGivesItsOwnSplit() throws {
        let root = directory + "/mms"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let phantom = try Phantom(seed: 2, size: 32)
        for (name, count, first) in [("train.h5", 6, 0), ("val.h5", 2, 10), ("test.h5", 3, 20)] {
            let batch = try phantom.batch(count: count, first: first, phase: 0)
            try HDF5File.write(to: root + "/" + name) { file in
                try file.write(try batch.images.reshaped([count, 32, 32]), to: "/images")
                try file.write(batch.labels, to: "/masks")
            }
        }
        let session = session()
        let report = session.run("ds = dataset \"mms\" size=[32, 32]", name: "t")
        XCTAssertNil(report.diagnostic)
        guard case .record(let ds) = session.interpreter.globals["ds"] else { return XCTFail() }
        for (split, count) in [("train", 6), ("validation", 2), ("test", 3)] {
            guard case .record(let part) = ds[split], case .tensor(let image) = part["image"] else { return XCTFail(split) }
            XCTAssertEqual(image.shape, [count, 1, 32, 32], split)
            XCTAssertTrue(strings(part["subject"]).allSatisfy { $0.hasPrefix(split + "-") }, split)
        }
        guard case .record(let test) = ds["test"], case .tensor(let image) = test["image"] else { return XCTFail() }
        XCTAssertEqual(image.scalars, try phantom.batch(count: 3, first: 20, phase: 0).images.scalars, "the slices as written")
        let wrong = session.run("ds = dataset \"mms\" labels=\"/labels\"", name: "t")
        XCTAssertNotNil(wrong.diagnostic)
    }

    /// Slices across x of [z, y, x] volumes are [z, y]: 64 from each of a patient's two frames
    /// (one slice deep and two), padded to one size.
    func testSlicesAcrossAnotherAxis() throws {
        _ = try writeACDC(count: 1, pixels: [64])
        let session = session()
        XCTAssertNil(session.run("ds = dataset \"acdc\" slices=all axis=x size=[2, 64] split=[1, 0, 0]", name: "t").diagnostic)
        guard case .record(let ds) = session.interpreter.globals["ds"], case .record(let train) = ds["train"],
              case .tensor(let image) = train["image"] else { return XCTFail() }
        XCTAssertEqual(image.shape, [128, 1, 2, 64])
        guard case .list(let spacing) = train["spacing"] else { return XCTFail() }
        XCTAssertEqual(spacing.first?.inlineText, "[8, 1.5]", "slice thickness by the y spacing")
    }
}
