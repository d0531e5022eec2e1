@preconcurrency import CHDF5

/// The value of an HDF5 attribute: a small named value attached to a file, group or dataset.
///
/// Integers are stored as 64-bit signed, doubles as 64-bit IEEE, both little-endian; strings as
/// fixed-length UTF-8. A single value is stored with a scalar shape and an array with a
/// one-dimensional shape, so `.integer(3)` and `.integers([3])` stay distinct through a file.
/// Reading accepts any integer or floating-point attribute (converted to Int or Double) and
/// fixed- or variable-length strings, as h5py and other tools write them.
public enum HDF5AttributeValue: Sendable, Equatable, CustomStringConvertible {
    /// A UTF-8 string.
    case string(String)
    /// One integer.
    case integer(Int)
    /// One floating-point number.
    case double(Double)
    /// A one-dimensional array of integers.
    case integers([Int])
    /// A one-dimensional array of floating-point numbers.
    case doubles([Double])

    /// The value as messages show it: `"text"`, `3`, `0.5`, `[32, 64]`.
    public var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .integer(let number): String(number)
        case .double(let number): String(number)
        case .integers(let numbers): "\(numbers)"
        case .doubles(let numbers): "\(numbers)"
        }
    }
}

extension HDF5File {
    /// The names of the attributes of the object `objectPath` (the root group by default), in
    /// alphabetical order.
    public func attributeNames(of objectPath: String = "/") throws -> [String] {
        let absolute = try absolutePath(objectPath)
        return try HDF5Library.run {
            let object = try openObject(absolute)
            var info = H5O_info_t()
            guard H5Oget_info2(object.id, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else {
                throw failure(absolute, "cannot count its attributes")
            }
            return try (0..<info.num_attrs).map { index in
                try readName(of: absolute) { buffer, size in
                    H5Aget_name_by_idx(object.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size,
                                       HDF5Library.defaultProperties)
                }
            }
        }
    }

    /// The attribute `name` of the object `objectPath` (the root group by default). A missing
    /// attribute, or one that is not a number, numbers or a string, is an error.
    public func attribute(_ name: String, of objectPath: String = "/") throws -> HDF5AttributeValue {
        let absolute = try absolutePath(objectPath)
        return try HDF5Library.run {
            let object = try openObject(absolute)
            let label = "\(absolute) attribute \"\(name)\""
            let exists = H5Aexists(object.id, name)
            guard exists >= 0 else { throw failure(label, "cannot be looked up") }
            guard exists > 0 else {
                let present = try attributeNames(of: absolute)
                throw FormatError(file: path, object: label,
                    "does not exist (\(present.isEmpty ? "the object has no attributes" : "present: " + present.joined(separator: ", ")))")
            }
            guard let attribute = HDF5Handle(H5Aopen(object.id, name, HDF5Library.defaultProperties), close: H5Aclose),
                  let datatype = HDF5Handle(H5Aget_type(attribute.id), close: H5Tclose),
                  let space = HDF5Handle(H5Aget_space(attribute.id), close: H5Sclose)
            else { throw failure(label, "cannot be opened") }
            return try readAttribute(attribute, datatype, space, label)
        }
    }

    /// Sets the attribute `name` of the object `objectPath` (the root group by default) to
    /// `value`, replacing an attribute of that name.
    public func setAttribute(_ name: String, to value: HDF5AttributeValue, on objectPath: String = "/") throws {
        let absolute = try absolutePath(objectPath)
        let label = "\(absolute) attribute \"\(name)\""
        try requireWritable(label)
        guard !name.isEmpty, !name.contains("\0") else {
            throw FormatError(file: path, object: label, "is not a valid attribute name (it must be non-empty, without NUL)")
        }
        try HDF5Library.run {
            let object = try openObject(absolute)
            let exists = H5Aexists(object.id, name)
            guard exists >= 0, exists == 0 || H5Adelete(object.id, name) >= 0 else { throw failure(label, "cannot be replaced") }
            switch value {
            case .string(let text):
                guard !text.utf8.contains(0) else { throw FormatError(file: path, object: label, "strings cannot contain NUL characters") }
                let bytes = Array(text.utf8)
                let type = try stringType(size: max(1, bytes.count), label)
                try createAttribute(object, name, type.id, type.id, shape: [], label, bytes + [0])
            case .integer(let number):
                try createAttribute(object, name, H5T_STD_I64LE_g, H5T_NATIVE_INT64_g, shape: [], label, [Int64(number)])
            case .integers(let numbers):
                try createAttribute(object, name, H5T_STD_I64LE_g, H5T_NATIVE_INT64_g, shape: [numbers.count], label,
                                    numbers.map(Int64.init))
            case .double(let number):
                try createAttribute(object, name, H5T_IEEE_F64LE_g, H5T_NATIVE_DOUBLE_g, shape: [], label, [number])
            case .doubles(let numbers):
                try createAttribute(object, name, H5T_IEEE_F64LE_g, H5T_NATIVE_DOUBLE_g, shape: [numbers.count], label, numbers)
            }
        }
    }

    // MARK: - Helpers

    private func createAttribute<T>(_ object: HDF5Handle, _ name: String, _ storageType: hid_t, _ memoryType: hid_t,
                                    shape: [Int], _ label: String, _ values: [T]) throws {
        let space = try dataspace(shape, label)
        let defaults = HDF5Library.defaultProperties
        guard let attribute = HDF5Handle(H5Acreate2(object.id, name, storageType, space.id, defaults, defaults), close: H5Aclose)
        else { throw failure(label, "cannot be created") }
        guard !values.isEmpty else { return }  // an empty array is complete once created
        let status = values.withUnsafeBytes { H5Awrite(attribute.id, memoryType, $0.baseAddress) }
        guard status >= 0 else { throw failure(label, "cannot be written") }
    }

    /// A fixed-length string type of `size` bytes, UTF-8, padded with NULs. (Fixed length keeps
    /// the string inside the attribute's checksummed object header; a variable-length string
    /// would live in the global heap, which has no checksum.)
    private func stringType(size: Int, _ label: String) throws -> HDF5Handle {
        guard let type = HDF5Handle(H5Tcopy(H5T_C_S1_g), close: H5Tclose),
              H5Tset_size(type.id, size) >= 0,
              H5Tset_cset(type.id, H5T_CSET_UTF8) >= 0,
              H5Tset_strpad(type.id, H5T_STR_NULLPAD) >= 0
        else { throw failure(label, "cannot describe a string type") }
        return type
    }

    private func readAttribute(_ attribute: HDF5Handle, _ datatype: HDF5Handle, _ space: HDF5Handle,
                               _ label: String) throws -> HDF5AttributeValue {
        let isScalar: Bool
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: isScalar = true
        case H5S_SIMPLE: isScalar = false
        default: throw FormatError(file: path, object: label, "is empty (a null dataspace)")
        }
        // A damaged file can claim any number of values; check the claim against the bytes
        // the file holds for the attribute before allocating memory for them.
        let points = H5Sget_simple_extent_npoints(space.id)
        let stored = Double(H5Aget_storage_size(attribute.id))
        let isVariableString = H5Tis_variable_str(datatype.id) > 0
        guard points >= 0, isVariableString || Double(points) * Double(H5Tget_size(datatype.id)) <= stored else {
            throw failure(label, "claims \(points) values of \(H5Tget_size(datatype.id)) bytes, more than the \(Int(stored)) bytes "
                + "the file holds for it (the file may be damaged)")
        }
        let count = Int(points)
        switch H5Tget_class(datatype.id) {
        case H5T_INTEGER:
            let numbers = try readIntegers(attribute, datatype, count, label)
            return isScalar ? .integer(numbers.first ?? 0) : .integers(numbers)
        case H5T_FLOAT:
            let numbers: [Double] = try readAttributeValues(attribute, H5T_NATIVE_DOUBLE_g, count, label)
            return isScalar ? .double(numbers.first ?? 0) : .doubles(numbers)
        case H5T_STRING:
            guard count == 1 else { throw FormatError(file: path, object: label, "is an array of \(count) strings; medsynth reads single strings") }
            return .string(try readString(attribute, datatype, label))
        default:
            throw FormatError(file: path, object: label, "is neither numbers nor a string")
        }
    }

    /// Any integer attribute as Ints. Unsigned 64-bit values are read as such, so that one
    /// beyond Int.max is reported rather than clipped by HDF5's conversion.
    private func readIntegers(_ attribute: HDF5Handle, _ datatype: HDF5Handle, _ count: Int, _ label: String) throws -> [Int] {
        guard H5Tget_size(datatype.id) == 8 && H5Tget_sign(datatype.id) == H5T_SGN_NONE else {
            let numbers: [Int64] = try readAttributeValues(attribute, H5T_NATIVE_INT64_g, count, label)
            return numbers.map { Int($0) }
        }
        let numbers: [UInt64] = try readAttributeValues(attribute, H5T_NATIVE_UINT64_g, count, label)
        if let big = numbers.first(where: { $0 > UInt64(Int.max) }) {
            throw FormatError(file: path, object: label, "holds \(big), beyond the largest Int")
        }
        return numbers.map { Int($0) }
    }

    private func readAttributeValues<T>(_ attribute: HDF5Handle, _ memoryType: hid_t, _ count: Int, _ label: String) throws -> [T] {
        guard count > 0 else { return [] }
        var status: herr_t = 0
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = H5Aread(attribute.id, memoryType, buffer.baseAddress)
            initialized = count  // plain numbers; on failure they are discarded below
        }
        guard status >= 0 else { throw failure(label, "cannot be read") }
        return values
    }

    /// A string attribute, read with its own datatype as the memory type: HDF5 does not convert
    /// between character sets (ASCII and UTF-8), so asking for UTF-8 would refuse an ASCII string.
    private func readString(_ attribute: HDF5Handle, _ datatype: HDF5Handle, _ label: String) throws -> String {
        if H5Tis_variable_str(datatype.id) > 0 {
            var pointer: UnsafeMutablePointer<CChar>?
            guard H5Aread(attribute.id, datatype.id, &pointer) >= 0 else { throw failure(label, "cannot be read") }
            defer { H5free_memory(pointer) }
            return pointer.map { String(cString: $0) } ?? ""
        }
        let size = H5Tget_size(datatype.id)  // checked against the stored size by the caller
        guard size > 0 else { throw failure(label, "has a string type of no size (the file may be damaged)") }
        var bytes = [UInt8](repeating: 0, count: size)
        guard H5Aread(attribute.id, datatype.id, &bytes) >= 0 else { throw failure(label, "cannot be read") }
        var text = bytes.prefix { $0 != 0 }
        if H5Tget_strpad(datatype.id) == H5T_STR_SPACEPAD {
            while text.last == 0x20 { text.removeLast() }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
