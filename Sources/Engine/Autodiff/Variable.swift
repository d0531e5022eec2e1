/// A tensor in a computation that gradients flow back through.
///
/// Reverse-mode automatic differentiation in the style of micrograd: every operation on
/// variables returns a new variable that remembers its inputs and a closure that turns the
/// gradient of its result into gradients of its inputs (the op's backward, written beside its
/// forward). `backward()` walks this record, the tape, from the result back to the leaves in
/// reverse topological order and accumulates each leaf's gradient in `grad`.
///
/// Leaves are the variables you create: parameters (`requiresGradient: true`) and constants.
/// Gradients accumulate across backward calls until `zeroGradient()`; after a backward the tape
/// is released (its saved tensors freed) unless asked to keep it. Inside
/// `GradientMode.withoutGradients` nothing is recorded (inference).
public final class Variable {
    /// The current value. Optimizers update parameters by assigning to it.
    public var value: Tensor
    /// The accumulated gradient of the last backward calls, with `value`'s shape; nil until a
    /// backward reaches this leaf.
    public var grad: Tensor?
    /// Whether gradients flow to this variable: true for parameters, and for results computed
    /// from something that requires them while recording.
    public let requiresGradient: Bool
    /// How this variable was computed; nil for leaves.
    let origin: Origin?

    /// A leaf: a parameter when `requiresGradient`, a constant otherwise.
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        self.origin = nil
    }

    init(value: Tensor, origin: Origin?) {
        self.value = value
        self.requiresGradient = origin != nil
        self.origin = origin
    }

    /// The shape of `value`.
    public var shape: [Int] { value.shape }
    /// Whether this variable is a leaf (created directly, not computed).
    public var isLeaf: Bool { origin == nil }

    /// The same value as a constant: gradients stop here.
    public func detached() -> Variable {
        Variable(value)
    }

    /// Forgets the accumulated gradient.
    public func zeroGradient() {
        grad = nil
    }
}

/// The record of one operation on the tape: its name, its inputs and its backward.
final class Origin {
    let op: String
    /// What a recording `OperationProfile` charges the backward to (the op, or its scope).
    let profileKind: String?
    /// The inputs; emptied when the tape is released.
    var inputs: [Variable]
    /// Gradients of the inputs (nil where an input gets none) from the gradient of the result;
    /// nil once released, and for operations that have no derivative.
    var backward: ((Tensor) throws -> [Tensor?])?
    private(set) var isReleased = false

    init(op: String, inputs: [Variable], backward: ((Tensor) throws -> [Tensor?])?) {
        self.op = op
        self.profileKind = OperationProfile.kind(of: op)
        self.inputs = inputs
        self.backward = backward
    }

    func release() {
        inputs = []
        backward = nil
        isReleased = true
    }
}

extension Variable {
    /// The variable for the result `value` of `op` on `inputs`. When recording and an input
    /// requires a gradient, the result remembers `backward`: given the gradient of the result,
    /// it returns one gradient per input (nil for an input that gets none), each with that
    /// input's shape.
    static func result(
        of op: String, _ value: Tensor, inputs: [Variable],
        backward: @escaping (Tensor) throws -> [Tensor?]
    ) -> Variable {
        OperationProfile.mark(op)
        guard GradientMode.isRecording, inputs.contains(where: \.requiresGradient) else {
            return Variable(value)
        }
        return Variable(value: value, origin: Origin(op: op, inputs: inputs, backward: backward))
    }

    /// The result of an operation that has no derivative (comparisons, argmax). It still
    /// remembers its inputs, so a backward that reaches it says so instead of silently
    /// dropping the gradient; use `detached()` on it to use it as a constant.
    static func nonDifferentiableResult(of op: String, _ value: Tensor, inputs: [Variable]) -> Variable {
        OperationProfile.mark(op)
        guard GradientMode.isRecording, inputs.contains(where: \.requiresGradient) else {
            return Variable(value)
        }
        return Variable(value: value, origin: Origin(op: op, inputs: inputs, backward: nil))
    }
}

extension Variable: CustomStringConvertible {
    public var description: String {
        let kind = origin.map { "result of \($0.op)" } ?? (requiresGradient ? "parameter" : "constant")
        return "Variable (\(kind)) " + value.description
    }
}
