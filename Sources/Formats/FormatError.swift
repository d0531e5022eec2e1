/// A file that could not be read or written: missing, truncated, corrupted, lying about its
/// contents, or refused by the operating system.
///
/// The message names the file, the object inside it when there is one (an HDF5 path such as
/// `/parameters/down/0/weight`, or a safetensors tensor name), and what was wrong, for example
/// `model.safetensors: tensor "w": dtype F32 and shape [2, 3] need 24 bytes, but data_offsets give 20`.
public struct FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path of the file, as the caller gave it.
    public var file: String
    /// The object inside the file, if the problem concerns one.
    public var object: String?
    /// What was wrong.
    public var message: String

    /// An error about `file`, or about `object` inside it.
    public init(file: String, object: String? = nil, _ message: String) {
        self.file = file
        self.object = object
        self.message = message
    }

    /// `file: object: message`, or `file: message`.
    public var description: String {
        if let object { return "\(file): \(object): \(message)" }
        return "\(file): \(message)"
    }
}
