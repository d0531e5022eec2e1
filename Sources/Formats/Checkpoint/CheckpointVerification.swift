import Engine

extension Checkpoint {
    /// Checks that this checkpoint holds exactly the parameters a model expects, with the
    /// shapes it expects, before they are loaded into it. Parameters match by path, so order
    /// does not matter.
    ///
    /// Throws a `CheckpointError` naming the first problem: walking the model's parameters in
    /// order, the first one missing from the checkpoint or of another shape; failing that, the
    /// first parameter (in the checkpoint's order) that the model does not have.
    public func verify(against expected: [(path: String, shape: [Int])]) throws {
        var shapes: [String: [Int]] = [:]
        for (path, tensor) in parameters { shapes[path] = tensor.shape }
        for (path, shape) in expected {
            guard let found = shapes[path] else {
                throw CheckpointError(parameter: path, "is missing from the checkpoint (the model expects shape \(describeShape(shape)))")
            }
            guard found == shape else {
                throw CheckpointError(parameter: path,
                    "has shape \(describeShape(found)) in the checkpoint, but the model expects \(describeShape(shape))")
            }
        }
        let expectedPaths = Set(expected.map(\.path))
        if let extra = parameters.first(where: { !expectedPaths.contains($0.path) }) {
            throw CheckpointError(parameter: extra.path,
                "is in the checkpoint (shape \(describeShape(extra.tensor.shape))) but not in the model")
        }
    }
}
