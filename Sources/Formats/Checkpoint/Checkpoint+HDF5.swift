import Engine

/// Checkpoints in HDF5:
///
/// ```
/// /                                  attributes format = "medsynth checkpoint", version = 1
/// /parameters/down/0/conv1/weight    float32 dataset, attribute index = its position (0, 1, ...)
/// /configuration                     group; one string attribute per configuration entry
/// /metadata                          group; one attribute per entry: string, int64 or float64
/// ```
///
/// The index attribute keeps the parameters' order, which HDF5's alphabetical listing loses.
extension Checkpoint {
    static let formatName = "medsynth checkpoint"
    static let formatVersion = 1

    func writeHDF5(to path: String) throws {
        try HDF5File.write(to: path) { file in
            try file.setAttribute("format", to: .string(Checkpoint.formatName))
            try file.setAttribute("version", to: .integer(Checkpoint.formatVersion))
            try file.createGroup("parameters")
            for (index, (name, tensor)) in parameters.enumerated() {
                let object = Checkpoint.objectPath(of: name)
                try file.write(tensor, to: object)
                try file.setAttribute("index", to: .integer(index), on: object)
            }
            try file.createGroup("configuration")
            for (key, value) in configuration.sorted(by: { $0.key < $1.key }) {
                try file.setAttribute(key, to: .string(value), on: "configuration")
            }
            try file.createGroup("metadata")
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                let attribute: HDF5AttributeValue = switch value {
                case .string(let text): .string(text)
                case .integer(let number): .integer(number)
                case .double(let number): .double(number)
                }
                try file.setAttribute(key, to: attribute, on: "metadata")
            }
        }
    }

    /// "down.0.conv1.weight" -> "/parameters/down/0/conv1/weight".
    static func objectPath(of parameter: String) -> String {
        "/parameters/" + parameter.split(separator: ".").joined(separator: "/")
    }

    static func readHDF5(_ path: String) throws -> Checkpoint {
        let file = try HDF5File(reading: path)
        guard try file.kind(of: "parameters") == .group else {
            throw FormatError(file: path, "has no /parameters group, so it is not a medsynth checkpoint")
        }
        // Files written elsewhere (by a Python script, say) may carry neither attribute; a file
        // that names another format is not a checkpoint, whatever groups it has.
        let declared = try file.attributeNames()
        if declared.contains("format") {
            let format = try file.attribute("format")
            guard format == .string(formatName) else {
                throw FormatError(file: path, "declares format \(format), not \"\(formatName)\"")
            }
        }
        if declared.contains("version") {
            guard try file.attribute("version") == .integer(formatVersion) else {
                throw FormatError(file: path, "is a checkpoint of format version \(try file.attribute("version")); this medsynth reads version \(formatVersion)")
            }
        }
        let parameters = try readParameters(file)
        var configuration: [String: String] = [:]
        for (key, value) in try attributes(of: "configuration", in: file) {
            guard case .string(let text) = value else {
                throw FormatError(file: path, object: "/configuration attribute \"\(key)\"", "is not a string")
            }
            configuration[key] = text
        }
        var metadata: [String: CheckpointValue] = [:]
        for (key, value) in try attributes(of: "metadata", in: file) {
            switch value {
            case .string(let text): metadata[key] = .string(text)
            case .integer(let number): metadata[key] = .integer(number)
            case .double(let number): metadata[key] = .double(number)
            case .integers, .doubles:
                throw FormatError(file: path, object: "/metadata attribute \"\(key)\"", "is an array; metadata values are single values")
            }
        }
        return try assemble(path, parameters, configuration, metadata)
    }

    /// The attributes of a group, or none if the file has no such group.
    private static func attributes(of group: String, in file: HDF5File) throws -> [(String, HDF5AttributeValue)] {
        guard try file.kind(of: group) == .group else { return [] }
        return try file.attributeNames(of: group).map { ($0, try file.attribute($0, of: group)) }
    }

    /// Every dataset under /parameters, in the order of their index attributes.
    private static func readParameters(_ file: HDF5File) throws -> [(path: String, tensor: Tensor)] {
        var found: [(index: Int, path: String, tensor: Tensor)] = []
        var visited = Set<UInt64>()
        // A damaged file can link a group into itself; visiting each group once ends the walk.
        func visit(_ object: String, _ components: [String]) throws {
            guard visited.insert(try file.objectIdentity(of: object)).inserted else {
                throw FormatError(file: file.path, object: object, "is reached twice (the file may be damaged)")
            }
            for child in try file.children(of: object) {
                let childPath = object + "/" + child
                guard !child.isEmpty, !child.contains("."), !child.contains("/") else {
                    throw FormatError(file: file.path, object: childPath, "has a name that cannot be part of a parameter path")
                }
                switch try file.kind(of: childPath) {
                case .group?:
                    try visit(childPath, components + [child])
                case .dataset?:
                    guard case .integer(let index) = try file.attribute("index", of: childPath) else {
                        throw FormatError(file: file.path, object: childPath, "has an index attribute that is not an integer")
                    }
                    found.append((index, (components + [child]).joined(separator: "."), try file.readTensor(childPath)))
                default:
                    throw FormatError(file: file.path, object: childPath, "is neither a group nor a dataset")
                }
            }
        }
        try visit("/parameters", [])
        found.sort { $0.index < $1.index }
        for (position, entry) in found.enumerated() where entry.index != position {
            throw FormatError(file: file.path, object: objectPath(of: entry.path),
                "has index \(entry.index), but the \(found.count) parameters must be numbered 0 to \(found.count - 1) without repeats")
        }
        return found.map { ($0.path, $0.tensor) }
    }
}
