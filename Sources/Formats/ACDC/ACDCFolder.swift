import Foundation
import Engine

/// A data set laid out as ACDC (the Automated Cardiac Diagnosis Challenge, Bernard et al. 2018):
///
///     patient001/
///         Info.cfg                      "ED: 1", "ES: 12", "NbFrame: 30", ...
///         patient001_frame01.nii.gz     the end-diastolic volume
///         patient001_frame01_gt.nii.gz  its labels: 0 background, 1 RV, 2 myocardium, 3 LV
///         patient001_frame12.nii.gz     the end-systolic volume
///         patient001_frame12_gt.nii.gz
///
/// Volumes are NIfTI [z, y, x] (see `NIfTIImage`); a 2-D slice is written as one slice. Writing
/// such a folder from the phantom lets the loader for the real data set be tested without it.
/// Read a folder with `ACDCFolder(reading:)`, write one with `ACDCFolder.write(_:to:)`.
public struct ACDCFolder: Sendable {
    /// The patients, in number order.
    public var patients: [Patient]

    /// One patient's two annotated frames.
    public struct Patient: Sendable {
        /// The number in the folder name, from 1.
        public var number: Int
        public var endDiastole: Frame
        public var endSystole: Frame
        /// Info.cfg's other entries as written: Group, Height, Weight, NbFrame.
        public var info: [String: String]

        public init(number: Int, endDiastole: Frame, endSystole: Frame, info: [String: String] = [:]) {
            self.number = number
            self.endDiastole = endDiastole
            self.endSystole = endSystole
            self.info = info
        }

        /// The folder's name, patientNNN.
        public var name: String { ACDCFolder.patientName(number) }

        /// The files of `frame`'s image and labels, relative to the data set's folder.
        public func files(of frame: Frame) -> (image: String, labels: String) {
            let stem = ACDCFolder.frameStem(number, frame.index)
            return (stem + ".nii.gz", stem + "_gt.nii.gz")
        }

        /// Every file of the patient, relative to the data set's folder: Info.cfg, then each
        /// annotated frame's image and labels.
        public var files: [String] {
            [name + "/Info.cfg"] + [endDiastole, endSystole].flatMap { frame in [files(of: frame).image, files(of: frame).labels] }
        }
    }

    /// An image volume [z, y, x] with its labels of the same shape, at a frame of the cine.
    public struct Frame: Sendable {
        public var index: Int
        public var image: Tensor
        public var labels: Tensor
        /// Voxel sizes (x, y, z) in mm: written into the files, read from them.
        public var voxelSizes: [Float]?
        /// Where the image's voxels lie, as read (nil when written, or malformed).
        public var geometry: ImageGeometry?

        public init(index: Int, image: Tensor, labels: Tensor, voxelSizes: [Float]? = nil) {
            self.index = index
            self.image = image
            self.labels = labels
            self.voxelSizes = voxelSizes
        }
    }

    /// Patients 1, 2, ... from batches of 2-D slices [N, 1, H, W]: image i of each batch, with its
    /// labels, becomes patient i + 1's end-diastolic or end-systolic frame (a one-slice volume).
    public static func patients(
        endDiastole: (images: Tensor, labels: Tensor), endSystole: (images: Tensor, labels: Tensor),
        frames: (endDiastole: Int, endSystole: Int) = (1, 12)
    ) throws -> [Patient] {
        let batches = [endDiastole.images, endDiastole.labels, endSystole.images, endSystole.labels]
        guard let shape = batches.first?.shape, shape.count == 4, shape[1] == 1, batches.allSatisfy({ $0.shape == shape }) else {
            throw TensorError("ACDCFolder.patients", "needs four batches of one shape [N, 1, H, W], got "
                + batches.map { describeShape($0.shape) }.joined(separator: ", "))
        }
        return try (0..<shape[0]).map { i in
            func volume(_ batch: Tensor) throws -> Tensor { try batch[.range(i..<(i + 1))].reshaped([1, shape[2], shape[3]]) }
            return Patient(
                number: i + 1,
                endDiastole: Frame(index: frames.endDiastole, image: try volume(endDiastole.images), labels: try volume(endDiastole.labels)),
                endSystole: Frame(index: frames.endSystole, image: try volume(endSystole.images), labels: try volume(endSystole.labels)))
        }
    }

    /// Writes `patients` under `folder` (created if missing), images as float32 and labels as
    /// int16, with an Info.cfg naming the two frames. Each file is written atomically.
    public static func write(_ patients: [Patient], to folder: String, frameCount: Int = 30) throws {
        for patient in patients {
            let directory = folder + "/" + patient.name
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw FormatError(file: directory, "cannot create the folder: \(error.localizedDescription)")
            }
            for frame in [patient.endDiastole, patient.endSystole] {
                guard frame.image.shape == frame.labels.shape, frame.image.rank == 3 else {
                    throw FormatError(file: directory, "frame \(frame.index) needs an image and labels of one shape [z, y, x], "
                        + "got \(describeShape(frame.image.shape)) and \(describeShape(frame.labels.shape))")
                }
                let files = patient.files(of: frame)
                try NIfTIImage.write(frame.image, to: folder + "/" + files.image, voxelSizes: frame.voxelSizes)
                try NIfTIImage.write(frame.labels, to: folder + "/" + files.labels, dataType: .int16, voxelSizes: frame.voxelSizes)
            }
            var info = "ED: \(patient.endDiastole.index)\nES: \(patient.endSystole.index)\nGroup: \(patient.info["Group"] ?? "PHANTOM")\n"
            for key in ["Height", "Weight"] { if let value = patient.info[key] { info += "\(key): \(value)\n" } }
            info += "NbFrame: \(patient.info["NbFrame"] ?? String(frameCount))\n"
            try AtomicWrite.write(directory + "/Info.cfg") { try $0.write(Array(info.utf8)) }
        }
    }

    /// Reads every patientNNN folder under `folder`, in number order: the frames Info.cfg names
    /// as ED and ES, each with its labels.
    public init(reading folder: String) throws {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw FormatError(file: folder, "cannot list the folder: \(error.localizedDescription)")
        }
        let numbers = entries.compactMap { entry -> Int? in
            guard entry.hasPrefix("patient"), entry.count == 10 else { return nil }
            return Int(entry.dropFirst(7))
        }.sorted()
        guard !numbers.isEmpty else {
            throw FormatError(file: folder, "holds no patientNNN folders, so it is not an ACDC-style data set")
        }
        patients = try numbers.map { number in
            let directory = folder + "/" + ACDCFolder.patientName(number)
            let info = try ACDCFolder.readInfo(directory + "/Info.cfg")
            func frame(_ key: String) throws -> Frame {
                guard let text = info[key], let index = Int(text) else {
                    throw FormatError(file: directory + "/Info.cfg", "has no whole-number \(key) entry")
                }
                let stem = folder + "/" + ACDCFolder.frameStem(number, index)
                let image = try NIfTIImage(reading: stem + ".nii.gz")
                let labels = try NIfTIImage(reading: stem + "_gt.nii.gz").voxels
                guard image.voxels.shape == labels.shape else {
                    throw FormatError(file: stem + "_gt.nii.gz", "has shape \(describeShape(labels.shape)), its image \(describeShape(image.voxels.shape))")
                }
                var frame = Frame(index: index, image: image.voxels, labels: labels, voxelSizes: image.header.voxelSizes)
                frame.geometry = image.geometry
                return frame
            }
            var rest = info
            for key in ["ED", "ES"] { rest[key] = nil }
            return Patient(number: number, endDiastole: try frame("ED"), endSystole: try frame("ES"), info: rest)
        }
    }

    /// Info.cfg's "key: value" lines.
    static func readInfo(_ path: String) throws -> [String: String] {
        let file = try PosixFile.openForReading(path)
        let size = try file.size()
        // Info.cfg is a few lines; anything large is not one.
        guard size <= 65_536 else { throw FormatError(file: path, "is \(size) bytes, too large for an Info.cfg") }
        guard let text = String(validating: try file.read(at: 0, count: size), as: UTF8.self) else {
            throw FormatError(file: path, "cannot be read as text")
        }
        var entries: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 {
                entries[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return entries
    }

    static func patientName(_ number: Int) -> String {
        "patient" + String(repeating: "0", count: max(0, 3 - String(number).count)) + String(number)
    }

    /// "patientNNN/patientNNN_frameFF": a frame's files without their endings.
    static func frameStem(_ number: Int, _ frame: Int) -> String {
        patientName(number) + "/" + patientName(number) + "_frame" + twoDigits(frame)
    }

    static func twoDigits(_ frame: Int) -> String {
        frame < 10 ? "0\(frame)" : "\(frame)"
    }
}
