import Diffusion
import Engine
import Formats
import Foundation
import Imaging

/// Verbs that make or read data: the built-in phantom, and files in the formats of Formats'
/// `FormatRegistry`.
enum DataVerbs {
    static var all: [Verb] { [phantom, load, save] }

    static let phantom = Verb(
        "phantom", "Subjects of the built-in cardiac MRI phantom: a record of image and label.",
        category: .data,
        parameters: [
            .option("n", .integer(1...100_000), default: .number(8), "how many subjects"),
            .option("size", .integer(Phantom.sizes.lowerBound...Phantom.sizes.upperBound), default: .number(64), "image side in pixels"),
            .option("first", .integer(0...Int.max), default: .number(0), "the index of the first subject (held-out sets start further on)"),
            .option("phase", .number, default: .nothing, "cardiac phase 0 (end-diastole) to 1 (end-systole); each subject draws one when left out"),
            .option("noise", .number, default: .number(0.03), "Rician noise sigma"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the phantom's seed; derived from the statement when left out"),
        ],
        result: .record, example: "train = phantom n=4 size=64 seed=1",
        details: "image is [n, 1, size, size] in 0...1; label is [n, 1, size, size] with 0 background, 1 RV, 2 myocardium, 3 LV.",
        randomness: .seeded(by: "seed")
    ) { call in
        let noise = try call.double("noise")
        guard noise >= 0, noise < 1 else { throw call.error("noise", "noise must be in 0..<1") }
        if let phase = try call.optionalDouble("phase"), !(0...1).contains(phase) {
            throw call.error("phase", "phase must be in 0...1")
        }
        let size = try call.int("size")
        try ValueVerbs.requireSize(call, "n", [try call.int("n"), 1, size, size])
        let phantom = try Phantom(random: try call.randomKey(), size: size, noiseSigma: Float(noise))
        let (images, labels) = try phantom.batch(
            count: try call.int("n"), first: try call.int("first"), phase: try call.optionalDouble("phase").map(Float.init),
            cancellation: call.context.cancellation)
        return .record(Record([("image", .tensor(images)), ("label", .tensor(labels))]))
    }

    static let load = Verb(
        "load", "Reads a file, in the format its extension or else its first bytes name: \(readableNames).",
        category: .data,
        parameters: [
            .argument("path", .path, "the file"),
            .option("dataset", .string, default: .nothing, "HDF5: the dataset's path inside the file, e.g. \"/images\""),
            .option("first", .integer(0...Int.max), default: .nothing, "HDF5: read from this index of the first axis"),
            .option("count", .integer(1...Int.max), default: .nothing, "HDF5: read this many along the first axis"),
            .option("series", .string, default: .nothing, "a DICOM folder: the series to read (its UID or number) when it holds several"),
        ],
        result: .any, returns: "a tensor (an image, a volume or an array), a record of tensors (an HDF5 file or safetensors with several), or a model (a checkpoint or a diffusers or MONAI folder)", example: "x = load \"scan.nii.gz\"",
        details: loadDetails
    ) { call in
        let folder = try call.path("path", for: .read)
        if DICOMSeries.isSeriesFolder(folder) || DICOMSeries.isDICOMDIR(folder) {
            return .tensor(try readSeries(call, folder).volume)
        }
        if ModelFolder.isFolder(folder) { return try loadModelFolder(call, folder) }
        let (path, format) = try fileToRead(call)
        let dataset = try call.optionalString("dataset").map {
            DatasetSelection($0, first: try call.optionalInt("first"), count: try call.optionalInt("count"))
        }
        do {
            return try FileValues.value(of: format.read(path, options: ReadOptions(dataset: dataset)))
        } catch let error as FormatOptionError {
            throw call.error(error.option, error.message, found: error.found)
        }
    }

    /// The DICOM series in a folder (or beside a DICOMDIR), each file and folder looked at noted as
    /// read and checked against the folders the run may read.
    static func readSeries(_ call: VerbCall, _ folder: String) throws -> DICOMSeries {
        try DICOMSeries(folder: folder, series: try call.optionalString("series"),
                        allowed: { call.context.fileAccess.refusal(of: $0, for: .read) }, visited: call.context.recordRead)
    }

    /// The model in a folder of diffusers' or MONAI's (`ModelFolder`), each of its files noted
    /// as read and checked against the folders the run may read.
    static func loadModelFolder(_ call: VerbCall, _ path: String) throws -> Value {
        let folder = try ModelFolder(reading: path) { call.context.fileAccess.refusal(of: $0, for: .read) }
        folder.files.forEach(call.context.recordRead)
        return .model(Model(try ModelExchange.model(from: folder)))
    }

    /// The file of the call's `path` argument, which the run may read and which exists (noted
    /// as read, for the notebook's cache), with its format; errors at the argument otherwise.
    static func fileToRead(_ call: VerbCall) throws -> (path: String, format: any FileFormat) {
        let path = try call.path("path", for: .read)
        guard FileManager.default.fileExists(atPath: path) else {
            let base = call.context.baseDirectory ?? FileManager.default.currentDirectoryPath
            throw call.error("path", "no file at \(path)", hint: "relative paths start from \(base)")
        }
        call.context.recordRead(path)
        do {
            return (path, try FormatRegistry.detect(path: path))
        } catch let error as FormatDetectionError {
            throw call.error("path", error.message, expected: error.expected, hint: error.hint)
        }
    }

    static let save = Verb(
        "save", "Writes a value to a file, in the format its extension names, atomically.", category: .data,
        parameters: [
            .argument("value", .any, "a tensor, a figure, a model or a record of tensors"),
            .argument("path", .path, "the file"),
            .option("dataset", .string, default: .string(WriteOptions.standardDataset), "HDF5: the dataset's path for a tensor"),
            .option("overwrite", .bool, default: .bool(false), "in a notebook run, replace a file that exists outside the output folder"),
        ],
        result: .string, example: "save (zeros [1, 8, 8]) \"black.png\"",
        details: saveDetails,
        hasSideEffects: true
    ) { call in
        let path = try call.path("path", for: .write)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw call.error("path", "\(path) is a folder; save writes a file", expected: "a file name, e.g. \"out/x.png\"")
        }
        if FileManager.default.fileExists(atPath: path), call.context.fileAccess.replacingNeedsConsent(path), !(try call.bool("overwrite")) {
            throw call.error("path", "\(path) exists; a notebook replaces a file only when asked", hint: "add overwrite=true to replace it")
        }
        let directory = PathName.folder(of: path)
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let value = call.value("value")
        // A scan goes as its image, with its geometry where the format holds one (NIfTI's sform
        // and voxel sizes).
        if case .record(let record) = value, case .tensor(let image)? = record["image"],
           let format = FormatRegistry.format(forPath: path), format.writes(.tensor),
           let geometry = try GeometryVerbs.geometry(of: record, rank: image.rank, call: call, "value") {
            try format.write(image, geometry: geometry, to: path, options: WriteOptions(dataset: try call.string("dataset")))
            return .string(try call.string("path"))
        }
        guard let kind = FileValues.kind(of: value) else {
            throw call.error("path", "cannot write \(value.summary) to '\(path)'")
        }
        // A list that is no tensor is the first thing wrong with `save [1, "a"] "x.txt"`.
        if kind == .tensor, value.type != .figure { _ = try call.tensor("value") }
        guard let format = FormatRegistry.format(forPath: path), format.writes(kind) else {
            throw cannotWrite(value, kind, to: path, call)
        }
        let options = WriteOptions(dataset: try call.string("dataset"))
        try format.write(try FileValues.formatValue(of: call, "value", for: format), to: path, options: options)
        return .string(try call.string("path"))
    }

    /// The error for a value whose kind the format `path` names does not write (or that names
    /// no format), with the extensions that would do.
    static func cannotWrite(_ value: Value, _ kind: FormatValue.Kind, to path: String, _ call: VerbCall) -> RuntimeError {
        let fitting = FormatRegistry.extensions(of: FormatRegistry.formats(writing: kind))
        switch (value, kind) {
        case (.figure, .text): return call.error("path", "a plot is a vector figure; save it as \(fitting)")
        case (.figure, _): return call.error("path", "an image figure is a raster; save it as \(fitting)")
        case (_, .tensor): return call.error("path", "cannot write a tensor to '\(path)'", expected: "a \(fitting) path")
        default: return call.error("path", "cannot write \(value.summary) to '\(path)'", expected: "a \(fitting) path")
        }
    }

    /// The names of the formats `load` reads: "PNG, NIfTI-1, DICOM, HDF5 or safetensors".
    static var readableNames: String {
        FormatRegistry.list(FormatRegistry.readable.map(\.name), conjunction: "or")
    }

    /// ".png gives …; .nii, .nii.gz …": a clause per format, `verb` after the first one's extensions.
    static func perFormat(_ formats: [any FileFormat], _ verb: String, _ phrase: (any FileFormat) -> String) -> String {
        formats.enumerated().map { index, format in "\(format.extensionList)\(index == 0 ? " \(verb)" : "") \(phrase(format))" }
            .joined(separator: "; ")
    }

    /// `load`'s help: what each format gives, from the registry, then the language's side.
    static var loadDetails: String {
        perFormat(FormatRegistry.readable, "gives", \.reading) + ". "
            + "dataset= names an HDF5 dataset, and first= and count= a slab of it; tensors by name become a record, "
            + "and a checkpoint the model it holds. A file whose extension names no format is read by its first bytes; "
            + "a file whose first bytes are another format's than its extension names is refused. A folder of DICOM "
            + "files (or a DICOMDIR) is read as one series, a volume [slices, rows, columns] sorted along the slice "
            + "normal (see scan, which also gives its spacing and orientation); series= picks one when there are several. A relative path "
            + "starts from the notebook's folder (in the REPL, from the working directory)."
    }

    /// `save`'s help: what each format takes, from the registry, then the language's side.
    static var saveDetails: String {
        perFormat(FormatRegistry.writable, "takes", \.writing) + ". "
            + "A number or a list goes as a tensor, an image figure as a tensor of its pixels in 0...1, a plot as a vector "
            + "drawing, a model as its checkpoint, a scan (see scan) as its image with its geometry (NIfTI: the affine as the "
            + "sform, the spacing as the voxel sizes) and a record of tensors as tensors by name; dataset= names the HDF5 "
            + "dataset of a tensor. Returns the path. A relative path starts from the notebook's folder (in the REPL, "
            + "from the working directory). A notebook run writes only inside the folders it may use (docs/security.md) "
            + "and replaces an existing file there only with overwrite=true, unless it is in the run's output folder."
    }
}
