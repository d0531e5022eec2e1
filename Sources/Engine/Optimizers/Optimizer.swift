/// Updates parameters from their gradients: the last stage of every training step.
///
/// An optimizer is built over a fixed list of parameters, usually `module.parameters`, and keeps
/// its state (momentum buffers, moment estimates) per parameter, by position in that list, as
/// PyTorch keeps it per tensor. The training loop belongs to the caller, who asks a
/// `LearningRateSchedule` for each step's rate:
///
///     let optimizer = try Adam(parameters: model.parameters, learningRate: 1e-4)
///     for step in 0..<steps {
///         optimizer.learningRate = schedule.learningRate(atStep: step)
///         optimizer.zeroGradients()
///         try loss(model, batch(step)).backward()
///         let norm = try clipGradientNorm(optimizer.parameters, maxNorm: 1)
///         guard norm.isFinite else { continue }  // skip a step that would write NaN into the weights
///         try optimizer.step()
///         try average.update()
///     }
///
/// Each optimizer updates a parameter in one fused pass over its values, gradient and state
/// (not a chain of tensor operations, each of which would allocate and sweep the whole tensor).
public protocol Optimizer: AnyObject {
    /// The parameters this optimizer updates, in the order its state is kept.
    var parameters: [Variable] { get }
    /// The step size of the next `step()`. Not checked when set: a training loop sets it from a
    /// `LearningRateSchedule` before every step.
    var learningRate: Float { get set }
    /// Updates the value of every parameter from its `grad`. A parameter whose `grad` is nil
    /// (no backward reached it) is skipped: neither its value nor its state changes.
    func step() throws
}

extension Optimizer {
    /// Forgets every parameter's accumulated gradient; call before the next backward.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}

/// An optimizer, schedule or average used wrongly: a hyperparameter out of range, a gradient of
/// the wrong shape, a parameter reshaped after its state was made.
public struct OptimizerError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The parameters an optimizer (or a moving average) tracks, with the shape each had when it
/// was built: the shape its state was made for.
struct TrackedParameters {
    let variables: [Variable]
    let shapes: [[Int]]
    /// The owner's name, for messages ("Adam").
    let owner: String
    /// How messages name each parameter: its path when known, else its position.
    let names: [String]

    /// Refuses a parameter listed twice (it would be updated twice per step) and computed
    /// results (the next forward pass recomputes their value, so updating it does nothing).
    /// `paths`, when given, name the parameters in messages.
    init(_ variables: [Variable], paths: [String]? = nil, owner: String) throws {
        let names = paths ?? variables.indices.map(String.init)
        var seen: [ObjectIdentifier: Int] = [:]
        for (position, variable) in variables.enumerated() {
            if let first = seen[ObjectIdentifier(variable)] {
                throw OptimizerError("\(owner): parameter \(names[position]) is the same variable as parameter \(names[first]); list each parameter once")
            }
            guard variable.isLeaf else {
                throw OptimizerError("\(owner): parameter \(names[position]) is a computed result, not a leaf; optimize the parameters it was computed from")
            }
            seen[ObjectIdentifier(variable)] = position
        }
        self.variables = variables
        self.shapes = variables.map(\.shape)
        self.owner = owner
        self.names = names
    }

    /// Throws if a parameter's value no longer has the shape its state was made for.
    func checkShapes() throws {
        for (position, (variable, shape)) in zip(variables, shapes).enumerated() where variable.shape != shape {
            throw OptimizerError("\(owner): parameter \(names[position]) had shape \(describeShape(shape)) when tracking began but now has \(describeShape(variable.shape))")
        }
    }

    /// The parameters that have a gradient, with their positions. Everything is checked before
    /// anything is returned, so a step that fails changes nothing.
    func withGradients() throws -> [(position: Int, parameter: Variable, gradient: Tensor)] {
        try checkShapes()
        return try variables.enumerated().compactMap { position, variable in
            guard let gradient = variable.grad else { return nil }
            guard gradient.shape == variable.shape else {
                throw OptimizerError("\(owner): parameter \(names[position]) has shape \(describeShape(variable.shape)) but its gradient has shape \(describeShape(gradient.shape))")
            }
            return (position, variable, gradient)
        }
    }
}

/// Throws "`owner`: `rule`, got `value`" unless `holds` (NaN fails every rule written as a comparison).
func requireHyperparameter(_ holds: Bool, _ owner: String, _ rule: String, _ value: Float) throws {
    guard holds else { throw OptimizerError("\(owner): \(rule), got \(value)") }
}
