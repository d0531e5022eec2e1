/// A layer or a model: parameters and sub-modules with hierarchical names.
///
/// A module's stored properties are found by reflection: a `Variable` property that requires a
/// gradient is a parameter named by the property; a `Module` property is a sub-module whose
/// parameters are prefixed by the property's name; arrays (and optionals) of either are
/// numbered from 0. So a model whose `down` holds blocks with a `res` array of blocks with a
/// `conv1` has a parameter `down.0.res.1.conv1.weight`, the path checkpoints use.
///
/// Subclasses declare their layers as stored properties (`let`), create them in `init`, and
/// give the module a `callAsFunction` for its forward pass.
open class Module {
    /// Training mode (dropout active, statistics updated) or evaluation mode.
    public private(set) var isTraining = true

    public init() {}

    /// The direct sub-modules with their names, in declaration order.
    public func namedChildren() -> [(name: String, module: Module)] {
        reflectedMembers().compactMap { name, value in (value as? Module).map { (name, $0) } }
    }

    /// Every parameter below this module with its path, in declaration order. A parameter
    /// reachable by several paths (a shared layer) is listed once, under its first path.
    public func namedParameters() -> [(path: String, variable: Variable)] {
        var seen = Set<ObjectIdentifier>()
        return allParameterPaths().filter { seen.insert(ObjectIdentifier($0.variable)).inserted }
    }

    private func allParameterPaths() -> [(path: String, variable: Variable)] {
        reflectedMembers().flatMap { name, value -> [(path: String, variable: Variable)] in
            if let variable = value as? Variable {
                return variable.requiresGradient ? [(name, variable)] : []
            }
            if let module = value as? Module {
                return module.allParameterPaths().map { ("\(name).\($0.path)", $0.variable) }
            }
            return []
        }
    }

    /// Every parameter below this module.
    public var parameters: [Variable] { namedParameters().map(\.variable) }

    /// The number of trainable values.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Switches this module and everything below it to training (true) or evaluation (false) mode.
    public func setTraining(_ training: Bool) {
        isTraining = training
        for child in namedChildren() { child.module.setTraining(training) }
    }

    /// Forgets every parameter's accumulated gradient.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// Replaces every parameter's value with the tensor of the same path. The paths must match
    /// exactly and each shape must agree: the error names the first parameter, in the model's
    /// order, that is missing or of another shape, or else the first given tensor the model does
    /// not have; nothing is changed unless everything matches. `source` names where the tensors
    /// come from in messages, for example "checkpoint unet.h5".
    public func loadParameters(_ tensors: [(path: String, tensor: Tensor)], from source: String = "the loaded parameters") throws {
        let own = namedParameters()
        let given = Dictionary(tensors.map { ($0.path, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        for (path, variable) in own {
            guard let tensor = given[path] else {
                throw ModuleError("parameter \(path) (shape \(describeShape(variable.shape))) is missing from \(source)")
            }
            guard tensor.shape == variable.shape else {
                throw ModuleError("parameter \(path) has shape \(describeShape(variable.shape)) in the model but \(describeShape(tensor.shape)) in \(source)")
            }
        }
        let known = Set(own.map(\.path))
        if let extra = tensors.first(where: { !known.contains($0.path) }) {
            throw ModuleError("\(extra.path) (shape \(describeShape(extra.tensor.shape))) in \(source) is not a parameter of the model")
        }
        for (path, variable) in own { variable.value = given[path]! }
    }

    /// Stored properties of this object and its superclasses (superclass first), with arrays
    /// and tuples flattened into numbered members, dictionaries into members named by their
    /// keys (in sorted order), and optionals into plain ones.
    private func reflectedMembers() -> [(String, Any)] {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror {
            mirrors.insert(current, at: 0)
            mirror = current.superclassMirror
        }
        return mirrors.flatMap { mirror in
            mirror.children.flatMap { child -> [(String, Any)] in
                guard let label = child.label, !label.hasPrefix("$") else { return [] }
                return Module.flatten(label, child.value)
            }
        }
    }

    private static func flatten(_ name: String, _ value: Any) -> [(String, Any)] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { flatten(name, $0.value) } ?? []
        case .collection, .tuple:
            return mirror.children.enumerated().flatMap { index, child in flatten("\(name).\(index)", child.value) }
        case .dictionary:
            let entries = mirror.children.compactMap { child -> (String, Any)? in
                let pair = Array(Mirror(reflecting: child.value).children)
                return pair.count == 2 ? ("\(pair[0].value)", pair[1].value) : nil
            }
            return entries.sorted { $0.0 < $1.0 }.flatMap { key, value in flatten("\(name).\(key)", value) }
        default:
            return value is Variable || value is Module ? [(name, value)] : []
        }
    }
}

/// A module used wrongly: loading parameters of another model, for example.
public struct ModuleError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
