/// The NIfTI-1 `datatype` codes medsynth reads (nifti1.h, `NIFTI_TYPE_*`); of these it writes
/// `int16` and `float32`.
public enum NIfTIDataType: Int16, Sendable, CaseIterable {
    case uint8 = 2
    case int16 = 4
    case int32 = 8
    case float32 = 16
    case float64 = 64
    case int8 = 256
    case uint16 = 512
    case uint32 = 768

    /// Bytes per voxel, which the header's `bitpix` must agree with (times 8).
    public var byteCount: Int {
        switch self {
        case .uint8, .int8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .float64: 8
        }
    }

    /// Converts `count` voxels starting at `bytes` (in the file's byte order) to Float.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int, bigEndian: Bool, into values: UnsafeMutableBufferPointer<Float>) {
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            let raw = bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
        }
        for i in 0..<count {
            switch self {
            case .uint8: values[i] = Float(bytes[i])
            case .int8: values[i] = Float(Int8(bitPattern: bytes[i]))
            case .int16: values[i] = Float(load(Int16.self, i))
            case .uint16: values[i] = Float(load(UInt16.self, i))
            case .int32: values[i] = Float(load(Int32.self, i))
            case .uint32: values[i] = Float(load(UInt32.self, i))
            case .float32: values[i] = Float(bitPattern: load(UInt32.self, i))
            case .float64: values[i] = Float(Double(bitPattern: load(UInt64.self, i)))
            }
        }
    }
}
