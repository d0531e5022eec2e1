import Engine
import Formats
import Foundation
import Imaging

/// Verbs that make or read data: the built-in phantom, and files by their extension.
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
        let phantom = try Phantom(seed: try call.seed(), size: size, noiseSigma: Float(noise))
        let (images, labels) = try phantom.batch(
            count: try call.int("n"), first: try call.int("first"), phase: try call.optionalDouble("phase").map(Float.init),
            cancellation: call.context.cancellation)
        return .record(Record([("image", .tensor(images)), ("label", .tensor(labels))]))
    }

    static let load = Verb(
        "load", "Reads a file by its extension: PNG, NIfTI, DICOM, HDF5, safetensors, or a model checkpoint.",
        category: .data,
        parameters: [
            .argument("path", .path, "the file"),
            .option("dataset", .string, default: .nothing, "HDF5: the dataset's path inside the file, e.g. \"/images\""),
            .option("first", .integer(0...Int.max), default: .nothing, "HDF5: read from this index of the first axis"),
            .option("count", .integer(1...Int.max), default: .nothing, "HDF5: read this many along the first axis"),
        ],
        result: .any, example: "x = load \"scan.nii.gz\"",
        details: """
            .png gives [C, H, W] scaled to 0...1; .nii and .nii.gz the voxels (x fastest, as NumPy \
            reads nibabel's array transposed); .dcm the pixels with the rescale slope and intercept \
            applied; .h5 with dataset= one dataset (first= and count= read a slab), and without it a \
            model checkpoint; .safetensors a record of its tensors. A relative path starts from the \
            notebook's folder (in the REPL, from the working directory).
            """
    ) { call in
        let path = try call.path("path", for: .read)
        guard FileManager.default.fileExists(atPath: path) else {
            let base = call.context.baseDirectory ?? FileManager.default.currentDirectoryPath
            throw call.error("path", "no file at \(path)", hint: "relative paths start from \(base)")
        }
        call.context.recordRead(path)
        switch FileKind(path) {
        case .png:
            let raw = try PNGImage(reading: path).pixels
            return .tensor(raw / Float(try pngMaximum(path)))
        case .nifti:
            return .tensor(try NIfTIImage(reading: path).voxels)
        case .dicom:
            return .tensor(try DICOMImage(reading: path).pixels)
        case .hdf5:
            // libhdf5 may crash on a damaged file: read it in a child process first.
            try HDF5Rehearsal.check(path)
            guard let dataset = try call.optionalString("dataset") else {
                return .model(try ModelFiles.load(path))
            }
            let file = try HDF5File(reading: path)
            defer { try? file.close() }
            let info = try file.datasetInfo(dataset)
            let first = try call.optionalInt("first")
            let count = try call.optionalInt("count")
            guard first != nil || count != nil else { return .tensor(try file.readTensor(dataset)) }
            guard let extent = info.shape.first else { throw call.error("first", "the dataset is a scalar; it has no first axis") }
            let start = first ?? 0
            let length = count ?? (extent - start)
            guard start < extent, start + length <= extent else {
                throw call.error(
                    count != nil ? "count" : "first", "the slab \(start)..<\(start + length) lies outside the first axis of \(extent)",
                    found: "a dataset of shape \(info.shape)")
            }
            let slab = HDF5Hyperslab(
                start: [start] + Array(repeating: 0, count: info.shape.count - 1),
                count: [length] + info.shape.dropFirst(), stride: Array(repeating: 1, count: info.shape.count))
            return .tensor(try file.readTensor(dataset, hyperslab: slab))
        case .safetensors:
            let file = try SafetensorsFile(reading: path)
            return .record(Record(try file.tensors().map { ($0.name, Value.tensor($0.tensor)) }))
        case .svg, .unknown:
            let ext = (path as NSString).pathExtension
            throw call.error(
                "path", "cannot tell the format of '\(path)'\(ext.isEmpty ? "" : " from .\(ext)")",
                expected: "a .png, .nii, .nii.gz, .dcm, .h5, .hdf5 or .safetensors file")
        }
    }

    static let save = Verb(
        "save", "Writes a value to a file, in the format its extension names, atomically.", category: .data,
        parameters: [
            .argument("value", .any, "a tensor, a figure, a model or a record of tensors"),
            .argument("path", .path, "the file"),
            .option("dataset", .string, default: .string("/data"), "HDF5: the dataset's path for a tensor"),
            .option("overwrite", .bool, default: .bool(false), "in a notebook run, replace a file that exists outside the output folder"),
        ],
        result: .string, example: "save (zeros [1, 8, 8]) \"black.png\"",
        details: """
            A tensor goes to .png (values 0...1 as 0...255; [H, W], [1, H, W], [3, H, W] or a batch of one), \
            .nii or .nii.gz, .h5 (at dataset=) or .safetensors; a figure to .png; a model to its \
            checkpoint (.h5 or .safetensors). Returns the path. A relative path starts from the \
            notebook's folder (in the REPL, from the working directory). A notebook run writes only \
            inside the folders it may use (docs/security.md) and replaces an existing file there \
            only with overwrite=true, unless it is in the run's output folder.
            """,
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
        switch (call.value("value"), FileKind(path)) {
        case (.figure(let figure), .png):
            guard case .raster(let image) = figure.content else {
                throw call.error("path", "a plot is a vector figure; save it as .svg")
            }
            try PNGImage.write(image, to: path)
        case (.figure(let figure), .svg):
            guard case .vector(let svg) = figure.content else {
                throw call.error("path", "an image figure is a raster; save it as .png")
            }
            try DisplayVerbs.writeText(svg, to: path)
        case (.model(let model), .hdf5), (.model(let model), .safetensors):
            try ModelFiles.save(model, to: path)
        case (.record(let record), .safetensors):
            let tensors = try record.fields.map { field -> (name: String, tensor: Tensor) in
                guard case .tensor(let tensor) = field.value else {
                    throw call.error("value", "only tensors can go into a safetensors file; '\(field.name)' is not one")
                }
                return (field.name, tensor)
            }
            try SafetensorsFile.write(tensors, to: path)
        case (.tensor, _), (.number, _), (.list, _):
            let tensor = try call.tensor("value")
            switch FileKind(path) {
            case .png:
                var image = tensor
                while image.rank > 3, image.shape[0] == 1 { image = try image.squeezed([0]) }
                guard image.rank == 2 || (image.rank == 3 && [1, 3].contains(image.shape[0])) else {
                    throw call.error(
                        "value", "a PNG holds one image", expected: "[H, W], [1, H, W] or [3, H, W]",
                        hint: "to save a batch, 'show' it as a grid and save the figure")
                }
                try PNGImage.write(image * 255, to: path)
            case .nifti:
                try NIfTIImage.write(tensor, to: path)
            case .hdf5:
                let dataset = try call.string("dataset")
                try HDF5File.write(to: path) { file in try file.write(tensor, to: dataset) }
            case .safetensors:
                try SafetensorsFile.write([("data", tensor)], to: path)
            case .dicom, .svg, .unknown:
                throw call.error("path", "cannot write a tensor to '\(path)'", expected: "a .png, .nii, .nii.gz, .h5 or .safetensors path")
            }
        case (let value, _):
            throw call.error("path", "cannot write \(value.summary) to '\(path)'")
        }
        return .string(try call.string("path"))
    }

    /// The largest sample value of a PNG file: 2^depth - 1, from the bit depth in its header.
    static func pngMaximum(_ path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 255 }
        defer { try? handle.close() }
        let header = handle.readData(ofLength: 25)
        guard header.count == 25 else { return 255 }
        let depth = Int(header[24])
        return depth == 16 ? 65535 : (1 << max(1, min(depth, 8))) - 1
    }
}

/// The formats `load` and `save` recognise, by extension.
enum FileKind: Equatable {
    case png, nifti, dicom, hdf5, safetensors, svg
    case unknown(String)

    init(_ path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".nii.gz") || lower.hasSuffix(".nii") { self = .nifti; return }
        let ext = (lower as NSString).pathExtension
        switch ext {
        case "png": self = .png
        case "dcm", "dicom": self = .dicom
        case "h5", "hdf5": self = .hdf5
        case "safetensors": self = .safetensors
        case "svg": self = .svg
        default: self = .unknown(ext)
        }
    }
}
