import Engine
import Formats
import Foundation
import Imaging

/// The phantom as a scanner's data set in the ACDC layout, for `medsynth phantom --acdc` and
/// the `acdc_phantom` verb: a stand-in for the real ACDC, which cannot be downloaded here.
public enum ACDCPhantom {
    /// Patients as a scanner would give them: patient i (from 1) is phantom subject i - 1, at a
    /// pixel spacing of its own between 1.2 and 1.8 mm (drawn from the key's child "spacing"),
    /// drawn (from the key) with as many pixels as cover a field of view of size x 1.5 mm, in
    /// one slice 8 mm thick.
    public static func patients(random key: RandomKey, size: Int, count: Int) throws -> [ACDCFolder.Patient] {
        var random = key.child("spacing").stream
        let fieldOfView = Double(size) * 1.5
        return try (0..<count).map { i in
            let spacing = ((1.2 + 0.6 * Double(try Tensor.rand([1], using: &random).item())) * 20).rounded() / 20
            let pixels = min(Phantom.sizes.upperBound, max(Phantom.sizes.lowerBound, Int((fieldOfView / spacing).rounded())))
            let phantom = try Phantom(random: key, size: pixels)
            let sizes: [Float] = [Float(fieldOfView / Double(pixels)), Float(fieldOfView / Double(pixels)), 8]
            func frame(_ index: Int, phase: Float) throws -> ACDCFolder.Frame {
                let (images, labels) = try phantom.batch(count: 1, first: i, phase: phase)
                return ACDCFolder.Frame(index: index, image: try images.reshaped([1, pixels, pixels]),
                                        labels: try labels.reshaped([1, pixels, pixels]), voxelSizes: sizes)
            }
            let info = ["Group": ["NOR", "MINF", "DCM", "HCM", "RV"][i % 5], "Height": String(160 + (i * 7) % 30),
                        "Weight": String(55 + (i * 11) % 40), "NbFrame": "30"]
            return ACDCFolder.Patient(number: i + 1, endDiastole: try frame(1, phase: 0), endSystole: try frame(12, phase: 1), info: info)
        }
    }
}

extension DatasetVerbs {
    static let acdcPhantom = Verb(
        "acdc_phantom", "Writes phantom patients as an ACDC-style folder (what `dataset` reads), and returns its path.",
        category: .data,
        parameters: [
            .argument("path", .path, "the folder to write"),
            .option("n", .integer(1...999), default: .number(20), "how many patients"),
            .option("size", .integer(32...170), default: .number(64), "pixels of a patient at 1.5 mm; the field of view is size x 1.5 mm"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the phantom's seed; derived from the statement when left out"),
            .option("overwrite", .bool, default: .bool(false), "in a notebook run, replace a folder's files that exist"),
        ],
        result: .string, example: "acdc_phantom \"acdc\" n=4 size=32 seed=1",
        details: """
            Each patientNNN folder holds the end-diastolic (frame 01) and end-systolic (frame 12) \
            image and labels (NIfTI, one slice 8 mm thick) and an Info.cfg with ED, ES, Group, \
            Height, Weight and NbFrame. Each patient has a pixel spacing of its own, between 1.2 \
            and 1.8 mm, as scanners differ: bring them to one with dataset's spacing=.
            """,
        hasSideEffects: true, randomness: .seeded(by: "seed")
    ) { call in
        let folder = try call.path("path", for: .write)
        let patients = try ACDCPhantom.patients(random: try call.randomKey(), size: try call.int("size"), count: try call.int("n"))
        // Every folder and file it writes must be one the run may write, reached without a
        // link; a file that exists is replaced only with the user's consent.
        let overwrite = try call.bool("overwrite")
        for patient in patients {
            let directory = folder + "/" + patient.name
            var status = stat()
            if lstat(directory, &status) == 0, status.st_mode & S_IFMT != S_IFDIR {
                throw call.error("path", "\(directory) is not a folder (a link or a file), so no patient is written into it")
            }
            for path in [directory] + patient.files.map({ folder + "/" + $0 }) {
                if let refusal = call.context.fileAccess.refusal(of: path, for: .write) { throw call.error("path", refusal) }
                if path != directory, FileManager.default.fileExists(atPath: path), call.context.fileAccess.replacingNeedsConsent(path), !overwrite {
                    throw call.error("path", "\(path) exists; a notebook replaces files only when asked", hint: "add overwrite=true to replace them")
                }
            }
        }
        do {
            try ACDCFolder.write(patients, to: folder)
        } catch let error as FormatError {
            throw call.error("path", error.message)
        }
        return .string(try call.string("path"))
    }
}
