/// Why a backward pass cannot run.
public struct AutodiffError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "backward: \(message)" }
}

extension Variable {
    /// Computes the gradient of this variable with respect to every leaf that requires one and
    /// adds it to the leaf's `grad`.
    ///
    /// - Parameters:
    ///   - gradient: the gradient of some final scalar with respect to this variable; may be
    ///     omitted only when this variable holds a single value (then it is 1).
    ///   - keepingTape: keep the record so that backward can run through it again; by default
    ///     it is released, freeing the tensors the ops saved.
    public func backward(gradient: Tensor? = nil, keepingTape: Bool = false) throws {
        guard requiresGradient else {
            throw AutodiffError("this value does not depend on any variable that requires a gradient")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == value.shape else {
                throw AutodiffError("the gradient has shape \(describeShape(gradient.shape)), the value \(describeShape(value.shape))")
            }
            seed = gradient
        } else {
            guard value.count == 1 else {
                throw AutodiffError("the value has shape \(describeShape(value.shape)), not a single number; "
                    + "reduce it (sum, mean) or pass the gradient of the result with respect to it")
            }
            seed = try Tensor.ones(value.shape)
        }

        let order = reverseTopologicalOrder()
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        // Leaf gradients are added only once the whole walk has succeeded, so a backward that
        // fails half-way leaves every grad as it was.
        var leafGradients: [(Variable, Tensor)] = []
        for node in order {
            guard let incoming = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            guard let origin = node.origin else {
                leafGradients.append((node, incoming))
                continue
            }
            if origin.isReleased {
                throw AutodiffError("the tape through \(origin.op) was released by an earlier backward; "
                    + "pass keepingTape: true to the first backward to go through it twice")
            }
            guard let backward = origin.backward else {
                throw AutodiffError("\(origin.op) has no derivative, and a gradient reached it; "
                    + "use detached() on its result to treat it as a constant")
            }
            OperationProfile.mark("autodiff bookkeeping")
            let gradients = try backward(incoming)
            OperationProfile.mark((origin.profileKind ?? origin.op) + " backward")
            for (input, gradient) in zip(origin.inputs, gradients) {
                guard input.requiresGradient, let gradient else { continue }
                guard gradient.shape == input.shape else {
                    throw AutodiffError("\(origin.op) gave a gradient of shape \(describeShape(gradient.shape)) "
                        + "for an input of shape \(describeShape(input.shape))")
                }
                let key = ObjectIdentifier(input)
                pending[key] = try pending[key].map { try $0 + gradient } ?? gradient
            }
            OperationProfile.mark("gradient accumulation")
        }
        for (leaf, gradient) in leafGradients {
            leaf.grad = try leaf.grad.map { try $0 + gradient } ?? gradient
        }
        OperationProfile.mark("gradient accumulation")
        if !keepingTape {
            for node in order { node.origin?.release() }
        }
    }

    /// This variable and everything it was computed from that requires a gradient, each after
    /// everything computed from it: an iterative depth-first search, so deep graphs (long
    /// training loops of small ops) cannot overflow the stack.
    func reverseTopologicalOrder() -> [Variable] {
        var postorder: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, expanded: Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded {
                postorder.append(node)
                continue
            }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for input in node.origin?.inputs ?? [] where input.requiresGradient && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return postorder.reversed()
    }
}
