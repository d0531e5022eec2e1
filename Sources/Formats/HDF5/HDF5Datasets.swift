@preconcurrency import CHDF5
import Engine
import Foundation

/// What a dataset holds, learnt without reading its values.
public struct HDF5DatasetInfo: Sendable, Equatable {
    /// The extent of each axis; `[]` for a scalar dataset.
    public var shape: [Int]
    /// The number type the values are stored as.
    public var elementType: HDF5ElementType
}

extension HDF5File {
    /// The shape and number type of the dataset `objectPath`.
    public func datasetInfo(_ objectPath: String) throws -> HDF5DatasetInfo {
        let absolute = try absolutePath(objectPath)
        return try HDF5Library.run {
            let dataset = try openDataset(absolute)
            return HDF5DatasetInfo(shape: try shape(of: dataset, absolute), elementType: try elementType(of: dataset, absolute))
        }
    }

    /// The whole dataset `objectPath` as a Float32 tensor of the dataset's shape, converted from
    /// whatever number type it is stored as (see `HDF5ElementType` for what that costs).
    public func readTensor(_ objectPath: String) throws -> Tensor {
        let absolute = try absolutePath(objectPath)
        return try HDF5Library.run {
            let dataset = try openDataset(absolute)
            let type = try elementType(of: dataset, absolute)
            let shape = try shape(of: dataset, absolute)
            let scalars = try readValues(of: dataset, absolute, as: type, count: try checkedCount(shape, type, absolute),
                                         memorySpace: HDF5Library.allOfSpace, fileSpace: HDF5Library.allOfSpace)
            return try tensor(shape, scalars, absolute)
        }
    }

    /// Writes `tensor` as a new dataset `objectPath`, stored as `elementType`, creating the
    /// groups above it as needed. A dataset or group already at that path is an error.
    ///
    /// Float32 and float64 keep every value exactly (NaN payloads, -0 and subnormals included).
    /// Integer types round each value to the nearest integer; a value that does not fit is an
    /// error naming its position. The data are stored in chunks of about 1 MiB, each with a
    /// Fletcher-32 checksum that HDF5 verifies on every read.
    public func write(_ tensor: Tensor, to objectPath: String, as elementType: HDF5ElementType = .float32) throws {
        let parts = try components(of: objectPath)
        let absolute = "/" + parts.joined(separator: "/")
        try requireWritable(absolute)
        guard !parts.isEmpty else { throw FormatError(file: path, object: absolute, "is the root group; a dataset needs a name") }
        try HDF5Library.run {
            try createGroups(parts.dropLast(), for: absolute)
            if let existing = try kind(of: absolute) {
                throw FormatError(file: path, object: absolute, "already exists (as a \(existing))")
            }
            // Convert before creating anything, so a value that does not fit leaves no dataset.
            let write = try converted(tensor.scalars, to: elementType.scalarType, absolute)
            let space = try dataspace(tensor.shape, absolute)
            let creation = try creationProperties(tensor.shape, elementType, absolute)
            let defaults = HDF5Library.defaultProperties
            guard let dataset = HDF5Handle(
                H5Dcreate2(try fileID(for: absolute), absolute, elementType.storageType, space.id, defaults, creation.id, defaults),
                close: H5Dclose)
            else { throw failure(absolute, "cannot create dataset") }
            guard tensor.count > 0 else { return }
            let status = write { buffer in
                H5Dwrite(dataset.id, elementType.memoryType, HDF5Library.allOfSpace, HDF5Library.allOfSpace, defaults, buffer)
            }
            guard status >= 0 else { throw failure(absolute, "cannot write dataset") }
        }
    }

    // MARK: - Shared with hyperslab reads

    /// Opens the dataset at an absolute path; a missing path or a group is an error.
    func openDataset(_ absolute: String) throws -> HDF5Handle {
        switch try kind(of: absolute) {
        case .dataset?:
            guard let dataset = HDF5Handle(H5Dopen2(try fileID(for: absolute), absolute, HDF5Library.defaultProperties),
                                           close: H5Dclose)
            else { throw failure(absolute, "cannot open dataset") }
            return dataset
        case nil: throw FormatError(file: path, object: absolute, "does not exist")
        case let other?: throw FormatError(file: path, object: absolute, "is a \(other), not a dataset")
        }
    }

    func elementType(of dataset: HDF5Handle, _ absolute: String) throws -> HDF5ElementType {
        guard let datatype = HDF5Handle(H5Dget_type(dataset.id), close: H5Tclose) else {
            throw failure(absolute, "cannot read the dataset's number type")
        }
        switch HDF5ElementType.of(datatype: datatype.id) {
        case .success(let type): return type
        case .failure(let described):
            throw FormatError(file: path, object: absolute, "holds \(described.words), which medsynth cannot read as numbers")
        }
    }

    func shape(of dataset: HDF5Handle, _ absolute: String) throws -> [Int] {
        guard let space = HDF5Handle(H5Dget_space(dataset.id), close: H5Sclose) else {
            throw failure(absolute, "cannot read the dataset's shape")
        }
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: return []
        case H5S_SIMPLE: break
        case H5S_NULL: throw FormatError(file: path, object: absolute, "is an empty (null) dataset and holds no values")
        default: throw failure(absolute, "has a shape HDF5 cannot describe")
        }
        let rank = Int(H5Sget_simple_extent_ndims(space.id))
        guard rank >= 0 else { throw failure(absolute, "cannot read the dataset's rank") }
        var dims = [hsize_t](repeating: 0, count: rank)
        guard H5Sget_simple_extent_dims(space.id, &dims, nil) >= 0 else { throw failure(absolute, "cannot read the dataset's shape") }
        guard dims.allSatisfy({ $0 <= hsize_t(Int.max) }) else {
            throw FormatError(file: path, object: absolute, "claims extents \(dims), too large to be real (the file may be damaged)")
        }
        return dims.map { Int($0) }
    }

    /// The number of values of `shape`, checked to fit in this machine's memory (a damaged file
    /// can claim any size, and an allocation that cannot succeed would end the process).
    func checkedCount(_ shape: [Int], _ type: HDF5ElementType, _ absolute: String) throws -> Int {
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw FormatError(file: path, object: absolute, "claims shape \(describeShape(shape)), too large to be real (the file may be damaged)")
            }
            count = product
        }
        let bytes = Double(count) * Double(max(4, type.byteCount))
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes < memory else {
            throw FormatError(file: path, object: absolute,
                "has shape \(describeShape(shape)), which needs \(Int(bytes)) bytes, more than this machine's memory (\(Int(memory)))")
        }
        return count
    }

    /// Reads `count` values selected by `memorySpace`/`fileSpace` and converts them to Float32.
    func readValues(of dataset: HDF5Handle, _ absolute: String, as type: HDF5ElementType, count: Int,
                    memorySpace: hid_t, fileSpace: hid_t) throws -> [Float] {
        guard count > 0 else { return [] }
        return try readConverted(type.scalarType, count: count, absolute) { buffer in
            H5Dread(dataset.id, type.memoryType, memorySpace, fileSpace, HDF5Library.defaultProperties, buffer)
        }
    }

    private func readConverted<T: HDF5Scalar>(
        _: T.Type, count: Int, _ absolute: String, _ read: (UnsafeMutableRawPointer?) -> herr_t
    ) throws -> [Float] {
        var status: herr_t = 0
        let stored = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = read(UnsafeMutableRawPointer(buffer.baseAddress))
            initialized = count  // plain numbers; on failure they are discarded below
        }
        guard status >= 0 else { throw failure(absolute, "cannot read the dataset's values; the file may be truncated or damaged") }
        if let floats = stored as? [Float] { return floats }
        return stored.map(\.floatValue)
    }

    /// `scalars` converted to `T`, held by the returned function, which passes their bytes to
    /// an HDF5 write. (Returning `[T]` itself would erase `T` when the caller names the type
    /// through `any HDF5Scalar.Type`, and hand HDF5 boxed values instead of numbers.)
    private func converted<T: HDF5Scalar>(
        _ scalars: [Float], to _: T.Type, _ absolute: String
    ) throws -> ((UnsafeRawPointer?) -> herr_t) -> herr_t {
        var stored: [T] = []
        stored.reserveCapacity(scalars.count)
        for (index, value) in scalars.enumerated() {
            guard let number = T.converting(value) else {
                throw FormatError(file: path, object: absolute, "value \(value) at flat index \(index) does not fit in \(T.self)")
            }
            stored.append(number)
        }
        return { write in stored.withUnsafeBytes { write($0.baseAddress) } }
    }

    func tensor(_ shape: [Int], _ scalars: [Float], _ absolute: String) throws -> Tensor {
        do {
            return try Tensor(shape: shape, scalars: scalars)
        } catch {
            throw FormatError(file: path, object: absolute, "\(error)")
        }
    }

    /// A dataspace of `shape`: scalar for `[]`, simple otherwise.
    func dataspace(_ shape: [Int], _ absolute: String) throws -> HDF5Handle {
        let dims = shape.map { hsize_t($0) }
        let id = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), dims, nil)
        guard let space = HDF5Handle(id, close: H5Sclose) else { throw failure(absolute, "cannot describe shape \(describeShape(shape))") }
        return space
    }

    /// Chunked layout with a Fletcher-32 checksum per chunk. A scalar or empty dataset cannot
    /// be chunked (and has nothing to protect), so it keeps the default contiguous layout.
    private func creationProperties(_ shape: [Int], _ type: HDF5ElementType, _ absolute: String) throws -> HDF5Handle {
        guard let creation = HDF5Handle(H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g), close: H5Pclose) else {
            throw failure(absolute, "cannot set up dataset-creation properties")
        }
        guard !shape.isEmpty, !shape.contains(0) else { return creation }
        let chunk = HDF5File.chunkShape(shape, byteCount: type.byteCount).map { hsize_t($0) }
        guard H5Pset_chunk(creation.id, Int32(chunk.count), chunk) >= 0, H5Pset_fletcher32(creation.id) >= 0 else {
            throw failure(absolute, "cannot set up chunked storage")
        }
        return creation
    }

    /// A chunk of at most about 1 MiB: the whole dataset if it is small, otherwise the leading
    /// axes halved until it fits, so that a chunk holds whole rows (whole images of an NCHW
    /// stack) and a slice along the first axis reads few chunks.
    static func chunkShape(_ shape: [Int], byteCount: Int, limit: Int = 1 << 20) -> [Int] {
        var chunk = shape
        while chunk.reduce(byteCount, *) > limit, let axis = chunk.firstIndex(where: { $0 > 1 }) {
            chunk[axis] = (chunk[axis] + 1) / 2
        }
        return chunk
    }
}
