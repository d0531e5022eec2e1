import Engine

/// A safetensors file, the format PyTorch and Hugging Face use to exchange weights:
///
/// ```
/// [8 bytes: N, the header's length, little-endian unsigned]
/// [N bytes: JSON header] {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
///                         "__metadata__": {"key": "value"}}
/// [the data section: each tensor's values, row-major, little-endian, at its data_offsets]
/// ```
///
/// Opening a file reads and validates the header only (see `SafetensorsHeader` for the
/// checks); `tensor(named:)` then reads one tensor's bytes, so a single tensor can be taken from
/// a large file. Every problem is a `FormatError` naming the file and, when it concerns one
/// tensor, the tensor.
public final class SafetensorsFile {
    /// The file's path, as the caller gave it.
    public let path: String
    /// The tensors, in the order their data lie in the file.
    public let entries: [SafetensorsEntry]
    /// The header's `__metadata__` map (empty if the file has none).
    public let metadata: [String: String]

    private let file: PosixFile
    private let dataStart: Int

    /// Opens `path` and reads and validates its header.
    public init(reading path: String) throws {
        let file = try PosixFile.openForReading(path)
        let size = try file.size()
        guard size >= 8 else {
            throw FormatError(file: path, "is \(size) bytes long, too short for a safetensors file (which starts with an 8-byte header length)")
        }
        let lengthBytes = try file.read(at: 0, count: 8)
        let length = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= UInt64(size - 8) else {
            throw FormatError(file: path, "header length \(length) runs past the end of the file (\(size) bytes); the file is truncated or not safetensors")
        }
        guard length <= UInt64(SafetensorsHeader.maximumLength) else {
            throw FormatError(file: path, "header length \(length) exceeds safetensors' limit of \(SafetensorsHeader.maximumLength) bytes")
        }
        let headerLength = Int(length)
        let header = try SafetensorsHeader.parse(try file.read(at: 8, count: headerLength),
                                                 dataSize: size - 8 - headerLength, file: path)
        self.path = path
        self.file = file
        self.dataStart = 8 + headerLength
        self.entries = header.entries
        self.metadata = header.metadata
    }

    /// The tensors' names, in the order their data lie in the file.
    public var names: [String] { entries.map(\.name) }

    /// The tensor `name`, converted to Float32 (see `SafetensorsDType` for what that costs).
    public func tensor(named name: String) throws -> Tensor {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw FormatError(file: path, object: "tensor \"\(name)\"", "is not in the file")
        }
        return try tensor(entry)
    }

    /// Every tensor, in the order their data lie in the file.
    public func tensors() throws -> [(name: String, tensor: Tensor)] {
        try entries.map { ($0.name, try tensor($0)) }
    }

    private func tensor(_ entry: SafetensorsEntry) throws -> Tensor {
        let count = entry.shape.reduce(1, *)  // validated with the header: count * 4 and count * byteCount fit
        let converting = entry.dtype == .F32 ? 0 : entry.dtype.byteCount
        try MemoryBudget.check(count: count, bytesPerValue: MemoryLayout<Float>.stride + converting,
                               for: "safetensors tensor \(path): \"\(entry.name)\" of shape \(describeShape(entry.shape)) (\(entry.dtype))")
        let scalars: [Float]
        if entry.dtype == .F32 && UInt32(littleEndian: 1) == 1 {
            // Stored exactly as this machine holds Float32: read straight into the tensor's storage.
            scalars = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                try file.read(at: dataStart + entry.dataOffsets.lowerBound, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        } else {
            let bytes = try file.read(at: dataStart + entry.dataOffsets.lowerBound, count: entry.dataOffsets.count)
            scalars = bytes.withUnsafeBytes { entry.dtype.decode($0, count: count) }
        }
        do {
            return try Tensor(shape: entry.shape, scalars: scalars)
        } catch {
            throw FormatError(file: path, object: "tensor \"\(entry.name)\"", "\(error)")
        }
    }

    /// Writes `tensors` as F32, in this order, with `metadata`, to `path` (atomically: see
    /// `AtomicWrite`). Names must be unique and must not be `__metadata__`.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws {
        var names = Set<String>()
        var entries: [SafetensorsEntry] = []
        var offset = 0
        for (name, tensor) in tensors {
            guard name != "__metadata__" else { throw FormatError(file: path, object: "tensor \"\(name)\"", "is a reserved name") }
            guard names.insert(name).inserted else { throw FormatError(file: path, object: "tensor \"\(name)\"", "appears twice") }
            entries.append(SafetensorsEntry(name: name, dtype: .F32, shape: tensor.shape, dataOffsets: offset..<offset + tensor.count * 4))
            offset += tensor.count * 4
        }
        let header = SafetensorsHeader.encode(entries, metadata: metadata)
        try AtomicWrite.write(path) { file in
            try file.write(withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init))
            try file.write(header)
            for (_, tensor) in tensors {
                try tensor.withUnsafeBufferPointer { values in
                    if UInt32(littleEndian: 1) == 1 {
                        try file.write(UnsafeRawBufferPointer(values))
                    } else {
                        try file.write(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
                    }
                }
            }
        }
    }
}
