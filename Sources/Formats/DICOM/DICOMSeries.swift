import Engine
import Foundation

/// The plane of a slice: its row and column directions (Image Orientation (Patient), LPS) and
/// pixel spacing ([between rows, between columns], as Pixel Spacing states it).
struct SlicePlane {
    let row: [Double]
    let column: [Double]
    let pixelSpacing: [Double]

    init(orientation: [Double], pixelSpacing: [Double]) {
        row = Array(orientation[0..<3])
        column = Array(orientation[3..<6])
        self.pixelSpacing = pixelSpacing
    }

    /// The slice normal, row × column.
    var normal: [Double] { Self.cross(row, column) }

    static func cross(_ a: [Double], _ b: [Double]) -> [Double] {
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// The geometry of a stack of these slices whose first pixel is at `origin` (LPS mm) and whose
    /// next slice lies `sliceStep` (LPS mm) further, `sliceSpacing` apart: columns i along `row`,
    /// rows j along `column`, slices k along `sliceStep`; turned into RAS by negating x and y.
    func geometry(origin: [Double], sliceStep: [Double], sliceSpacing: Double) -> ImageGeometry {
        let lps = (0..<3).map { axis in
            [row[axis] * pixelSpacing[1], column[axis] * pixelSpacing[0], sliceStep[axis], origin[axis]]
        }
        let ras = lps.enumerated().map { axis, values in axis < 2 ? values.map { $0 == 0 ? 0 : -$0 } : values }
        return ImageGeometry(spacing: [abs(sliceSpacing), abs(pixelSpacing[0]), abs(pixelSpacing[1])], affine: ras + [[0, 0, 0, 1]], source: "dicom")
    }

    /// Whether `other` is the same plane, within rounding of the values as DICOM writes them.
    func agrees(with other: SlicePlane) -> Bool {
        zip(row + column, other.row + other.column).allSatisfy { abs($0 - $1) < 1e-4 }
            && zip(pixelSpacing, other.pixelSpacing).allSatisfy { abs($0 - $1) <= 1e-4 * max(abs($0), 1) }
    }
}

/// Slices (of a series, or frames of an enhanced image) put in order along their normal, with the
/// step between them measured from their positions.
struct SliceStack {
    struct Slice {
        /// Image Position (Patient), LPS mm, of the slice's first pixel.
        var position: [Double]?
        /// Instance Number (0020,0013), the fallback order.
        var instanceNumber: Double?
        /// How messages name the slice: a file name, or "frame 3".
        var label: String
    }

    /// The slices' indices, first to last.
    let order: [Int]
    /// The first slice's position (LPS mm), or nil without positions.
    let origin: [Double]?
    /// From one slice to the next (LPS mm).
    let step: [Double]
    /// The length of `step`.
    let spacing: Double
    /// How the order and spacing were found when not from positions.
    let note: String?

    /// Sorts `slices` of `plane`: by position along the normal when every slice has one, checking
    /// that they are evenly spaced (no gap, no duplicate) and stacked straight along the normal;
    /// else by Instance Number, `fallbackSpacing` apart. `what` names them in messages ("slices",
    /// "frames").
    init(_ slices: [Slice], plane: SlicePlane, fallbackSpacing: Double, what: String) throws {
        let normal = plane.normal
        if slices.allSatisfy({ $0.position != nil }) {
            let positions = slices.map { $0.position! }
            let distance = positions.map { SlicePlane.dot($0, normal) }
            let order = slices.indices.sorted {
                distance[$0] != distance[$1] ? distance[$0] < distance[$1] : (slices[$0].instanceNumber ?? 0) < (slices[$1].instanceNumber ?? 0)
            }
            self.order = order
            self.origin = positions[order[0]]
            self.note = nil
            guard slices.count > 1 else {
                step = normal.map { $0 * fallbackSpacing }
                spacing = fallbackSpacing
                return
            }
            let gaps = zip(order, order.dropFirst()).map { distance[$1] - distance[$0] }
            let median = gaps.sorted()[gaps.count / 2]
            if let same = gaps.firstIndex(where: { $0 < 1e-3 }) {
                throw SliceStackError("\(slices[order[same]].label) and \(slices[order[same + 1]].label) lie at the same position "
                    + "(\(Self.format(distance[order[same]])) mm along the slice normal): these \(what) are not one stack "
                    + "(several acquisitions, echoes or time points of the same place?)")
            }
            let tolerance = max(0.01 * median, 1e-3)
            if let uneven = gaps.firstIndex(where: { abs($0 - median) > tolerance }) {
                let gap = gaps[uneven]
                let missing = gap / median
                let cause = missing > 1.5 && missing < 1e6 ? ", as if \(Int(missing.rounded()) - 1) \(what.dropLast()) were missing" : ""
                throw SliceStackError("\(slices[order[uneven]].label) and \(slices[order[uneven + 1]].label) are \(Self.format(gap)) mm apart "
                    + "where the other \(what) are \(Self.format(median)) mm apart\(cause); medsynth reads evenly spaced \(what) only")
            }
            let first = positions[order[0]], last = positions[order[order.count - 1]]
            let span = distance[order[order.count - 1]] - distance[order[0]]
            for index in order {
                let along = distance[index] - distance[order[0]]
                let sideways = (0..<3).map { positions[index][$0] - first[$0] - along * normal[$0] }
                if SlicePlane.dot(sideways, sideways).squareRoot() > max(0.01 * median, 1e-3) {
                    throw SliceStackError("\(slices[index].label) is \(Self.format(SlicePlane.dot(sideways, sideways).squareRoot())) mm "
                        + "off the line through the first \(what.dropLast()) along the slice normal: the stack is sheared (a tilted gantry?), "
                        + "which medsynth does not resample")
                }
            }
            step = (0..<3).map { (last[$0] - first[$0]) / Double(order.count - 1) }
            spacing = span / Double(order.count - 1)
        } else if slices.allSatisfy({ $0.instanceNumber != nil }) {
            let numbers = slices.map { $0.instanceNumber! }
            order = slices.indices.sorted { numbers[$0] < numbers[$1] }
            if let same = zip(order, order.dropFirst()).first(where: { numbers[$0.0] == numbers[$0.1] }) {
                throw SliceStackError("\(slices[same.0].label) and \(slices[same.1].label) have the same Instance Number "
                    + "\(Self.format(numbers[same.0])) and no Image Position (Patient) to order them by")
            }
            origin = nil
            step = normal.map { $0 * fallbackSpacing }
            spacing = fallbackSpacing
            note = "no Image Position (Patient) (0020,0032): \(what) ordered by Instance Number, \(Self.format(fallbackSpacing)) mm apart "
                + "from Spacing Between Slices or Slice Thickness"
        } else {
            let without = slices.first { $0.position == nil && $0.instanceNumber == nil }!
            throw SliceStackError("\(without.label) has neither Image Position (Patient) (0020,0032) nor Instance Number (0020,0013): "
                + "the \(what) cannot be ordered")
        }
    }

    /// A distance for messages, to a thousandth of a millimetre ("2.5", "5", "1e+300").
    static func format(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        guard rounded.isFinite, abs(rounded) < 1e15 else { return "\(value)" }
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

struct SliceStackError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The frames of an enhanced multi-frame image (PS3.3 C.7.6.16) as a stack: each frame's Plane
/// Position from the Per-frame Functional Groups, the orientation and pixel spacing from the
/// shared groups (or the first frame's).
struct DICOMFrames {
    /// The frames in order along the normal.
    let order: [Int]
    let geometry: ImageGeometry?
    /// Why the frames keep the file's order (they are not one evenly spaced stack).
    let problem: String?

    /// nil when the image has no per-frame plane positions (not an enhanced image, or one frame).
    init?(of dicom: DICOMFile, frames: Int) throws {
        let perFrame = DICOMTag.perFrameFunctionalGroups
        guard frames > 1, dicom.itemCount(.init(steps: [], tag: perFrame)) == frames else { return nil }
        func inGroups(_ sequence: DICOMTag, _ tag: DICOMTag, _ name: String, count: Int, frame: Int = 0) throws -> [Double]? {
            for (group, item) in [(DICOMTag.sharedFunctionalGroups, 0), (perFrame, frame)] {
                if let values = try dicom.numbers(.init(steps: [(group, item), (sequence, 0)], tag: tag), name, count: count) { return values }
            }
            return nil
        }
        var positions: [[Double]] = []
        for frame in 0..<frames {
            guard let position = try dicom.numbers(.init(steps: [(perFrame, frame), (.planePositionSequence, 0)], tag: .imagePosition),
                                                   "Image Position (Patient)", count: 3) else { return nil }
            positions.append(position)
        }
        guard let orientation = try inGroups(.planeOrientationSequence, .imageOrientation, "Image Orientation (Patient)", count: 6),
              let pixelSpacing = try inGroups(.pixelMeasuresSequence, .pixelSpacing, "Pixel Spacing", count: 2) else { return nil }
        let plane = SlicePlane(orientation: orientation, pixelSpacing: pixelSpacing)
        let thickness = try inGroups(.pixelMeasuresSequence, .spacingBetweenSlices, "Spacing Between Slices", count: 1)?.first
            ?? inGroups(.pixelMeasuresSequence, .sliceThickness, "Slice Thickness", count: 1)?.first ?? 1
        let slices = positions.enumerated().map { SliceStack.Slice(position: $1, instanceNumber: Double($0), label: "frame \($0 + 1)") }
        do {
            let stack = try SliceStack(slices, plane: plane, fallbackSpacing: thickness, what: "frames")
            order = stack.order
            geometry = plane.geometry(origin: stack.origin!, sliceStep: stack.step, sliceSpacing: stack.spacing)
            problem = nil
        } catch let error as SliceStackError {
            order = Array(0..<frames)
            geometry = nil
            problem = "its frames keep the file's order: \(error.description)"
        }
    }
}

/// A series read from a folder of DICOM files: the files grouped by Series Instance UID, the
/// chosen series' slices sorted along the slice normal (`SliceStack`) and stacked into a volume
/// `[Z, H, W]` of modality values (each slice read as `DICOMImage` reads it), with the geometry
/// measured from the slices' positions. A series held in one enhanced multi-frame file is that
/// file's image, its frames sorted the same way.
public struct DICOMSeries: Sendable {
    /// The volume, `[Z, H, W]`, first slice first.
    public var volume: Tensor
    /// Spacing from the positions (not from Slice Thickness), orientation and position of the
    /// first slice, in RAS+ like NIfTI's.
    public var geometry: ImageGeometry
    /// The series' files, in slice order.
    public var files: [String]
    /// (0020,000E), (0008,103E), (0008,0060), (0020,000D), (0020,0011).
    public var seriesInstanceUID: String
    public var seriesDescription: String
    public var modality: String
    public var studyInstanceUID: String
    public var seriesNumber: String
    /// The transfer syntaxes of the files, by name.
    public var transferSyntaxes: [String]
    /// The first slice's display windows.
    public var windows: [DICOMImage.Window]
    /// How the slices were ordered when not by position.
    public var note: String?

    /// One series of a folder, as `list` describes it.
    public struct Summary: Sendable {
        public var uid: String
        public var number: String
        public var description: String
        public var modality: String
        public var files: [String]

        var line: String {
            "\(number.isEmpty ? "" : "#\(number) ")\(modality.isEmpty ? "" : "\(modality) ")"
                + "\(description.isEmpty ? "" : "\"\(description)\" ")(\(files.count) file\(files.count == 1 ? "" : "s")) \(uid)"
        }
    }

    /// How many files a folder may hold; more is refused rather than read for minutes.
    public static let maximumFiles = 100_000

    /// Whether `path` is a folder medsynth reads as DICOM series: one holding a DICOMDIR, or one of
    /// whose first 16 regular files (looking into subfolders) is a DICOM file.
    public static func isSeriesFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return false }
        if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("DICOMDIR")) { return true }
        // The first few regular files met (not in name order: the folder may hold thousands).
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return false }
        var looked = 0
        while looked < 16, let relative = enumerator.nextObject() as? String {
            if (relative as NSString).lastPathComponent.hasPrefix(".") { enumerator.skipDescendants(); continue }
            guard isRegularFile(enumerator.fileAttributes, (path as NSString).appendingPathComponent(relative)) else { continue }
            looked += 1
            if hasDICOMPreamble((path as NSString).appendingPathComponent(relative)) { return true }
        }
        return false
    }

    /// The series in `folder` (or in the folder of a DICOMDIR file), their files sorted by name.
    /// `allowed` is asked about every file before it is opened; a file it refuses is an error.
    /// `visited` is told of every folder and file looked at (so that a cache can notice a change).
    public static func list(_ folder: String, allowed: (String) -> String? = { _ in nil },
                            visited: (String) -> Void = { _ in }) throws -> [Summary] {
        var groups: [String: Summary] = [:]
        var order: [String] = []
        for path in try candidateFiles(in: seriesFolder(of: folder), limit: maximumFiles, visited: visited) {
            if let refusal = allowed(path) { throw FormatError(file: path, refusal) }
            visited(path)
            // Files that are not DICOM are passed over; a DICOM file that cannot be read is an error
            // (passed over, it would look like a missing slice).
            guard hasDICOMPreamble(path) else { continue }
            let file = try DICOMFile(reading: path, headersOnly: true)
            guard file.text(.rows) != nil else { continue }   // not an image: a report, a plan, a DICOMDIR
            let uid = file.string(.seriesInstanceUID) ?? ""
            if groups[uid] == nil {
                order.append(uid)
                groups[uid] = Summary(uid: uid, number: file.string(.seriesNumber) ?? "", description: file.string(.seriesDescription) ?? "",
                                      modality: file.string(.modality) ?? "", files: [])
            }
            groups[uid]!.files.append(path)
        }
        return order.map { groups[$0]! }
    }

    /// Reads a series of `folder`: the only one, or the one whose Series Instance UID or Series
    /// Number is `series`. `allowed` as for `list`.
    public init(folder: String, series: String? = nil, allowed: (String) -> String? = { _ in nil },
                visited: (String) -> Void = { _ in }) throws {
        let all = try Self.list(folder, allowed: allowed, visited: visited)
        guard !all.isEmpty else { throw FormatError(file: folder, "holds no DICOM image") }
        let chosen: Summary
        if let series {
            guard let match = all.first(where: { $0.uid == series || $0.number == series }) else {
                throw FormatError(file: folder, "holds no series \"\(series)\"; its series are: "
                    + all.map(\.line).joined(separator: "; "))
            }
            chosen = match
        } else {
            guard all.count == 1 else {
                throw FormatError(file: folder, "holds \(all.count) series; choose one with series= (its UID or number): "
                    + all.map(\.line).joined(separator: "; "))
            }
            chosen = all[0]
        }
        try self.init(chosen)
    }

    init(_ summary: Summary) throws {
        seriesInstanceUID = summary.uid
        seriesDescription = summary.description
        modality = summary.modality
        seriesNumber = summary.number
        let first = try DICOMFile(reading: summary.files[0], headersOnly: true)
        studyInstanceUID = first.string(.studyInstanceUID) ?? ""

        if summary.files.count == 1 {
            // One file: an enhanced multi-frame image (its frames sorted by DICOMImage), or a single slice.
            let image = try DICOMImage(reading: summary.files[0])
            guard !image.isColour else { throw FormatError(file: summary.files[0], "is a colour image; a series volume is greyscale") }
            volume = image.pixels
            guard let geometry = image.geometry else {
                throw FormatError(file: summary.files[0], "states no geometry for a volume: \(image.geometryProblem ?? "it has no Pixel Spacing (0028,0030)")")
            }
            self.geometry = geometry
            files = summary.files
            transferSyntaxes = [DICOMTransferSyntax.describe(image.transferSyntax)]
            windows = image.windows
            note = image.geometryProblem
            return
        }

        // Many files: check that they are slices of one plane, sort them, then read their pixels.
        var headers: [(file: String, plane: SlicePlane, rows: Int, columns: Int, slice: SliceStack.Slice)] = []
        var fallbackSpacing = 1.0
        for path in summary.files {
            let file = try DICOMFile(reading: path, headersOnly: true)
            let frames = try file.number(.numberOfFrames, "Number of Frames") ?? 1
            guard frames == 1 else {
                throw FormatError(file: path, "has \(SliceStack.format(frames)) frames; a series of several files is read as single-frame slices")
            }
            guard let spacing = try file.numbers(.pixelSpacing, "Pixel Spacing", count: 2) else {
                throw FormatError(file: path, "has no Pixel Spacing (0028,0030), so the series has no geometry")
            }
            let orientation = try file.numbers(.imageOrientation, "Image Orientation (Patient)", count: 6) ?? [1, 0, 0, 0, 1, 0]
            if headers.isEmpty {
                fallbackSpacing = try file.number(.spacingBetweenSlices, "Spacing Between Slices") ?? file.number(.sliceThickness, "Slice Thickness") ?? 1
                if fallbackSpacing <= 0 { fallbackSpacing = 1 }
            }
            headers.append((path, SlicePlane(orientation: orientation, pixelSpacing: spacing),
                            try file.unsignedShort(.rows, "Rows") ?? 0, try file.unsignedShort(.columns, "Columns") ?? 0,
                            SliceStack.Slice(position: try file.numbers(.imagePosition, "Image Position (Patient)", count: 3),
                                             instanceNumber: try file.number(.instanceNumber, "Instance Number"),
                                             label: (path as NSString).lastPathComponent)))
        }
        let reference = headers[0]
        for header in headers.dropFirst() {
            if header.rows != reference.rows || header.columns != reference.columns {
                throw FormatError(file: header.file, "is \(header.rows)x\(header.columns) where \(reference.slice.label) of the same series is "
                    + "\(reference.rows)x\(reference.columns): the slices do not stack")
            }
            if !header.plane.agrees(with: reference.plane) {
                throw FormatError(file: header.file, "has orientation \(header.plane.row + header.plane.column) and pixel spacing \(header.plane.pixelSpacing) "
                    + "where \(reference.slice.label) has \(reference.plane.row + reference.plane.column) and \(reference.plane.pixelSpacing): "
                    + "the slices are not parallel planes of one grid")
            }
        }
        let stack: SliceStack
        do {
            stack = try SliceStack(headers.map(\.slice), plane: reference.plane, fallbackSpacing: fallbackSpacing, what: "slices")
        } catch let error as SliceStackError {
            throw FormatError(file: summary.files[0].isEmpty ? "" : (summary.files[0] as NSString).deletingLastPathComponent,
                              "series \(summary.uid): \(error.description)")
        }
        note = stack.note
        let rows = reference.rows, columns = reference.columns
        try MemoryBudget.check(count: headers.count * rows * columns, bytesPerValue: MemoryLayout<Float>.stride,
                               for: "DICOM series of \(headers.count) slices of \(rows) x \(columns)")
        var values = [Float]()
        values.reserveCapacity(headers.count * rows * columns)
        var syntaxes: [String] = []
        var windows: [DICOMImage.Window] = []
        for index in stack.order {
            let image = try DICOMImage(reading: headers[index].file)
            guard !image.isColour, image.pixels.shape == [1, rows, columns] else {
                throw FormatError(file: headers[index].file, "decodes to \(image.pixels.shape), not one greyscale slice of \(rows)x\(columns)")
            }
            values += image.pixels.scalars
            let syntax = DICOMTransferSyntax.describe(image.transferSyntax)
            if !syntaxes.contains(syntax) { syntaxes.append(syntax) }
            if windows.isEmpty { windows = image.windows }
        }
        volume = try Tensor(shape: [headers.count, rows, columns], scalars: values)
        files = stack.order.map { headers[$0].file }
        transferSyntaxes = syntaxes
        self.windows = windows
        geometry = reference.plane.geometry(origin: stack.origin ?? headers[stack.order[0]].slice.position ?? [0, 0, 0],
                                            sliceStep: stack.step, sliceSpacing: stack.spacing)
    }

    /// Whether `path` is a DICOMDIR file (which stands for its folder's series).
    public static func isDICOMDIR(_ path: String) -> Bool {
        (path as NSString).lastPathComponent.uppercased() == "DICOMDIR" && hasDICOMPreamble(path)
    }

    /// A DICOMDIR file stands for its folder.
    static func seriesFolder(of path: String) -> String {
        (path as NSString).lastPathComponent.uppercased() == "DICOMDIR" ? (path as NSString).deletingLastPathComponent : path
    }

    /// The regular files under `folder` (not hidden, not DICOMDIR), in name order; more than
    /// `limit` is an error.
    static func candidateFiles(in folder: String, limit: Int, visited: (String) -> Void = { _ in }) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
            throw FormatError(file: folder, "cannot be listed")
        }
        visited(folder)
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") { enumerator.skipDescendants(); continue }
            if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeDirectory {
                visited((folder as NSString).appendingPathComponent(relative))
            }
            guard name.uppercased() != "DICOMDIR", isRegularFile(enumerator.fileAttributes, (folder as NSString).appendingPathComponent(relative)) else { continue }
            files.append((folder as NSString).appendingPathComponent(relative))
            if files.count > limit {
                throw FormatError(file: folder, "holds more than \(limit) files; medsynth reads a series from a folder of at most that many")
            }
        }
        return files.sorted()
    }

    /// A regular file, or a symbolic link to one (as annexed data sets hold their files).
    static func isRegularFile(_ attributes: [FileAttributeKey: Any]?, _ path: String) -> Bool {
        switch attributes?[.type] as? FileAttributeType {
        case .typeRegular?: return true
        case .typeSymbolicLink?:
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
        default: return false
        }
    }

    static func hasDICOMPreamble(_ path: String) -> Bool {
        guard let file = try? PosixFile.openForReading(path), let header = try? file.read(at: 0, count: 132), header.count == 132 else { return false }
        return header[128..<132].elementsEqual("DICM".utf8)
    }
}
