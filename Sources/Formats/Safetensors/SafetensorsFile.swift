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

    private let file: Source
    private let dataStart: Int

    /// Where the bytes are: an open file, or bytes already in memory.
    private enum Source {
        case file(PosixFile)
        case bytes([UInt8])

        func size() throws -> Int {
            switch self {
            case .file(let file): return try file.size()
            case .bytes(let bytes): return bytes.count
            }
        }

        /// Fills `buffer` from `offset`; the caller has checked that the range lies in the file.
        func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer, path: String) throws {
            switch self {
            case .file(let file): try file.read(at: offset, into: buffer)
            case .bytes(let bytes):
                guard offset >= 0, offset <= bytes.count, buffer.count <= bytes.count - offset else {
                    throw FormatError(file: path, "is truncated: expected \(buffer.count) bytes at offset \(offset)")
                }
                bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + buffer.count])) }
            }
        }

        func read(at offset: Int, count: Int, path: String) throws -> [UInt8] {
            try MemoryBudget.check(bytes: count, for: "reading \(path)")
            return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer), path: path)
                initialized = count
            }
        }
    }

    /// Opens `path` and reads and validates its header.
    public convenience init(reading path: String) throws {
        try self.init(.file(try PosixFile.openForReading(path)), path: path)
    }

    /// The safetensors file whose bytes are `bytes` (read and checked by the caller, as the
    /// cache checks an entry against its checksum), named `path` in messages.
    public convenience init(bytes: [UInt8], path: String) throws {
        try self.init(.bytes(bytes), path: path)
    }

    private init(_ file: Source, path: String) throws {
        let size = try file.size()
        guard size >= 8 else {
            throw FormatError(file: path, "is \(size) bytes long, too short for a safetensors file (which starts with an 8-byte header length)")
        }
        let lengthBytes = try file.read(at: 0, count: 8, path: path)
        let length = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= UInt64(size - 8) else {
            throw FormatError(file: path, "header length \(length) runs past the end of the file (\(size) bytes); the file is truncated or not safetensors")
        }
        guard length <= UInt64(SafetensorsHeader.maximumLength) else {
            throw FormatError(file: path, "header length \(length) exceeds safetensors' limit of \(SafetensorsHeader.maximumLength) bytes")
        }
        let headerLength = Int(length)
        let header = try SafetensorsHeader.parse(try file.read(at: 8, count: headerLength, path: path),
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
                try file.read(at: dataStart + entry.dataOffsets.lowerBound, into: UnsafeMutableRawBufferPointer(buffer), path: path)
                initialized = count
            }
        } else {
            let bytes = try file.read(at: dataStart + entry.dataOffsets.lowerBound, count: entry.dataOffsets.count, path: path)
            scalars = bytes.withUnsafeBytes { entry.dtype.decode($0, count: count) }
        }
        do {
            return try Tensor(shape: entry.shape, scalars: scalars)
        } catch {
            throw FormatError(file: path, object: "tensor \"\(entry.name)\"", "\(error)")
        }
    }

    /// The longest header safetensors reads (100 MB); `write` refuses to write a longer one.
    public static let maximumHeaderLength = SafetensorsHeader.maximumLength

    /// The length of the header `write` would write for `tensors` and `metadata`.
    public static func headerLength(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws -> Int {
        try header(tensors, metadata: metadata, path: "").count
    }

    private static func header(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String], path: String) throws -> [UInt8] {
        var names = Set<String>()
        var entries: [SafetensorsEntry] = []
        var offset = 0
        for (name, tensor) in tensors {
            guard name != "__metadata__" else { throw FormatError(file: path, object: "tensor \"\(name)\"", "is a reserved name") }
            guard names.insert(name).inserted else { throw FormatError(file: path, object: "tensor \"\(name)\"", "appears twice") }
            entries.append(SafetensorsEntry(name: name, dtype: .F32, shape: tensor.shape, dataOffsets: offset..<offset + tensor.count * 4))
            offset += tensor.count * 4
        }
        return SafetensorsHeader.encode(entries, metadata: metadata)
    }

    /// Writes `tensors` as F32, in this order, with `metadata`, to `path` (atomically: see
    /// `AtomicWrite`, also for `durable`). Names must be unique and must not be `__metadata__`.
    /// The values go to the file straight from the tensors' storage: no copy of them is made.
    ///
    /// `observe`, if given, sees every byte written, in order (to hash the file as it is
    /// written, rather than read it back).
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String, durable: Bool = true,
        observe: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) throws {
        let header = try header(tensors, metadata: metadata, path: path)
        guard header.count <= maximumHeaderLength else {
            throw FormatError(file: path, "would have a header of \(header.count) bytes, more than safetensors allows (\(maximumHeaderLength))")
        }
        try AtomicWrite.write(path, durable: durable) { file in
            func write(_ bytes: UnsafeRawBufferPointer) throws {
                try file.write(bytes)
                observe?(bytes)
            }
            try withUnsafeBytes(of: UInt64(header.count).littleEndian) { try write($0) }
            try header.withUnsafeBytes { try write($0) }
            for (_, tensor) in tensors {
                try tensor.withUnsafeBufferPointer { values in
                    if UInt32(littleEndian: 1) == 1 {
                        try write(UnsafeRawBufferPointer(values))
                    } else {
                        try values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }.withUnsafeBytes { try write($0) }
                    }
                }
            }
        }
    }
}
