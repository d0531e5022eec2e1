import Engine

/// HDF5 in the registry. A file holds many datasets, so what a read gives depends on the
/// options: with a dataset named, that dataset or a slab of its first axis; with none, the file
/// as a model checkpoint (see `Checkpoint+HDF5.swift`). A tensor is written as one dataset.
public struct HDF5Format: FileFormat {
    /// The format; `FormatRegistry.all` holds the one medsynth uses.
    public init() {}

    public var name: String { "HDF5" }
    public var extensions: [String] { ["h5", "hdf5"] }
    public var capabilities: FormatCapabilities {
        FormatCapabilities(reads: [.tensor, .checkpoint], writes: [.tensor, .checkpoint])
    }
    public var reading: String { "one dataset, whole or a slab of its first axis, or, when no dataset is named, a model checkpoint" }
    public var writing: String { "a tensor as one dataset, or a model checkpoint" }

    /// The HDF5 signature at offset 0, or at 512, 1024 or 2048, where a file with a user block
    /// has its superblock. (Larger user blocks exist; such files are read by name only.)
    public func matches(header: [UInt8]) -> Bool {
        [0, 512, 1024, 2048].contains { offset in
            header.count >= offset + HDF5File.signature.count && header[offset...].starts(with: HDF5File.signature)
        }
    }

    /// The file is read in a child process first (`HDF5Rehearsal`), since libhdf5 may crash on
    /// a damaged file. A slab's `first` must lie inside the first axis and `first + count` must
    /// not pass its end; a slab of a scalar dataset is refused. Both are `FormatOptionError`s.
    public func read(_ path: String, options: ReadOptions) throws -> FormatValue {
        try HDF5Rehearsal.check(path)
        guard let selection = options.dataset else { return .checkpoint(try Checkpoint.readHDF5(path)) }
        let file = try HDF5File(reading: path)
        defer { try? file.close() }
        let info = try file.datasetInfo(selection.path)
        guard !selection.isWhole else { return .tensor(try file.readTensor(selection.path)) }
        guard let extent = info.shape.first else {
            throw FormatOptionError(file: path, option: "first", "the dataset is a scalar; it has no first axis")
        }
        let start = selection.first ?? 0
        let length = selection.count ?? (extent - start)
        guard start < extent, length <= extent - start else {
            let (end, overflow) = start.addingReportingOverflow(length)
            throw FormatOptionError(
                file: path, option: selection.count != nil ? "count" : "first",
                "the slab \(start)..<\(overflow ? "\(start) + \(length)" : "\(end)") lies outside the first axis of \(extent)",
                found: "a dataset of shape \(info.shape)")
        }
        let slab = HDF5Hyperslab(
            start: [start] + Array(repeating: 0, count: info.shape.count - 1),
            count: [length] + info.shape.dropFirst(), stride: Array(repeating: 1, count: info.shape.count))
        return .tensor(try file.readTensor(selection.path, hyperslab: slab))
    }

    /// A tensor at `options.dataset`, or a checkpoint.
    public func write(_ value: FormatValue, to path: String, options: WriteOptions) throws {
        switch value {
        case .tensor(let tensor): try HDF5File.write(to: path) { file in try file.write(tensor, to: options.dataset) }
        case .checkpoint(let checkpoint): try checkpoint.writeHDF5(to: path)
        case .tensors, .text: throw cannotWrite(value, to: path)
        }
    }
}
