import Diffusion
import Engine
import Formats
import Foundation
import Imaging

/// `dataset`: a folder of scans read as 2-D training data, split by subject.
enum DatasetVerbs {
    static var all: [Verb] { [dataset, acdcPhantom] }

    /// One annotated volume of the folder, before it is sliced.
    struct Volume {
        var subject: String
        var frame: Int
        var phase: String
        var group: String
        /// Info.cfg's height (cm) and weight (kg), when it gives them.
        var height: Double? = nil
        var weight: Double? = nil
        var image: Tensor
        var label: Tensor
        var geometry: ImageGeometry?
        var source: String
        /// The split its file assigns it to (HDF5 layout), or nil: the seed decides.
        var split: String? = nil
    }

    static let dataset = Verb(
        "dataset", "Reads a folder of scans and labels as 2-D slices, split by subject into train, validation and test.",
        category: .data,
        parameters: [
            .argument("path", .folder, "the folder"),
            .option("layout", .choice(["acdc", "files", "hdf5"]), default: .nothing, "acdc (patientNNN/ with Info.cfg), files (images= and labels= patterns) or hdf5 (train.h5, validation.h5, test.h5); found from the folder when left out"),
            .option("images", .string, default: .nothing, "files: the images' pattern inside the folder, e.g. \"*/image*.nii.gz\"; hdf5: their dataset, \"/images\" when left out"),
            .option("labels", .string, default: .nothing, "files: the labels' pattern, paired with the images; hdf5: their dataset, \"/masks\" when left out"),
            .option("split", .list, default: .list([.number(0.7), .number(0.15), .number(0.15)]), "the fractions of subjects for train, validation and test"),
            .option("slices", .choice(["all", "mid", "label"]), default: .string("label"), "which slices of each volume: all, the middle one, or those with any label"),
            .option("axis", .choice(["z", "y", "x"]), default: .string("z"), "the axis the slices are cut across: z (short-axis slices of a [z, y, x] volume), y or x"),
            .option("spacing", .list, default: .nothing, "resample each slice to this pixel size (mm), e.g. [1.5, 1.5]; labels nearest"),
            .option("size", .list, default: .nothing, "crop or pad each slice to [H, W]; needed when slices differ in size"),
            .option("around", .choice(["centre", "label"]), default: .string("centre"), "where the crop is centred: the image's centre or the label's bounding box"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the seed of the split; derived from the statement when left out"),
        ],
        result: .record, example: "ds = dataset \"data\" images=\"*/image.nii.gz\" labels=\"*/label.nii.gz\" split=[0.5, 0.5, 0] seed=1",
        details: """
            The result has train, validation and test, each a record of image and label [N, 1, H, W] \
            and, per slice, subject, frame, phase (ED or ES), slice, spacing (the source's pixel \
            size), group, height and weight (from Info.cfg; none where not given) and source (the \
            file); and subjects, the names in each split. No subject \
            has slices in two splits. ACDC folders (patientNNN/patientNNN_frameNN.nii.gz with _gt \
            labels and Info.cfg naming the ED and ES frames, as `medsynth phantom --acdc` writes) \
            give both annotated frames of each patient; a files layout gives each image its \
            subject from its first folder below the root, or its name. An hdf5 folder (the M&Ms \
            re-implementation's layout) holds one file per split, train.h5, validation.h5 (or \
            val.h5) and test.h5, each with its slices [N, H, W] or [N, 1, H, W] and their masks: \
            the files give the split (split= and seed= do not apply), each slice is its own subject, \
            and no spacing is known.
            """,
        randomness: .seeded(by: "seed")
    ) { call in
        let root = try call.path("path", for: .read)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            throw call.error("path", "\(root) is not a folder", hint: "dataset reads a folder; load reads one file")
        }
        let fractions = try call.list("split").map { item -> Double in
            guard case .number(let x) = item, x >= 0, x <= 1 else { throw call.error("split", "split= holds fractions in 0...1", found: item.summary) }
            return x
        }
        guard fractions.count == 3, abs(fractions.reduce(0, +) - 1) < 1e-9 else {
            throw call.error("split", "split= is three fractions (train, validation, test) that add up to 1")
        }
        let layout = try call.optionalString("layout") ?? (isACDC(root) ? "acdc" : hdf5Files(root).isEmpty ? "files" : "hdf5")
        let volumes: [Volume]
        switch layout {
        case "acdc": volumes = try readACDC(root, call)
        case "hdf5": volumes = try readHDF5(root, call)
        default: volumes = try readFiles(root, call)
        }
        guard !volumes.isEmpty else { throw call.error("path", "\(root) holds no annotated images") }

        // The split: subjects in a shuffled order, cut by the fractions.
        let subjects = Array(Set(volumes.map(\.subject))).sorted()
        let order = try BatchOrder(count: subjects.count, batchSize: 1, random: try call.randomKey()).permutation(epoch: 0)
        let trainCount = Int((fractions[0] * Double(subjects.count)).rounded())
        let validationCount = min(subjects.count - trainCount, Int((fractions[1] * Double(subjects.count)).rounded()))
        let shuffled = order.map { subjects[$0] }
        var parts = [Array(shuffled[..<trainCount]), Array(shuffled[trainCount..<(trainCount + validationCount)]),
                     Array(shuffled[(trainCount + validationCount)...])]
        if layout == "hdf5" {
            // The files give the split.
            parts = ["train", "validation", "test"].map { name in subjects.filter { subject in volumes.contains { $0.subject == subject && $0.split == name } } }
        } else {
            for (name, (fraction, part)) in zip(["train", "validation", "test"], zip(fractions, parts)) where fraction > 0 && part.isEmpty {
                throw call.error("split", "\(subjects.count) subjects leave none for \(name)", hint: "more subjects, or a split with 0 for \(name)")
            }
        }

        var fields: [(name: String, value: Value)] = []
        let showProgress = call.context.stepProgress("slicing", unit: "volume")
        defer { call.context.endProgress() }
        var done = 0
        for (name, part) in zip(["train", "validation", "test"], parts) {
            let members = Set(part)
            let chosen = volumes.filter { members.contains($0.subject) }
            fields.append((name, try slices(of: chosen, call) {
                done += 1
                showProgress(done, volumes.count)
            }))
        }
        fields.append(("subjects", .record(Record(zip(["train", "validation", "test"], parts).map { ($0, .list($1.sorted().map(Value.string))) }))))
        return .record(Record(fields))
    }

    static func isACDC(_ root: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).contains { $0.hasPrefix("patient") && $0.count == 10 }
    }

    static func readACDC(_ root: String, _ call: VerbCall) throws -> [Volume] {
        for option in ["images", "labels"] where call.has(option) {
            throw call.error(option, "\(option)= is for layout=files; an ACDC folder names its own files")
        }
        // Every file of every patient folder must be one the run may read, before any is opened:
        // a link out of the folder is refused, and nothing outside is read or reported on.
        for entry in ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted() where entry.hasPrefix("patient") {
            let patient = root + "/" + entry
            for name in [""] + ((try? FileManager.default.contentsOfDirectory(atPath: patient)) ?? []).sorted() {
                let path = name.isEmpty ? patient : patient + "/" + name
                if call.context.fileAccess.refusal(of: path, for: .read) != nil {
                    throw call.error("path", "\(entry)/\(name) leads outside the folders this run may use")
                }
            }
        }
        let folder: ACDCFolder
        do {
            folder = try ACDCFolder(reading: root)
        } catch let error as FormatError {
            throw call.error("path", error.message)
        }
        // What the folder held, for the notebook's cache: what reads this dataset is keyed by it.
        for patient in folder.patients {
            for file in patient.files { call.context.recordRead(root + "/" + file) }
        }
        return folder.patients.flatMap { patient in
            [("ED", patient.endDiastole), ("ES", patient.endSystole)].map { phase, frame in
                Volume(subject: patient.name, frame: frame.index, phase: phase, group: patient.info["Group"] ?? "",
                       height: patient.info["Height"].flatMap(Double.init), weight: patient.info["Weight"].flatMap(Double.init),
                       image: frame.image, label: frame.labels, geometry: frame.geometry,
                       source: patient.files(of: frame).image)
            }
        }
    }

    /// The HDF5 files of the splits in `root`: (split, path) for those present.
    static func hdf5Files(_ root: String) -> [(split: String, path: String)] {
        [("train", ["train"]), ("validation", ["validation", "val"]), ("test", ["test"])].compactMap { split, stems in
            for stem in stems {
                for suffix in [".h5", ".hdf5"] where FileManager.default.fileExists(atPath: root + "/" + stem + suffix) {
                    return (split, root + "/" + stem + suffix)
                }
            }
            return nil
        }
    }

    static func readHDF5(_ root: String, _ call: VerbCall) throws -> [Volume] {
        let files = hdf5Files(root)
        guard files.contains(where: { $0.split == "train" }) else {
            throw call.error("path", "\(root) holds no train.h5", hint: "an hdf5 folder holds train.h5 and, if any, validation.h5 and test.h5")
        }
        let imagePath = try call.optionalString("images") ?? "/images", labelPath = try call.optionalString("labels") ?? "/masks"
        var volumes: [Volume] = []
        for (split, path) in files {
            if let refusal = call.context.fileAccess.refusal(of: path, for: .read) { throw call.error("path", refusal) }
            call.context.recordRead(path)
            func dataset(_ name: String, _ option: String) throws -> Tensor {
                let value: FormatValue
                do {
                    value = try FormatRegistry.detect(path: path).read(path, options: ReadOptions(dataset: DatasetSelection(name)))
                } catch let error as FormatError {
                    throw call.error(option, error.message)
                } catch let error as FormatOptionError {
                    throw call.error(option, error.message)
                }
                guard case .tensor(let tensor) = value, tensor.rank == 3 || (tensor.rank == 4 && tensor.shape[1] == 1) else {
                    throw call.error(option, "\(path):\(name) is not slices [N, H, W] or [N, 1, H, W]")
                }
                return tensor.rank == 4 ? try tensor.reshaped([tensor.shape[0], tensor.shape[2], tensor.shape[3]]) : tensor
            }
            let images = try dataset(imagePath, "images"), labels = try dataset(labelPath, "labels")
            guard images.shape == labels.shape else {
                throw call.error("labels", "\(path): the masks' shape \(labels.shape) is not the images' \(images.shape)")
            }
            let name = (path as NSString).lastPathComponent
            for row in 0..<images.shape[0] {
                volumes.append(Volume(
                    subject: "\(split)-\(row)", frame: 0, phase: "", group: "",
                    image: try images[.range(row..<(row + 1))], label: try labels[.range(row..<(row + 1))],
                    geometry: nil, source: "\(name)[\(row)]", split: split))
            }
        }
        return volumes
    }

    static func readFiles(_ root: String, _ call: VerbCall) throws -> [Volume] {
        guard let imagePattern = try call.optionalString("images"), let labelPattern = try call.optionalString("labels") else {
            throw call.error("path", "a folder of files needs images= and labels= patterns", hint: "e.g. images=\"*/image*.nii.gz\" labels=\"*/label*.nii.gz\"")
        }
        func matches(_ pattern: String, _ option: String) throws -> [String] {
            try TextVerbs.search(root + "/" + pattern, call, option)
        }
        let images = try matches(imagePattern, "images"), labels = try matches(labelPattern, "labels")
        guard !images.isEmpty else { throw call.error("images", "no file in \(root) matches \(imagePattern)") }
        guard images.count == labels.count else {
            throw call.error("labels", "\(labels.count) labels match \(labelPattern) but \(images.count) images match \(imagePattern)")
        }
        return try zip(images, labels).map { imagePath, labelPath in
            call.context.recordRead(imagePath)
            call.context.recordRead(labelPath)
            let (image, geometry) = try read(imagePath, call, "images")
            let (label, _) = try read(labelPath, call, "labels")
            guard image.shape == label.shape else {
                throw call.error("labels", "\(labelPath) has shape \(label.shape) but its image \(imagePath) \(image.shape)")
            }
            let (subject, relative) = subjectOf(imagePath, root: root)
            let (labelSubject, labelRelative) = subjectOf(labelPath, root: root)
            // Pairs in sorted order must be one subject's: the same first folder, or (in a flat
            // folder) a label named after its image.
            let flat = !relative.contains("/")
            guard flat ? labelSubject.hasPrefix(subject) || subject.hasPrefix(labelSubject) : labelSubject == subject else {
                throw call.error("labels", "the images and labels do not pair up: \(relative) comes with \(labelRelative)",
                                 hint: "each image needs its label, in the same subject folder or named after it")
            }
            return Volume(subject: subject, frame: 0, phase: "", group: "",
                          image: image, label: label, geometry: geometry, source: relative)
        }
    }

    /// The subject of a file below `root`: its first folder there, or in a flat folder the
    /// file's name up to its first dot; and its path relative to `root`.
    static func subjectOf(_ path: String, root: String) -> (subject: String, relative: String) {
        let relative = path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
        let components = relative.split(separator: "/")
        let stem = String(components.last?.split(separator: ".").first ?? "")
        return (components.count > 1 ? String(components[0]) : stem, relative)
    }

    /// A file as a volume [slices, H, W] with its geometry.
    static func read(_ path: String, _ call: VerbCall, _ option: String) throws -> (Tensor, ImageGeometry?) {
        do {
            let format = try FormatRegistry.detect(path: path)
            let (value, geometry, _) = try format.readWithGeometry(path, options: .whole)
            guard case .tensor(let tensor) = value, (2...3).contains(tensor.rank) else {
                throw call.error(option, "\(path) is not a 2-D image or a volume")
            }
            return (tensor.rank == 2 ? try tensor.reshaped([1] + tensor.shape) : tensor, geometry)
        } catch let error as FormatDetectionError {
            throw call.error(option, "\(path): \(error.message)")
        } catch let error as FormatError {
            throw call.error(option, error.message)
        }
    }

    /// The chosen slices of `volumes`, resampled, cropped and stacked, with their metadata.
    static func slices(of volumes: [Volume], _ call: VerbCall, afterEach: () -> Void) throws -> Value {
        let mode = try call.string("slices")
        let targetSpacing = call.has("spacing") ? try GeometryVerbs.numbers(call, "spacing") : nil
        if let targetSpacing, targetSpacing.count != 2 { throw call.error("spacing", "spacing= is a slice's pixel size, [rows, columns]") }
        let size = call.has("size") ? try call.integers("size", in: 1...4096) : nil
        if let size, size.count != 2 { throw call.error("size", "size= is a slice's [H, W]") }
        let aroundLabel = try call.string("around") == "label"
        var images: [Tensor] = [], labels: [Tensor] = []
        var subject: [Value] = [], frame: [Value] = [], phase: [Value] = [], index: [Value] = []
        var spacing: [Value] = [], group: [Value] = [], source: [Value] = []
        var height: [Value] = [], weight: [Value] = []
        var warnedSpacing = false
        // A volume [z, y, x] is cut across `axis`: that axis goes first, the others keep their order.
        let order = ["z": [0, 1, 2], "y": [1, 0, 2], "x": [2, 0, 1]][try call.string("axis")]!
        for original in volumes {
            try call.context.cancellation.checkCancellation()
            var volume = original
            if order != [0, 1, 2] {
                volume.image = try volume.image.permuted(order)
                volume.label = try volume.label.permuted(order)
            }
            let depth = volume.image.shape[0]
            var chosen: [Int]
            switch mode {
            case "mid": chosen = [depth / 2]
            case "label":
                chosen = try (0..<depth).filter { try volume.label[.at($0)].max().item() > 0 }
            default: chosen = Array(0..<depth)
            }
            let pixel = volume.geometry.map { geometry -> [Double] in
                let full = geometry.spacing.count >= 3 ? Array(geometry.spacing.suffix(3)) : [1] + geometry.spacing.suffix(2)
                return [full[order[1]], full[order[2]]]
            } ?? [1, 1]
            if targetSpacing != nil, volume.geometry == nil, !warnedSpacing {
                call.context.print("warning: \(volume.source) states no pixel spacing (nor may others); 1 mm assumed")
                warnedSpacing = true
            }
            for z in chosen {
                var image = try volume.image[.at(z)], label = try volume.label[.at(z)]
                if let targetSpacing {
                    let counts = try (0..<2).map { try resampledCount(image.shape[$0], spacing: pixel[$0], target: targetSpacing[$0]) }
                    try ValueVerbs.requireSize(call, "spacing", counts)
                    image = try Imaging.resample(image, to: counts, method: .linear)
                    label = try Imaging.resample(label, to: counts, method: .nearest)
                }
                if let size {
                    var start = (0..<2).map { centredStart(extent: image.shape[$0], size: size[$0]) }
                    if aroundLabel, let centre = try boundingBoxCentres(label, axes: 2)[0] {
                        start = (0..<2).map { startAround(centre[$0], extent: image.shape[$0], size: size[$0]) }
                    }
                    image = try cropOrPad(image, sizes: size, starts: [start])
                    label = try cropOrPad(label, sizes: size, starts: [start])
                }
                images.append(image)
                labels.append(label)
                subject.append(.string(volume.subject))
                frame.append(.number(Double(volume.frame)))
                phase.append(.string(volume.phase))
                index.append(.number(Double(z)))
                spacing.append(.list(pixel.map { .number($0) }))
                group.append(.string(volume.group))
                height.append(volume.height.map(Value.number) ?? .nothing)
                weight.append(volume.weight.map(Value.number) ?? .nothing)
                source.append(.string(volume.source))
            }
            afterEach()
        }
        guard let first = images.first else { return .record(Record([("count", .number(0))])) }
        if let different = images.first(where: { $0.shape != first.shape }) {
            throw call.error(
                call.has("size") ? "size" : "path", "slices of \(first.shape) and \(different.shape) cannot be stacked",
                hint: "give size=[H, W] (and spacing= to bring them to one pixel size first)")
        }
        let stack = { (slices: [Tensor]) throws -> Tensor in
            try Tensor.stack(slices).reshaped([slices.count, 1, first.shape[0], first.shape[1]])
        }
        return .record(Record([
            ("image", .tensor(try stack(images))), ("label", .tensor(try stack(labels))),
            ("subject", .list(subject)), ("frame", .list(frame)), ("phase", .list(phase)), ("slice", .list(index)),
            ("spacing", .list(spacing)), ("group", .list(group)), ("height", .list(height)), ("weight", .list(weight)),
            ("source", .list(source)),
        ]))
    }
}
