@preconcurrency import CHDF5
import Engine

/// A regular part of a dataset: along each axis, `count` positions starting at `start` and
/// `stride` apart. Reading a hyperslab reads only those values from the file (and, for a
/// chunked dataset, only the chunks that hold them), so a few images can be taken from a
/// dataset far larger than memory.
///
/// For a dataset of shape [100, 1, 64, 64], `HDF5Hyperslab(start: [10, 0, 0, 0], count:
/// [4, 1, 64, 64])` is images 10 to 13, and `HDF5Hyperslab(start: [0, 0, 0, 0], count:
/// [100, 1, 32, 32], stride: [1, 1, 2, 2])` is every image at half resolution (every other pixel).
public struct HDF5Hyperslab: Sendable, Equatable {
    /// The first position along each axis.
    public var start: [Int]
    /// How many positions to take along each axis; the result's shape.
    public var count: [Int]
    /// The step between positions along each axis (1 takes neighbours).
    public var stride: [Int]

    /// A hyperslab; `stride` defaults to 1 along every axis.
    public init(start: [Int], count: [Int], stride: [Int]? = nil) {
        self.start = start
        self.count = count
        self.stride = stride ?? [Int](repeating: 1, count: count.count)
    }

    /// Why this hyperslab does not fit a dataset of `shape`, or nil if it does.
    func problem(against shape: [Int]) -> String? {
        guard start.count == shape.count, count.count == shape.count, stride.count == shape.count else {
            return "hyperslab start \(start), count \(count), stride \(stride) must each have \(shape.count) entries "
                + "for shape \(describeShape(shape))"
        }
        for axis in shape.indices {
            let (first, number, step, extent) = (start[axis], count[axis], stride[axis], shape[axis])
            guard first >= 0, number >= 0, step >= 1 else {
                return "axis \(axis): start \(first) and count \(number) must not be negative, and stride \(step) must be at least 1"
            }
            guard number > 0 else { continue }
            // The last position taken is start + (count - 1) * stride; computed without overflow.
            let (span, overflow1) = (number - 1).multipliedReportingOverflow(by: step)
            let (last, overflow2) = first.addingReportingOverflow(span)
            guard !overflow1, !overflow2, last < extent else {
                return "axis \(axis): start \(first), count \(number), stride \(step) reach past the extent \(extent) "
                    + "of shape \(describeShape(shape))"
            }
        }
        return nil
    }
}

extension HDF5File {
    /// The part of the dataset `objectPath` that `hyperslab` selects, as a Float32 tensor of
    /// shape `hyperslab.count`, converted as `readTensor(_:)` converts. Only the selected values
    /// are read. A hyperslab that does not fit the dataset is an error naming the axis.
    public func readTensor(_ objectPath: String, hyperslab: HDF5Hyperslab) throws -> Tensor {
        let absolute = try absolutePath(objectPath)
        return try HDF5Library.run {
            let dataset = try openObject(absolute, expecting: .dataset)
            let type = try elementType(of: dataset, absolute)
            let shape = try shape(of: dataset, absolute)
            if let problem = hyperslab.problem(against: shape) {
                throw FormatError(file: path, object: absolute, problem)
            }
            try checkStoredSize(dataset, shape, type, absolute)
            let count = try checkedCount(hyperslab.count, type, absolute)
            // A scalar dataset has nothing to select (its only hyperslab has no axes), and an
            // empty selection reads nothing.
            guard !shape.isEmpty, count > 0 else {
                return try tensor(hyperslab.count, count == 0 ? [] : try readTensor(absolute).scalars, absolute)
            }
            guard let fileSpace = HDF5Handle(H5Dget_space(dataset.id), close: H5Sclose) else {
                throw failure(absolute, "cannot read the dataset's shape")
            }
            let start = hyperslab.start.map { hsize_t($0) }, stride = hyperslab.stride.map { hsize_t($0) }
            let counts = hyperslab.count.map { hsize_t($0) }
            guard H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, start, stride, counts, nil) >= 0 else {
                throw failure(absolute, "cannot select hyperslab start \(hyperslab.start), count \(hyperslab.count)")
            }
            let memorySpace = try dataspace(hyperslab.count, absolute)
            let scalars = try readValues(of: dataset, absolute, as: type, count: count,
                                         memorySpace: memorySpace.id, fileSpace: fileSpace.id)
            return try tensor(hyperslab.count, scalars, absolute)
        }
    }
}
