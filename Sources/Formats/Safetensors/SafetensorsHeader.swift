import Engine

/// One tensor as a safetensors header describes it.
public struct SafetensorsEntry: Sendable, Equatable {
    /// The tensor's name, for example "down.0.res.1.conv1.weight".
    public var name: String
    /// How its values are stored.
    public var dtype: SafetensorsDType
    /// The extent of each axis; `[]` for a scalar.
    public var shape: [Int]
    /// Where its bytes lie, counted from the start of the data section (after the header).
    public var dataOffsets: Range<Int>
}

/// The JSON header of a safetensors file: each tensor's dtype, shape and byte range, and a
/// free-form string-to-string `__metadata__` map.
///
/// Parsing validates everything a reader later relies on, as the reference implementation
/// does: known dtypes, non-negative integer shapes, a byte range of exactly the size that dtype
/// and shape need, and ranges that tile the data section: sorted by offset, each tensor starts
/// where the previous ends, and the last ends at the end of the file. Overlapping tensors,
/// gaps and trailing bytes are all errors.
struct SafetensorsHeader {
    /// The tensors, in the order of their data.
    var entries: [SafetensorsEntry]
    /// The `__metadata__` map (empty if absent).
    var metadata: [String: String]

    /// Safetensors refuses headers beyond 100 MB; so does medsynth, before reading one.
    static let maximumLength = 100_000_000

    /// Parses `json` (the header's bytes) for a file whose data section holds `dataSize` bytes.
    static func parse(_ json: [UInt8], dataSize: Int, file: String) throws -> SafetensorsHeader {
        let root: JSONValue
        do {
            root = try JSONParser.parse(json)
        } catch let failure as JSONParser.Failure {
            throw FormatError(file: file, "the header is not valid JSON: \(failure.message) (at byte \(failure.offset) of the header)")
        }
        guard case .object(let members) = root else {
            throw FormatError(file: file, "the header is \(root.kindDescription), not a JSON object")
        }
        var entries: [SafetensorsEntry] = []
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try parseMetadata(value, file: file)
            } else {
                entries.append(try parseEntry(name, value, file: file))
            }
        }
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        try checkTiling(entries, dataSize: dataSize, file: file)
        return SafetensorsHeader(entries: entries, metadata: metadata)
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw FormatError(file: file, object: "__metadata__", "is \(value.kindDescription), not an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw FormatError(file: file, object: "__metadata__", "value of \"\(key)\" is \(item.kindDescription), not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(_ name: String, _ value: JSONValue, file: String) throws -> SafetensorsEntry {
        let object = "tensor \"\(name)\""
        func fail(_ message: String) -> FormatError { FormatError(file: file, object: object, message) }
        guard case .object(let members) = value else { throw fail("is \(value.kindDescription), not an object") }
        let fields = Dictionary(members, uniquingKeysWith: { first, _ in first })
        if let unknown = members.first(where: { !["dtype", "shape", "data_offsets"].contains($0.key) }) {
            throw fail("has an unknown field \"\(unknown.key)\" (expected dtype, shape and data_offsets)")
        }
        guard case .string(let dtypeName)? = fields["dtype"] else { throw fail("needs a \"dtype\" string") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw fail("has dtype \(dtypeName), which medsynth does not read (it reads "
                + SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        guard case .array(let extents)? = fields["shape"] else { throw fail("needs a \"shape\" array") }
        let shape = try extents.map { extent -> Int in
            guard let value = extent.integer, value >= 0 else { throw fail("has shape entry \(extent.serialized), not a non-negative integer") }
            return value
        }
        guard case .array(let offsets)? = fields["data_offsets"], offsets.count == 2,
              let begin = offsets[0].integer, let end = offsets[1].integer else {
            throw fail("needs \"data_offsets\" of two integers [begin, end]")
        }
        guard begin >= 0, begin <= end else { throw fail("has data_offsets [\(begin), \(end)], not a range of bytes") }
        // The size dtype and shape need, without overflow (a lying header can claim any shape):
        // [0, 2^62, 2^62] needs no bytes, but no tensor can have that shape, and it would trap
        // at the first operation.
        guard let count = Tensor.countIfCountable(shape, bytesPerValue: dtype.byteCount) else {
            throw fail("has shape \(describeShape(shape)), too large to be real")
        }
        let needed = count * dtype.byteCount
        guard needed == end - begin else {
            throw fail("dtype \(dtype) and shape \(describeShape(shape)) need \(needed) bytes, but data_offsets [\(begin), \(end)] give \(end - begin)")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Checks that the sorted ranges tile 0..<dataSize exactly.
    private static func checkTiling(_ entries: [SafetensorsEntry], dataSize: Int, file: String) throws {
        var end = 0
        var previous: String?
        for entry in entries {
            let range = entry.dataOffsets
            let object = "tensor \"\(entry.name)\""
            guard range.upperBound <= dataSize else {
                throw FormatError(file: file, object: object,
                    "data_offsets [\(range.lowerBound), \(range.upperBound)] run past the end of the data section (\(dataSize) bytes)")
            }
            if range.lowerBound < end, let previous {
                throw FormatError(file: file, object: object,
                    "data_offsets [\(range.lowerBound), \(range.upperBound)] overlap tensor \"\(previous)\", which ends at \(end)")
            }
            if range.lowerBound > end {
                throw FormatError(file: file, object: object,
                    "data_offsets [\(range.lowerBound), \(range.upperBound)] leave bytes \(end)..<\(range.lowerBound) of the data section unused")
            }
            end = range.upperBound
            previous = entry.name
        }
        guard end == dataSize else {
            throw FormatError(file: file, "the data section holds \(dataSize) bytes but the tensors use only \(end)")
        }
    }

    /// The header's bytes for `entries` (in this order) and `metadata`, padded with spaces to a
    /// multiple of 8 bytes as the reference writer does, so that the data that follows is aligned.
    static func encode(_ entries: [SafetensorsEntry], metadata: [String: String]) -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        for entry in entries {
            members.append((entry.name, .object([
                ("dtype", .string(entry.dtype.rawValue)),
                ("shape", .array(entry.shape.map { .number(String($0)) })),
                ("data_offsets", .array([.number(String(entry.dataOffsets.lowerBound)), .number(String(entry.dataOffsets.upperBound))])),
            ])))
        }
        var bytes = Array(JSONValue.object(members).serialized.utf8)
        bytes += [UInt8](repeating: 0x20, count: (8 - bytes.count % 8) % 8)
        return bytes
    }
}
