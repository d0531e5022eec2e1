import Engine

/// What a file format reads and writes: the four kinds of value Formats' readers give and its
/// writers take, before a caller (the language's `load` and `save`) makes them its own.
public enum FormatValue: Sendable {
    /// One tensor: an image, a volume, an HDF5 dataset.
    case tensor(Tensor)
    /// Tensors by name, in the file's order: a safetensors file.
    case tensors([(name: String, tensor: Tensor)])
    /// A model's parameters with the configuration that builds it and its training metadata.
    case checkpoint(Checkpoint)
    /// A text document: an SVG drawing.
    case text(String)

    /// Which of the four this is.
    public var kind: Kind {
        switch self {
        case .tensor: .tensor
        case .tensors: .tensors
        case .checkpoint: .checkpoint
        case .text: .text
        }
    }

    /// The kinds of value, for saying what a format reads and writes.
    public enum Kind: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case tensor, tensors, checkpoint, text

        /// The kind as messages and help texts name it: "a tensor", "tensors by name",
        /// "a model checkpoint", "a vector drawing".
        public var description: String {
            switch self {
            case .tensor: "a tensor"
            case .tensors: "tensors by name"
            case .checkpoint: "a model checkpoint"
            case .text: "a vector drawing"
            }
        }
    }
}

/// Which kinds of value a format reads, and which it writes. DICOM reads a tensor and writes
/// nothing; SVG reads nothing and writes a vector drawing.
public struct FormatCapabilities: Sendable, Equatable {
    /// The kinds `read` can give.
    public var reads: Set<FormatValue.Kind>
    /// The kinds `write` takes.
    public var writes: Set<FormatValue.Kind>

    /// A format that reads `reads` and writes `writes`.
    public init(reads: Set<FormatValue.Kind>, writes: Set<FormatValue.Kind>) {
        self.reads = reads
        self.writes = writes
    }
}
