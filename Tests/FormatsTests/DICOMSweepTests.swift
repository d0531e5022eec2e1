import Foundation
import XCTest
@testable import Formats

/// The whole of pydicom's and pydicom-data's test files against pydicom's decoding of them
/// (Fixtures/make_dicom_sweep.py). The files are not in the repository: scripts/dicom-sweep.sh
/// installs the reference, makes it and runs this test with MEDSYNTH_DICOM_SWEEP set to its folder.
/// Without it the test is skipped; DICOMCodecTests runs the same comparison in CI on a committed
/// selection of the files.
final class DICOMSweepTests: XCTestCase {
    func testEveryFilePydicomDecodesLoadsWithItsPixels() throws {
        guard let folder = ProcessInfo.processInfo.environment["MEDSYNTH_DICOM_SWEEP"] else {
            throw XCTSkip("MEDSYNTH_DICOM_SWEEP is not set (scripts/dicom-sweep.sh sets it)")
        }
        let manifest = try DICOMReference.Manifest(folder: folder)
        var counts: [String: Int] = [:]
        var lines: [String] = []
        for entry in manifest.files {
            let path = try manifest.path(of: entry)
            if entry.status == "decoded" {
                let result = DICOMReference.compare(path: path, entry: entry, folder: folder)
                counts[result.outcome, default: 0] += 1
                lines.append("\(result.outcome)\t\(entry.file)\t\(result.detail)")
                if result.outcome != "equal" && result.outcome != "within tolerance" {
                    XCTFail("\(entry.file): \(result.outcome): \(result.detail)")
                }
            } else {
                let outcome: String
                do {
                    let image = try DICOMImage(reading: path)
                    outcome = "pydicom: \(entry.status); medsynth decodes \(image.pixels.shape)"
                } catch {
                    outcome = "pydicom: \(entry.status); medsynth refuses: \(error)"
                }
                counts["pydicom \(entry.status)", default: 0] += 1
                lines.append("\(outcome)\t\(entry.file)\t\(entry.reason ?? "")")
            }
        }
        let report = lines.joined(separator: "\n") + "\n\n" + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n") + "\n"
        try report.write(toFile: (folder as NSString).appendingPathComponent("medsynth-report.txt"), atomically: true, encoding: .utf8)
        print(counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
    }
}

/// The sweep's reference files and how medsynth's pixels are compared with them.
enum DICOMReference {
    struct Entry: Decodable {
        let file: String
        let status: String
        let reason: String?
        let reference: String?
        let shape: [Int]?
        let transferSyntax: String?
        let lossy: Bool?
        let photometric: String?
    }

    struct Manifest: Decodable {
        let roots: [String: String]
        let files: [Entry]

        init(folder: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("manifest.json")))
            self = try JSONDecoder().decode(Manifest.self, from: data)
        }

        func path(of entry: Entry) throws -> String {
            let parts = entry.file.split(separator: "/", maxSplits: 1).map(String.init)
            let root = try XCTUnwrap(roots[parts[0]], "no root for \(entry.file)")
            return (root as NSString).appendingPathComponent(parts[1])
        }
    }

    /// The largest difference a lossy syntax may show between GDCM's decoder here and the
    /// reference's (pydicom's GDCM plugin, another GDCM version): one grey level.
    static let lossyTolerance: Float = 1

    /// "equal", "within tolerance", or what differs.
    static func compare(path: String, entry: Entry, folder: String) -> (outcome: String, detail: String) {
        let image: DICOMImage
        do {
            image = try DICOMImage(reading: path)
        } catch {
            return ("refused", "\(error)")
        }
        guard let shape = entry.shape, image.pixels.shape == shape else {
            return ("wrong shape", "medsynth \(image.pixels.shape), pydicom \(entry.shape ?? [])")
        }
        guard let name = entry.reference,
              let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(name)) else {
            return ("no reference", "")
        }
        let expected = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let actual = image.pixels.scalars
        guard expected.count == actual.count else { return ("wrong size", "\(actual.count) vs \(expected.count)") }
        var largest: Float = 0, differing = 0
        for (a, e) in zip(actual, expected) where a != e {
            differing += 1
            largest = max(largest, abs(a - e))
        }
        let syntax = DICOMTransferSyntax.describe(entry.transferSyntax ?? "")
        if differing == 0 { return ("equal", "\(shape) \(entry.photometric ?? "") \(syntax)") }
        let detail = "\(differing) of \(actual.count) values differ, by at most \(largest); \(entry.photometric ?? "") \(syntax)"
        return (entry.lossy == true && largest <= lossyTolerance ? "within tolerance" : "different", detail)
    }
}
