import Engine

/// A model's parameters, in the model's order, with the configuration that built the model and
/// metadata about its training, as saved to and loaded from a file.
///
/// Parameters are named by dotted paths such as `down.0.res.1.conv1.weight`, as a module tree
/// names them. `write(_:to:)` and `init(reading:)` choose the format by extension:
/// - `.h5`, `.hdf5`: HDF5, a dataset per parameter under /parameters with the path's
///   components as nested groups (`/parameters/down/0/res/1/conv1/weight`), the configuration as
///   string attributes of /configuration and the metadata as typed attributes of /metadata;
/// - `.safetensors`: each parameter a tensor named by its path, the configuration and the
///   metadata in `__metadata__` (see `Checkpoint+Safetensors.swift`), loadable by PyTorch.
///
/// Both round-trip parameters bit for bit (NaN payloads, -0 and subnormals included), their
/// order, the configuration and the metadata with its types. Writes are atomic.
public struct Checkpoint: Sendable {
    /// The parameters, in the model's order.
    public private(set) var parameters: [(path: String, tensor: Tensor)]
    /// How to build the model: widths, kinds, sizes, as text.
    public var configuration: [String: String]
    /// Facts about training: step, seed, loss, a note.
    public var metadata: [String: CheckpointValue]

    /// A checkpoint of `parameters`. Each path must be a dotted path of non-empty names
    /// without `/`, paths must be unique, and no path may lie under another ("a.b" and
    /// "a.b.c" cannot both be parameters: in HDF5, "a/b" cannot be a dataset and a group).
    public init(parameters: [(path: String, tensor: Tensor)], configuration: [String: String] = [:],
                metadata: [String: CheckpointValue] = [:]) throws {
        var seen = Set<String>()
        for (path, _) in parameters {
            let components = path.split(separator: ".", omittingEmptySubsequences: false)
            guard !path.isEmpty, components.allSatisfy({ !$0.isEmpty && !$0.contains("/") && !$0.contains("\0") }) else {
                throw CheckpointError(parameter: path, "is not a parameter path (names separated by single dots, such as down.0.conv1.weight)")
            }
            guard seen.insert(path).inserted else { throw CheckpointError(parameter: path, "appears twice") }
        }
        for (path, _) in parameters {
            var prefix = ""
            for component in path.split(separator: ".").dropLast() {
                prefix += (prefix.isEmpty ? "" : ".") + component
                if seen.contains(prefix) { throw CheckpointError(parameter: path, "lies under parameter \(prefix)") }
            }
        }
        for key in Array(configuration.keys) + Array(metadata.keys) where key.isEmpty || key.contains("\0") {
            throw CheckpointError(parameter: nil, "configuration and metadata keys must be non-empty, without NUL (got \"\(key)\")")
        }
        self.parameters = parameters
        self.configuration = configuration
        self.metadata = metadata
    }

    /// The tensor of the parameter `path`, or nil if there is none.
    public func tensor(at path: String) -> Tensor? {
        parameters.first { $0.path == path }?.tensor
    }

    /// Each parameter's path and shape, in order.
    public var shapes: [(path: String, shape: [Int])] {
        parameters.map { ($0.path, $0.tensor.shape) }
    }

    /// The total number of values in the parameters.
    public var parameterCount: Int {
        parameters.reduce(0) { $0 + $1.tensor.count }
    }
}

/// A value of a checkpoint's training metadata.
///
/// Two doubles are equal if they have the same bits, or are both NaN, so that a round trip
/// through a file can be checked with `==`.
public enum CheckpointValue: Sendable, Equatable, CustomStringConvertible {
    /// Text, such as a note.
    case string(String)
    /// An integer, such as a step or a seed.
    case integer(Int)
    /// A floating-point number, such as a loss or a learning rate.
    case double(Double)

    /// Equal values of the same kind; doubles by their bits, or both NaN.
    public static func == (a: CheckpointValue, b: CheckpointValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): x == y
        case let (.integer(x), .integer(y)): x == y
        case let (.double(x), .double(y)): x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
        default: false
        }
    }

    /// The value as messages show it: `"text"`, `42`, `0.001`.
    public var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .integer(let number): String(number)
        case .double(let number): String(number)
        }
    }
}

/// A checkpoint that cannot be built, or does not fit the model it is checked against. The
/// message names the parameter, for example
/// `parameter down.0.conv1.weight: has shape [64, 32, 3, 3] in the checkpoint, but the model expects [128, 32, 3, 3]`.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The parameter concerned, if one is.
    public var parameter: String?
    /// What was wrong.
    public var message: String

    /// An error about `parameter` (or about the checkpoint as a whole, if nil).
    public init(parameter: String?, _ message: String) {
        self.parameter = parameter
        self.message = message
    }

    /// `parameter <path>: <message>`, or `checkpoint: <message>`.
    public var description: String {
        parameter.map { "parameter \($0): \(message)" } ?? "checkpoint: \(message)"
    }
}
