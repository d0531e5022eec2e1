@preconcurrency import CHDF5
import Engine

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
            let dataset = try openObject(absolute, expecting: .dataset)
            return HDF5DatasetInfo(shape: try shape(of: dataset, absolute), elementType: try elementType(of: dataset, absolute))
        }
    }

    /// The whole dataset `objectPath` as a Float32 tensor of the dataset's shape, converted from
    /// whatever number type it is stored as (see `HDF5ElementType` for what that costs).
    public func readTensor(_ objectPath: String) throws -> Tensor {
        let absolute = try absolutePath(objectPath)
        return try HDF5Library.run {
            let dataset = try openObject(absolute, expecting: .dataset)
            let type = try elementType(of: dataset, absolute)
            let shape = try shape(of: dataset, absolute)
            try checkStoredSize(dataset, shape, type, absolute)
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
    /// error naming its position. Every value is covered by a checksum that HDF5 verifies when
    /// it reads it (see `creationProperties`), so damage shows up as an error, not as numbers.
    public func write(_ tensor: Tensor, to objectPath: String, as elementType: HDF5ElementType = .float32) throws {
        let parts = try components(of: objectPath)
        let absolute = "/" + parts.joined(separator: "/")
        try requireWritable(absolute)
        guard !parts.isEmpty else { throw FormatError(file: path, object: absolute, "is the root group; a dataset needs a name") }
        // Convert before creating anything, so that a value that does not fit leaves nothing.
        let write = try converted(tensor.scalars, to: elementType.scalarType, absolute)
        try HDF5Library.run {
            try createGroups(parts.dropLast(), for: absolute)
            if let existing = try kind(of: absolute) {
                throw FormatError(file: path, object: absolute, "already exists (as a \(existing))")
            }
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

    /// The number of values of `shape`, to be read into memory: `countableCount`, and within the
    /// memory budget (an allocation that cannot succeed ends the process, and one that barely
    /// can invites the kernel to end it).
    func checkedCount(_ shape: [Int], _ type: HDF5ElementType, _ absolute: String) throws -> Int {
        let count = try countableCount(shape, type, absolute)
        try MemoryBudget.check(count: count, bytesPerValue: max(MemoryLayout<Float>.stride, type.byteCount),
                               for: "HDF5 dataset \(path): \(absolute) of shape \(describeShape(shape)) (\(type))")
        return count
    }

    /// The number of values of `shape`, checked to be countable: the product of the non-zero
    /// extents, in bytes of the wider of the stored type and Float32, must fit in an Int (a
    /// shape such as [0, 2^62, 2^62] holds no values but is no tensor shape either).
    private func countableCount(_ shape: [Int], _ type: HDF5ElementType, _ absolute: String) throws -> Int {
        guard let count = Tensor.countIfCountable(shape, bytesPerValue: type.byteCount) else {
            throw FormatError(file: path, object: absolute, "claims shape \(describeShape(shape)), too large to be real (the file may be damaged)")
        }
        return count
    }

    /// Checks the shape a dataset claims against the bytes the file holds for it, before any
    /// memory is allocated for its values (a hyperslab may read part of a dataset larger than
    /// memory, so the whole is not held to the memory budget): a damaged file can claim any shape. Without
    /// compression every value must be stored (so a dataset that was never completely written
    /// is refused too). With compression, the values may take at most `maximumExpansion` times
    /// the stored bytes: a 1 KB file declaring a gzip dataset of 2^30 never-written values would
    /// otherwise be inflated (from its fill value) in full.
    func checkStoredSize(_ dataset: HDF5Handle, _ shape: [Int], _ type: HDF5ElementType, _ absolute: String) throws {
        // countableCount keeps count * max(4, byteCount) within an Int.
        let needed = try countableCount(shape, type, absolute) * type.byteCount
        guard needed > 0 else { return }
        let stored = H5Dget_storage_size(dataset.id)
        if try isCompressed(dataset, absolute) {
            let (most, overflow) = (Int(clamping: stored) + 1024).multipliedReportingOverflow(by: HDF5File.maximumExpansion)
            guard overflow || needed <= most else {
                throw FormatError(file: path, object: absolute,
                    "claims shape \(describeShape(shape)) of \(type) (\(needed) bytes) from only \(stored) compressed bytes, "
                    + "more than compression can expand to (\(HDF5File.maximumExpansion):1); the file is damaged or a decompression bomb, "
                    + "or the dataset was never completely written")
            }
            return
        }
        guard hsize_t(needed) <= stored else {
            throw FormatError(file: path, object: absolute,
                "claims shape \(describeShape(shape)) of \(type) (\(needed) bytes) but the file stores only \(stored) bytes for it; "
                + "the file is damaged, or the dataset was never completely written")
        }
    }

    /// Whether the dataset's filters include one that changes its size (anything but the
    /// shuffle and Fletcher-32 filters, which keep every byte).
    private func isCompressed(_ dataset: HDF5Handle, _ absolute: String) throws -> Bool {
        guard let creation = HDF5Handle(H5Dget_create_plist(dataset.id), close: H5Pclose) else {
            throw failure(absolute, "cannot read how the dataset is stored")
        }
        let filters = H5Pget_nfilters(creation.id)
        guard filters >= 0 else { throw failure(absolute, "cannot read the dataset's filters") }
        for index in 0..<UInt32(filters) {
            var flags: UInt32 = 0, valueCount = 0, configuration: UInt32 = 0
            let filter = H5Pget_filter2(creation.id, index, &flags, &valueCount, nil, 0, nil, &configuration)
            guard filter >= 0 else { throw failure(absolute, "cannot read the dataset's filters") }
            if filter != H5Z_FILTER_SHUFFLE && filter != H5Z_FILTER_FLETCHER32 { return true }
        }
        return false
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
        if T.self == Float.self { return { write in scalars.withUnsafeBytes { write($0.baseAddress) } } }
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

    /// Where the values go, so that every stored value is covered by a checksum:
    /// - up to 16 KiB (a scalar, a bias, a norm's scale): inside the dataset's object header
    ///   (compact layout), which the 1.10 format checksums;
    /// - larger: in chunks of about 1 MiB, each with a Fletcher-32 checksum;
    /// - no values at all: the default (contiguous) layout, with nothing to protect.
    /// No modification times either (see `HDF5File.write`).
    private func creationProperties(_ shape: [Int], _ type: HDF5ElementType, _ absolute: String) throws -> HDF5Handle {
        guard let creation = HDF5Handle(H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g), close: H5Pclose),
              H5Pset_obj_track_times(creation.id, false) >= 0
        else {
            throw failure(absolute, "cannot set up dataset-creation properties")
        }
        let bytes = shape.reduce(type.byteCount, *)
        if bytes == 0 { return creation }
        if bytes <= HDF5File.compactLimit {
            guard H5Pset_layout(creation.id, H5D_COMPACT) >= 0 else { throw failure(absolute, "cannot set up compact storage") }
            return creation
        }
        let chunk = HDF5File.chunkShape(shape, byteCount: type.byteCount).map { hsize_t($0) }
        guard H5Pset_chunk(creation.id, Int32(chunk.count), chunk) >= 0, H5Pset_fletcher32(creation.id) >= 0 else {
            throw failure(absolute, "cannot set up chunked storage")
        }
        return creation
    }

    /// Deflate, the compression HDF5 files use, expands at most 1032:1.
    static let maximumExpansion = 1032

    /// The largest dataset, in bytes, stored inside its object header (HDF5 allows up to 64 KiB).
    static let compactLimit = 16 << 10

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
