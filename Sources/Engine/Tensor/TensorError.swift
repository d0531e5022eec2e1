/// Misuse of a tensor operation: a shape mismatch, a bad axis, an index out of range.
///
/// The message names the operation and the shapes involved, for example
/// `add: shapes [2, 3] and [4] cannot be broadcast (axis -1: 3 vs 4)`.
public struct TensorError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation that refused its arguments, for example "matmul".
    public var op: String
    /// What was wrong, with the shapes involved.
    public var message: String

    public init(_ op: String, _ message: String) {
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }
}

/// Formats a shape the way every message shows it: `[2, 3, 64, 64]`, or `[]` for a scalar.
public func describeShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
