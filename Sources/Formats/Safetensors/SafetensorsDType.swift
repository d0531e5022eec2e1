/// The element types of safetensors files, by their names in the header, and how each one's
/// little-endian bytes become Float32 values.
///
/// F32 and BF16 convert exactly (every bit of a BF16 is the top half of a Float32), F16 too (a
/// Float32 holds every half-precision value, subnormals included). F64 rounds to the nearest
/// Float32 (overflowing to infinity); integers beyond 2^24 = 16,777,216 in magnitude (I32, I64,
/// U32, U64) round to the nearest Float32 and lose precision. BOOL reads as 0 and 1.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    /// IEEE 754 floating point of 64, 32 and 16 bits, and bfloat16 (the top 16 bits of a Float32).
    case F64, F32, F16, BF16
    /// Two's-complement signed integers of 64 to 8 bits.
    case I64, I32, I16, I8
    /// Unsigned integers of 64 to 8 bits.
    case U64, U32, U16, U8
    /// Booleans, one byte each.
    case BOOL

    /// The size of one value in bytes.
    public var byteCount: Int {
        switch self {
        case .I8, .U8, .BOOL: 1
        case .F16, .BF16, .I16, .U16: 2
        case .F32, .I32, .U32: 4
        case .F64, .I64, .U64: 8
        }
    }

    /// Converts `count` values stored little-endian in `bytes` to Float32.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { floats, initialized in
            for i in 0..<count {
                floats[i] = decodeValue(bytes, at: i * byteCount)
            }
            initialized = count
        }
    }

    private func decodeValue(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Float {
        switch self {
        case .F64: Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
        case .F32: Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .F16: SafetensorsDType.float(fromHalf: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .BF16: Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) << 16)
        case .I64: Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
        case .I32: Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        case .I16: Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        case .I8: Float(Int8(bitPattern: bytes[offset]))
        case .U64: Float(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        case .U32: Float(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .U16: Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .U8: Float(bytes[offset])
        case .BOOL: bytes[offset] == 0 ? 0 : 1
        }
    }

    /// An IEEE 754 half-precision value (1 sign bit, 5 exponent bits biased by 15, 10 fraction
    /// bits) as Float32 (8 exponent bits biased by 127, 23 fraction bits), exactly.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let fraction = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction * 2^-24, which Float32 holds as a normal number.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity or NaN; a NaN keeps its payload in the top fraction bits.
            return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
        default:
            // Normal: rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | (exponent + 112) << 23 | fraction << 13)
        }
    }
}
