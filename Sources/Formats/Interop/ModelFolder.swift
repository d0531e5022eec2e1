import Engine
import Foundation

/// A model as diffusers and MONAI keep one: a folder with `config.json` (diffusers'
/// `save_pretrained` configuration, or MONAI's constructor arguments with a `_target_` naming the
/// class, as a MONAI bundle writes them) and the weights in safetensors
/// (`diffusion_pytorch_model.safetensors` as diffusers names them, or `model.safetensors`).
/// What medsynth adds when it writes one is beside them, and other tools ignore it:
/// `medsynth.json` (what the network's library has no place for: condition groups, the process)
/// and `condition_encoder.safetensors`. A diffusers pipeline's `scheduler/scheduler_config.json`
/// next to the model's folder, or a `scheduler_config.json` in it, is read too.
///
/// Only regular files are read, JSON files up to `maximumJSONBytes`. Pickled weights
/// (`.bin`, `.pt`) are refused: unpickling runs code that the file chooses.
public struct ModelFolder {
    /// The configuration file's name in the folder.
    public static let configName = "config.json"
    /// The weight files medsynth reads, in the order it looks for them.
    public static let weightNames = ["diffusion_pytorch_model.safetensors", "model.safetensors"]
    public static let medsynthName = "medsynth.json"
    public static let encoderName = "condition_encoder.safetensors"
    public static let schedulerName = "scheduler_config.json"
    /// Larger JSON is no configuration.
    public static let maximumJSONBytes = 1 << 20

    public let path: String
    public let config: JSONValue
    /// The weights by name, in the file's order.
    public let weights: [(name: String, tensor: Tensor)]
    public let medsynth: JSONValue?
    public let encoderWeights: [(name: String, tensor: Tensor)]?
    public let scheduler: JSONValue?
    /// Every file that was read, for the notebook's cache to hash.
    public let files: [String]

    /// Whether `path` is a folder (following a link to one).
    public static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    public init(reading path: String) throws {
        self.path = path
        let fileManager = FileManager.default
        func file(_ name: String) -> String { path.hasSuffix("/") ? path + name : path + "/" + name }
        func exists(_ name: String) -> Bool { fileManager.fileExists(atPath: file(name)) }
        guard exists(Self.configName) else {
            throw FormatError(file: path, "is a folder without \(Self.configName): a model folder (diffusers' save_pretrained, "
                + "or MONAI's constructor arguments with a _target_) holds config.json and its weights in safetensors")
        }
        var files = [file(Self.configName)]
        config = try Self.readJSON(file(Self.configName))
        guard let weightName = Self.weightNames.first(where: exists) else {
            let pickles = (try? fileManager.contentsOfDirectory(atPath: path))?.filter { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") } ?? []
            if fileManager.fileExists(atPath: file("diffusion_pytorch_model.safetensors.index.json")) {
                throw FormatError(file: path, "holds weights sharded over several files, which medsynth does not read")
            }
            throw FormatError(file: path, "has no \(Self.weightNames.joined(separator: " or "))"
                + (pickles.isEmpty ? "" : "; \(pickles.sorted().joined(separator: ", ")) are PyTorch pickles, which medsynth does not "
                    + "read because loading one runs code it chooses: convert them with safetensors' save_file"))
        }
        files.append(file(weightName))
        weights = try SafetensorsFile(reading: file(weightName)).tensors()
        medsynth = exists(Self.medsynthName) ? try Self.readJSON(file(Self.medsynthName)) : nil
        if medsynth != nil { files.append(file(Self.medsynthName)) }
        if exists(Self.encoderName) {
            encoderWeights = try SafetensorsFile(reading: file(Self.encoderName)).tensors()
            files.append(file(Self.encoderName))
        } else {
            encoderWeights = nil
        }
        let pipelineScheduler = (path.hasSuffix("/") ? String(path.dropLast()) : path) + "/../scheduler/" + Self.schedulerName
        if let schedulerFile = [file(Self.schedulerName), pipelineScheduler].first(where: { fileManager.fileExists(atPath: $0) }) {
            scheduler = try Self.readJSON(schedulerFile)
            files.append(schedulerFile)
        } else {
            scheduler = nil
        }
        self.files = files
    }

    /// The JSON document in a regular file of at most `maximumJSONBytes`.
    static func readJSON(_ path: String) throws -> JSONValue {
        var bytes: [UInt8] = []
        try RegularFile.readPieces(path) { piece in
            bytes += piece
            return bytes.count <= maximumJSONBytes
        }
        guard bytes.count <= maximumJSONBytes else {
            throw FormatError(file: path, "is larger than \(maximumJSONBytes) bytes, more than a configuration holds")
        }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw FormatError(file: path, "is not JSON: \(error)")
        }
    }

    /// Writes a model folder: each JSON document (indented, as Python's json.dump writes) and
    /// each weight file under its name, each atomically. The folder is created if needed.
    public static func write(
        to path: String, json: [(name: String, value: JSONValue)], weights: [(name: String, tensors: [(name: String, tensor: Tensor)])]
    ) throws -> [String] {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        func file(_ name: String) -> String { path.hasSuffix("/") ? path + name : path + "/" + name }
        for (name, tensors) in weights { try SafetensorsFile.write(tensors, metadata: ["format": "pt"], to: file(name)) }
        for (name, value) in json { try AtomicWrite.write(value.prettyPrinted, to: file(name)) }
        return weights.map { file($0.name) } + json.map { file($0.name) }
    }
}
