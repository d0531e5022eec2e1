/// The state an optimizer or a moving average accumulates while training, as plain values a
/// checkpoint can store: named tensors (moment estimates, momentum buffers, shadows) and named
/// counters (step counts). Restoring it into a fresh optimizer over the same parameters lets a
/// resumed run take exactly the steps the interrupted one would have taken.
///
/// Names are dotted, and those of one parameter's state end in its position in the optimizer's
/// list: Adam's `first.3`, `second.3` and `steps.3`. A parameter that has not taken a step yet has
/// no entries.
public struct OptimizerState: Sendable, Equatable {
    /// Which kind of optimizer wrote the state ("Adam", "SGD", "ExponentialMovingAverage"):
    /// restoring Adam's moments into SGD is refused by name.
    public var kind: String
    /// The state's tensors by name.
    public var tensors: [String: Tensor]
    /// The state's counters by name.
    public var counters: [String: Int]

    /// A state of `kind` holding `tensors` and `counters`.
    public init(kind: String, tensors: [String: Tensor] = [:], counters: [String: Int] = [:]) {
        self.kind = kind
        self.tensors = tensors
        self.counters = counters
    }

    /// Throws unless the state was written by `owner`, and has no tensor or counter whose name is
    /// outside `tensorNames` and `counterNames`.
    func requireKind(_ owner: String, tensorNames: Set<String>, counterNames: Set<String>) throws {
        guard kind == owner else {
            throw OptimizerError("\(owner): cannot restore the state of a \(kind) optimizer")
        }
        if let unknown = tensors.keys.sorted().first(where: { !tensorNames.contains($0) }) {
            throw OptimizerError("\(owner): the state holds a tensor \(unknown), which no parameter of this \(owner) has")
        }
        if let unknown = counters.keys.sorted().first(where: { !counterNames.contains($0) }) {
            throw OptimizerError("\(owner): the state holds a counter \(unknown), which this \(owner) does not keep")
        }
    }

    /// The tensor `name`, or nil; throws if it does not have `shape`.
    func tensor(_ name: String, shape: [Int], owner: String) throws -> Tensor? {
        guard let tensor = tensors[name] else { return nil }
        guard tensor.shape == shape else {
            throw OptimizerError("\(owner): state tensor \(name) has shape \(describeShape(tensor.shape)) but its parameter has shape \(describeShape(shape))")
        }
        return tensor
    }
}

/// An optimizer whose state can be saved and restored: what a training checkpoint needs.
public protocol StatefulOptimizer: Optimizer {
    /// A copy of the state accumulated so far (not the hyperparameters or the learning rate,
    /// which the training configuration and the schedule give).
    func exportState() -> OptimizerState
    /// Replaces the state with `state`, exported by an optimizer of the same kind over
    /// parameters of the same shapes. Everything is checked first: on error nothing changes.
    func importState(_ state: OptimizerState) throws
}
