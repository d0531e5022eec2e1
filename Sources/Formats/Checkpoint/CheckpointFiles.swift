import Engine

extension Checkpoint {
    /// The two kinds of file a checkpoint can be saved in, chosen by a path's extension.
    enum Container {
        case hdf5, safetensors

        /// The format of `path`: `.h5` or `.hdf5`, or `.safetensors` (in any letter case).
        init(path: String) throws {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let dot = name.lastIndex(of: ".")
            let fileExtension = dot.map { String(name[name.index(after: $0)...]).lowercased() } ?? ""
            switch fileExtension {
            case "h5", "hdf5": self = .hdf5
            case "safetensors": self = .safetensors
            default:
                throw FormatError(file: path, (fileExtension.isEmpty ? "has no extension" : "has the extension .\(fileExtension)")
                    + ", which names no checkpoint format (use .h5, .hdf5 or .safetensors)")
            }
        }
    }

    /// Writes `checkpoint` to `path`, in the format its extension names, atomically: an
    /// existing file is replaced only once the new one is complete.
    public static func write(_ checkpoint: Checkpoint, to path: String) throws {
        switch try Container(path: path) {
        case .hdf5: try checkpoint.writeHDF5(to: path)
        case .safetensors: try checkpoint.writeSafetensors(to: path)
        }
    }

    /// Reads the checkpoint saved at `path`, in the format its extension names.
    public init(reading path: String) throws {
        switch try Container(path: path) {
        case .hdf5: self = try Checkpoint.readHDF5(path)
        case .safetensors: self = try Checkpoint.readSafetensors(path)
        }
    }

    /// Builds a checkpoint read from `path`, turning a `CheckpointError` (two parameters whose
    /// paths collide, say) into a `FormatError` naming the file.
    static func assemble(_ path: String, _ parameters: [(path: String, tensor: Tensor)],
                         _ configuration: [String: String], _ metadata: [String: CheckpointValue]) throws -> Checkpoint {
        do {
            return try Checkpoint(parameters: parameters, configuration: configuration, metadata: metadata)
        } catch let error as CheckpointError {
            throw FormatError(file: path, object: error.parameter.map { "parameter \($0)" }, error.message)
        }
    }
}
