/// How to read a file, for the formats that offer a choice. Most read a file whole and have
/// none; an HDF5 file holds many datasets, so it is read as one dataset (or a slab of one) when
/// `dataset` names it, and as a model checkpoint when nothing does:
///
/// ```swift
/// try format.read(path, options: .whole)                                  // a checkpoint
/// try format.read(path, options: .dataset("/images"))                     // the whole dataset
/// try format.read(path, options: .dataset("/images", first: 10, count: 4)) // images 10 to 13
/// ```
public struct ReadOptions: Sendable, Equatable {
    /// The dataset to read from an HDF5 file, and which part of it; nil reads the file as a
    /// checkpoint. Formats without datasets ignore it.
    public var dataset: DatasetSelection?

    /// Options that read `dataset`, or the file as a whole when it is nil.
    public init(dataset: DatasetSelection? = nil) {
        self.dataset = dataset
    }

    /// Read the file as a whole: every format's one value, and an HDF5 file as a checkpoint.
    public static let whole = ReadOptions()

    /// Read the dataset at `path`: all of it, or `count` entries along its first axis from
    /// `first` (from 0 when `first` is nil, to the end when `count` is).
    public static func dataset(_ path: String, first: Int? = nil, count: Int? = nil) -> ReadOptions {
        ReadOptions(dataset: DatasetSelection(path, first: first, count: count))
    }
}

/// A dataset inside a file, and which part of its first axis to read.
public struct DatasetSelection: Sendable, Equatable {
    /// The dataset's path inside the file, such as "/images".
    public var path: String
    /// The first index along the first axis to read; nil starts at 0.
    public var first: Int?
    /// How many entries along the first axis to read; nil reads to the end.
    public var count: Int?

    /// The dataset at `path`, all of it or `count` entries of its first axis from `first`.
    public init(_ path: String, first: Int? = nil, count: Int? = nil) {
        self.path = path
        self.first = first
        self.count = count
    }

    /// Whether the dataset is read whole: neither `first` nor `count` is given.
    public var isWhole: Bool { first == nil && count == nil }
}

/// How to write a file, for the formats that offer a choice: where a tensor goes inside an HDF5
/// file. `.standard` puts it at "/data".
public struct WriteOptions: Sendable, Equatable {
    /// The dataset an HDF5 file holds a tensor at. Formats without datasets ignore it.
    public var dataset: String

    /// The dataset a tensor goes to when none is named.
    public static let standardDataset = "/data"

    /// Options that put a tensor at `dataset`.
    public init(dataset: String = WriteOptions.standardDataset) {
        self.dataset = dataset
    }

    /// A tensor at "/data".
    public static let standard = WriteOptions()

    /// A tensor at the dataset `path`.
    public static func dataset(_ path: String) -> WriteOptions {
        WriteOptions(dataset: path)
    }
}

/// An option that does not fit the file it was given for, such as a slab that lies outside its
/// dataset. It names the option (a property of `DatasetSelection`: "first" or "count"), so
/// that a caller that took the option from a person, as `load` takes `first=` and `count=`,
/// can point at it.
public struct FormatOptionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path of the file, as the caller gave it.
    public var file: String
    /// The option at fault: "first" or "count".
    public var option: String
    /// What was wrong.
    public var message: String
    /// What was found instead, such as "a dataset of shape [4, 1, 8, 8]".
    public var found: String?

    /// An error about `option`, given for `file`.
    public init(file: String, option: String, _ message: String, found: String? = nil) {
        self.file = file
        self.option = option
        self.message = message
        self.found = found
    }

    /// `file: option: message (found ...)`.
    public var description: String {
        "\(file): \(option): \(message)" + (found.map { " (found \($0))" } ?? "")
    }
}
