import Engine

extension Checkpoint {
    /// A checkpoint of `module`'s parameters, in its order, with the configuration that builds
    /// it and metadata about its training.
    public init(module: Module, configuration: [String: String] = [:], metadata: [String: CheckpointValue] = [:]) throws {
        try self.init(parameters: module.namedParameters().map { ($0.path, $0.variable.value) },
                      configuration: configuration, metadata: metadata)
    }

    /// Puts these parameters into `module`, whose parameters must match by path and shape: the
    /// error names the first one that does not (see `Module.loadParameters`), and the module is
    /// left unchanged then.
    public func load(into module: Module, source: String = "the checkpoint") throws {
        try module.loadParameters(parameters, from: source)
    }
}

extension Module {
    /// Saves this module's parameters, with `configuration` and `metadata`, to `path` (.h5,
    /// .hdf5 or .safetensors), atomically.
    public func saveCheckpoint(to path: String, configuration: [String: String] = [:],
                               metadata: [String: CheckpointValue] = [:]) throws {
        try Checkpoint.write(Checkpoint(module: self, configuration: configuration, metadata: metadata), to: path)
    }

    /// Loads the parameters saved at `path` into this module and returns the checkpoint, for
    /// its configuration and metadata.
    @discardableResult
    public func loadCheckpoint(from path: String) throws -> Checkpoint {
        let checkpoint = try Checkpoint(reading: path)
        try checkpoint.load(into: self, source: "checkpoint \(path)")
        return checkpoint
    }
}
