import Engine
import Formats
import Foundation
import Imaging

/// Verbs that know where voxels lie: a scan read with its geometry, resampling to a spacing,
/// cropping and padding. A scan is a record: `image`, `spacing` (voxel sizes in mm along the
/// image's axes, slowest first), `affine` (voxel indices x, y, z to RAS+ mm, 4x4), `orientation`
/// ("RAS", "LPS", ...), `geometry` (where it came from: sform, qform, pixdim, dicom, none) and
/// `path`; a dataset's items add `label` and their metadata. The verbs take such a record and
/// keep its fields true, or a plain tensor.
enum GeometryVerbs {
    static var all: [Verb] { [scan, resample, crop, pad] }

    static let scan = Verb(
        "scan", "Reads an image file with where its voxels lie: a record of image, spacing, affine, orientation, geometry and path.",
        category: .data,
        parameters: [
            .argument("path", .path, "a NIfTI, DICOM or PNG file, or a folder of DICOM files (a series)"),
            .option("series", .string, default: .nothing, "a DICOM folder: the series to read (its UID or number) when it holds several"),
        ],
        result: .record, example: "s = scan \"scan.nii.gz\"",
        details: """
            NIfTI gives its sform, else its qform, else nibabel's fallback from the voxel sizes; \
            DICOM its Pixel Spacing, Slice Thickness (or Spacing Between Slices), Image \
            Orientation and Position, turned from LPS into RAS as nibabel does. A file that states \
            no geometry (PNG), or a malformed one (then a warning says why), gets voxels of 1 mm \
            and geometry "none". The image is as load reads it: NIfTI [z, y, x], DICOM [frames, rows, columns]. \
            A folder of DICOM files (or a DICOMDIR) is one series: its files grouped by Series Instance UID \
            (series= picks one when there are several), its slices sorted along the slice normal, and the \
            spacing between them measured from their positions; a gap, two slices at one place, a sheared \
            stack or slices of different sizes or orientations are refused with the files named. The \
            record adds the series' modality, description, UID and file count, and the display \
            window its first slice suggests ([centre, width] in modality values, or empty).
            """
    ) { call in
        let folder = try call.path("path", for: .read)
        if DICOMSeries.isSeriesFolder(folder) || DICOMSeries.isDICOMDIR(folder) {
            let series = try DataVerbs.readSeries(call, folder)
            if let note = series.note { call.context.print("warning: \(folder): \(note)") }
            let extra: [(name: String, value: Value)] = [
                ("modality", .string(series.modality)), ("description", .string(series.seriesDescription)),
                ("series", .string(series.seriesInstanceUID)), ("files", .number(Double(series.files.count))),
                ("window", .list(series.windows.first.map { [.number($0.center), .number($0.width)] } ?? [])),
            ]
            return .record(record(image: series.volume, geometry: series.geometry, path: try call.string("path"), extra: extra))
        }
        let (path, format) = try DataVerbs.fileToRead(call)
        let (value, geometry, problem) = try format.readWithGeometry(path, options: .whole)
        guard case .tensor(let image) = value else {
            throw call.error("path", "\(path) holds \(value.kind), not an image", expected: "a NIfTI, DICOM or PNG file")
        }
        if let problem, geometry == nil, format.name != "PNG" {
            call.context.print("warning: \(path): its geometry cannot be read (\(problem)); voxels of 1 mm assumed")
        }
        return .record(record(image: image, geometry: geometry, path: try call.string("path")))
    }

    /// A scan record of `image` with `geometry` (voxels of 1 mm when there is none).
    static func record(image: Tensor, geometry: ImageGeometry?, path: String, extra: [(name: String, value: Value)] = []) -> Record {
        let geometry = geometry ?? ImageGeometry(
            spacing: Array(repeating: 1, count: image.rank),
            affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], source: "none")
        var fields: [(name: String, value: Value)] = [("image", .tensor(image))] + extra
        fields += fieldsOf(geometry, rank: image.rank)
        fields.append(("path", .string(path)))
        return Record(fields)
    }

    /// The geometry's fields of a scan record; the spacing has one entry per image axis.
    static func fieldsOf(_ geometry: ImageGeometry, rank: Int) -> [(name: String, value: Value)] {
        let spacing = Array(repeating: 1.0, count: max(0, rank - geometry.spacing.count)) + geometry.spacing.suffix(rank)
        return [
            ("spacing", .list(spacing.map { .number($0) })),
            ("affine", .tensor(try! Tensor(shape: [4, 4], scalars: geometry.affine.joined().map(Float.init)))),
            ("orientation", .string(geometry.source == "none" ? "" : geometry.orientation)),
            ("geometry", .string(geometry.source)),
        ]
    }

    /// The geometry a scan record states, or nil when it is no scan record.
    static func geometry(of record: Record, rank: Int, call: VerbCall, _ name: String) throws -> ImageGeometry? {
        guard case .list(let items)? = record["spacing"] else { return nil }
        // A dataset's split holds a spacing per slice (a list of lists): it is no single scan.
        if items.contains(where: { if case .list = $0 { return true } else { return false } }) { return nil }
        let spacing = try items.map { item -> Double in
            guard case .number(let number) = item, number > 0, number.isFinite else {
                throw call.error(name, "a scan's spacing holds voxel sizes above 0", found: item.summary)
            }
            return number
        }
        guard spacing.count == rank else {
            throw call.error(name, "the scan's spacing has \(spacing.count) entries but its image \(rank) axes")
        }
        var affine: [[Double]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
        if case .tensor(let matrix)? = record["affine"], matrix.shape == [4, 4] {
            affine = (0..<4).map { row in (0..<4).map { Double(matrix.scalars[row * 4 + $0]) } }
        }
        var source = "none"
        if case .string(let text)? = record["geometry"] { source = text }
        return ImageGeometry(spacing: spacing, affine: affine, source: source)
    }

    /// The record `x` with its image (and label) replaced and its geometry's fields updated.
    static func replacing(_ record: Record, image: Tensor, label: Tensor?, geometry: ImageGeometry?) -> Record {
        var fields = record.fields
        func set(_ name: String, _ value: Value) {
            if let index = fields.firstIndex(where: { $0.name == name }) { fields[index].value = value } else { fields.append((name, value)) }
        }
        set("image", .tensor(image))
        if let label { set("label", .tensor(label)) }
        if let geometry { for (name, value) in fieldsOf(geometry, rank: image.rank) { set(name, value) } }
        return Record(fields)
    }

    /// The image (and label) of the argument `name`: a tensor, or a record with `image`.
    static func images(_ call: VerbCall, _ name: String) throws -> (image: Tensor, label: Tensor?, record: Record?) {
        guard case .record(let record) = call.value(name) else { return (try call.tensor(name), nil, nil) }
        guard case .tensor(let image)? = record["image"] else {
            throw call.error(name, "'\(call.verb.name)' needs a tensor, or a record with an image (a scan)", expected: "a tensor or a scan")
        }
        var label: Tensor?
        if case .tensor(let tensor)? = record["label"] {
            guard tensor.shape == image.shape else {
                throw call.error(name, "the record's label has shape \(tensor.shape) but its image \(image.shape)")
            }
            label = tensor
        }
        return (image, label, record)
    }

    static let resample = Verb(
        "resample", "Resamples the last axes of an image to a voxel size: linear for images, nearest for labels.",
        category: .imaging,
        parameters: [
            .argument("x", .any, "a scan record (its image, and its label if it has one), or a tensor with from="),
            .option("spacing", .list, default: nil, "the new voxel size (mm) of the last axes, e.g. [1.5, 1.5]"),
            .option("from", .list, default: .nothing, "a tensor's voxel size along those axes (a scan knows its own)"),
            .option("method", .choice(["linear", "nearest"]), default: .nothing, "for a tensor: linear (images) or nearest (labels); linear when left out"),
        ],
        result: .any, returns: "what it was given: a tensor, or a scan record with its image, label, spacing and affine resampled", example: "resample (zeros [1, 1, 64, 64]) spacing=[1.5, 1.5] from=[1, 1]",
        details: """
            Each axis keeps its extent: n voxels of size s become round(n s / t) of size about t \
            (exactly n s / round(n s / t)), sampled pixel-area aligned as scipy.ndimage.zoom with \
            grid_mode=True; a scan's affine moves with them, so every voxel keeps its place in the \
            patient. A scan's label is resampled nearest, so labels stay labels.
            """
    ) { call in
        let (image, label, record) = try images(call, "x")
        let targets = try numbers(call, "spacing")
        guard targets.count <= image.rank, !targets.isEmpty else {
            throw call.error("spacing", "spacing= names the voxel size of 1 to \(image.rank) trailing axes", found: "\(targets.count) sizes")
        }
        var geometry: ImageGeometry?
        let current: [Double]
        if let record {
            guard !call.has("from") else { throw call.error("from", "a scan knows its own spacing; from= is for a tensor") }
            guard !call.has("method") else {
                throw call.error("method", "a scan's image is resampled linearly and its label nearest; method= is for a tensor")
            }
            guard let stated = try Self.geometry(of: record, rank: image.rank, call: call, "x") else {
                throw call.error("x", "the record has no single spacing (a scan's), so it cannot be resampled as one",
                                 hint: "read it with 'scan'; a dataset resamples its slices with its own spacing=")
            }
            geometry = stated
            current = Array(stated.spacing.suffix(targets.count))
        } else {
            guard call.has("from") else { throw call.error("x", "a tensor does not know its voxel size", hint: "give from=, e.g. from=[1, 1]") }
            current = try numbers(call, "from")
            guard current.count == targets.count else {
                throw call.error("from", "from= has \(current.count) sizes but spacing= \(targets.count)")
            }
        }
        let first = image.rank - targets.count
        let counts: [Int]
        do {
            counts = try (0..<targets.count).map { try resampledCount(image.shape[first + $0], spacing: current[$0], target: targets[$0]) }
        } catch let error as TensorError {
            throw call.error("spacing", error.message, hint: "a spacing nearer the image's own")
        }
        try ValueVerbs.requireSize(call, "spacing", Array(image.shape.prefix(first)) + counts)
        let method: ResampleMethod = try call.optionalString("method") == "nearest" ? .nearest : .linear
        let cancellation = call.context.cancellation
        let resampled = try Imaging.resample(image, to: counts, method: record == nil ? method : .linear, cancellation: cancellation)
        guard let record else { return .tensor(resampled) }
        let resampledLabel = try label.map { try Imaging.resample($0, to: counts, method: .nearest, cancellation: cancellation) }
        for (offset, count) in counts.enumerated() {
            geometry = geometry?.resampled(axis: first + offset, rank: image.rank, from: image.shape[first + offset], to: count)
        }
        return .record(replacing(record, image: resampled, label: resampledLabel, geometry: geometry))
    }

    /// Positive finite numbers of the list option `name`.
    static func numbers(_ call: VerbCall, _ name: String) throws -> [Double] {
        try call.list(name).map { item in
            guard case .number(let number) = item, number > 0, number.isFinite else {
                throw call.error(name, "\(name)= holds sizes above 0", found: item.summary)
            }
            return number
        }
    }

    static let crop = Verb(
        "crop", "Crops (or pads) the last axes of an image to a size, around the centre or around a mask's bounding box.",
        category: .imaging,
        parameters: [
            .argument("x", .any, "a tensor, or a scan record (its image and label are cropped alike)"),
            .option("size", .list, default: nil, "the size of the last axes, e.g. [64, 64]"),
            .option("around", .tensor, default: .nothing, "a mask (e.g. the label): each sample's window is centred on its values above 0"),
            .option("value", .number, default: .number(0), "what padding fills the image with (a label is padded with 0)"),
        ],
        result: .any, returns: "what it was given: a tensor, or a scan record with its image, label and affine cropped", example: "crop (zeros [2, 1, 96, 128]) size=[64, 64]",
        details: """
            Centred, a larger axis loses floor((n - size) / 2) at the start and a smaller one gains \
            floor((size - n) / 2); around= moves the window to the centre of each sample's \
            bounding box (the centre of the image for a sample whose mask is empty: the verb says \
            how many). A scan is one image: one window around its mask's box over every slice, \
            and its affine moves with the window.
            """
    ) { call in
        try window(call, padOnly: false)
    }

    static let pad = Verb(
        "pad", "Pads the last axes of an image to at least a size, centred; never crops.",
        category: .imaging,
        parameters: [
            .argument("x", .any, "a tensor, or a scan record (its image and label are padded alike)"),
            .option("size", .list, default: nil, "the least size of the last axes, e.g. [64, 64]"),
            .option("value", .number, default: .number(0), "what padding fills the image with (a label is padded with 0)"),
        ],
        result: .any, returns: "what it was given: a tensor, or a scan record with its image, label and affine padded", example: "pad (zeros [1, 1, 50, 60]) size=[64, 64]"
    ) { call in
        try window(call, padOnly: true)
    }

    /// crop and pad: the window of each sample, applied to the image and any label.
    static func window(_ call: VerbCall, padOnly: Bool) throws -> Value {
        let (image, label, record) = try images(call, "x")
        var sizes = try call.integers("size", in: 1...(1 << 20))
        guard !sizes.isEmpty, sizes.count <= image.rank else {
            throw call.error("size", "size= gives 1 to \(image.rank) trailing axes", found: "\(sizes.count) sizes")
        }
        let first = image.rank - sizes.count
        let extents = Array(image.shape.suffix(sizes.count))
        if padOnly { sizes = zip(sizes, extents).map { max($0, $1) } }
        try ValueVerbs.requireSize(call, "size", Array(image.shape.prefix(first)) + sizes)
        var starts = [zip(extents, sizes).map { centredStart(extent: $0, size: $1) }]
        if !padOnly, let mask = try call.optionalTensor("around") {
            let samples = image.rank > sizes.count ? image.shape[0] : 1
            guard Array(mask.shape.suffix(sizes.count)) == extents,
                  mask.rank == sizes.count || (mask.shape.first == samples && mask.rank > sizes.count) else {
                throw call.error("around", "the mask must cover the image: its last axes \(extents), one per sample",
                                 found: "a tensor of shape \(mask.shape)")
            }
            // A scan is one image, cut by one window (its label's box over every slice); a batch
            // of samples gets a window each.
            let whole = record != nil && mask.rank > sizes.count ? try mask.reshaped([1] + mask.shape) : mask
            let centres = try boundingBoxCentres(whole, axes: sizes.count)
            let empty = centres.filter { $0 == nil }.count
            if empty > 0 { call.context.print("note: \(empty) of \(centres.count) masks are empty; those are cropped at the centre") }
            starts = centres.map { centre in
                (0..<sizes.count).map { a in
                    centre.map { startAround($0[a], extent: extents[a], size: sizes[a]) } ?? centredStart(extent: extents[a], size: sizes[a])
                }
            }
            if starts.count != 1 && starts.count != samples { starts = [starts[0]] }
        }
        let value = Float(try call.double("value"))
        let cropped = try cropOrPad(image, sizes: sizes, starts: starts, value: value)
        guard let record else { return .tensor(cropped) }
        let croppedLabel = try label.map { try cropOrPad($0, sizes: sizes, starts: starts, value: 0) }
        var geometry = try Self.geometry(of: record, rank: image.rank, call: call, "x")
        if starts.count == 1 {
            for (a, start) in starts[0].enumerated() { geometry = geometry?.shifted(axis: first + a, rank: image.rank, by: start) }
        }
        return .record(replacing(record, image: cropped, label: croppedLabel, geometry: geometry))
    }
}
