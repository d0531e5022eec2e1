@preconcurrency import CHDF5

/// The number types of HDF5 datasets that medsynth reads into, and writes from, Float32 tensors.
///
/// Reading converts every value to Float32 (rounding to nearest). Float32 holds every integer
/// up to 2^24 = 16,777,216 exactly; int32, uint32, int64 and uint64 values beyond that lose
/// precision, and float64 values lose precision beyond Float32's 24-bit significand (and become
/// infinite beyond its range, about 3.4e38). Writing as an integer type rounds each value to
/// the nearest integer (ties to even, as NumPy's `rint`); a NaN, an infinity or a value outside
/// the type's range is an error, never a silent wrap-around.
public enum HDF5ElementType: String, CaseIterable, Sendable {
    /// IEEE 754 floating point, 32 and 64 bits.
    case float32, float64
    /// Two's-complement signed integers of 8 to 64 bits.
    case int8, int16, int32, int64
    /// Unsigned integers of 8 to 64 bits.
    case uint8, uint16, uint32, uint64

    /// The size of one value in bytes.
    public var byteCount: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// The type as stored in files medsynth writes: little-endian, standard layout.
    var storageType: hid_t {
        switch self {
        case .float32: H5T_IEEE_F32LE_g
        case .float64: H5T_IEEE_F64LE_g
        case .int8: H5T_STD_I8LE_g
        case .int16: H5T_STD_I16LE_g
        case .int32: H5T_STD_I32LE_g
        case .int64: H5T_STD_I64LE_g
        case .uint8: H5T_STD_U8LE_g
        case .uint16: H5T_STD_U16LE_g
        case .uint32: H5T_STD_U32LE_g
        case .uint64: H5T_STD_U64LE_g
        }
    }

    /// The type as held in this machine's memory; HDF5 converts byte order between the two.
    var memoryType: hid_t {
        switch self {
        case .float32: H5T_NATIVE_FLOAT_g
        case .float64: H5T_NATIVE_DOUBLE_g
        case .int8: H5T_NATIVE_INT8_g
        case .int16: H5T_NATIVE_INT16_g
        case .int32: H5T_NATIVE_INT32_g
        case .int64: H5T_NATIVE_INT64_g
        case .uint8: H5T_NATIVE_UINT8_g
        case .uint16: H5T_NATIVE_UINT16_g
        case .uint32: H5T_NATIVE_UINT32_g
        case .uint64: H5T_NATIVE_UINT64_g
        }
    }

    /// The Swift type that holds one value in memory.
    var scalarType: any HDF5Scalar.Type {
        switch self {
        case .float32: Float.self
        case .float64: Double.self
        case .int8: Int8.self
        case .int16: Int16.self
        case .int32: Int32.self
        case .int64: Int64.self
        case .uint8: UInt8.self
        case .uint16: UInt16.self
        case .uint32: UInt32.self
        case .uint64: UInt64.self
        }
    }

    /// The element type of an HDF5 datatype, or a description of it for an error message if
    /// medsynth cannot read it as numbers.
    static func of(datatype: hid_t) -> Result<HDF5ElementType, DescribedType> {
        let size = H5Tget_size(datatype)
        switch H5Tget_class(datatype) {
        case H5T_FLOAT:
            switch size {
            case 4: return .success(.float32)
            case 8: return .success(.float64)
            default: return .failure(DescribedType("a \(size)-byte floating-point type"))
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(datatype) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .success(.int8)
            case (2, true): return .success(.int16)
            case (4, true): return .success(.int32)
            case (8, true): return .success(.int64)
            case (1, false): return .success(.uint8)
            case (2, false): return .success(.uint16)
            case (4, false): return .success(.uint32)
            case (8, false): return .success(.uint64)
            default: return .failure(DescribedType("a \(size)-byte integer type"))
            }
        case H5T_STRING: return .failure(DescribedType("strings"))
        case H5T_COMPOUND: return .failure(DescribedType("compound records"))
        case H5T_ENUM: return .failure(DescribedType("enumerated values (h5py stores booleans so)"))
        case H5T_ARRAY: return .failure(DescribedType("an array type"))
        case H5T_VLEN: return .failure(DescribedType("variable-length sequences"))
        case H5T_REFERENCE: return .failure(DescribedType("object references"))
        case H5T_OPAQUE: return .failure(DescribedType("opaque bytes"))
        case H5T_BITFIELD: return .failure(DescribedType("bit fields"))
        default: return .failure(DescribedType("a type HDF5 cannot describe (the file may be damaged)"))
        }
    }

    /// An HDF5 datatype medsynth does not read, in words.
    struct DescribedType: Error {
        let words: String
        init(_ words: String) { self.words = words }
    }
}

/// A number type as stored in a dataset, with its conversions to and from Float32.
protocol HDF5Scalar {
    /// The value as Float32, rounded to nearest.
    var floatValue: Float { get }
    /// `value` converted to this type, or nil if it cannot be (see `HDF5ElementType`).
    static func converting(_ value: Float) -> Self?
}

extension HDF5Scalar where Self: FixedWidthInteger {
    var floatValue: Float { Float(self) }
    static func converting(_ value: Float) -> Self? { Self(exactly: value.rounded(.toNearestOrEven)) }
}

extension Float: HDF5Scalar {
    var floatValue: Float { self }
    static func converting(_ value: Float) -> Float? { value }
}

extension Double: HDF5Scalar {
    var floatValue: Float { Float(self) }
    static func converting(_ value: Float) -> Double? { Double(value) }
}

extension Int8: HDF5Scalar {}
extension Int16: HDF5Scalar {}
extension Int32: HDF5Scalar {}
extension Int64: HDF5Scalar {}
extension UInt8: HDF5Scalar {}
extension UInt16: HDF5Scalar {}
extension UInt32: HDF5Scalar {}
extension UInt64: HDF5Scalar {}
