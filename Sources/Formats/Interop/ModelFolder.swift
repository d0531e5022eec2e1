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

    /// Whether `path` is a folder (following a link to one): `load` reads a folder as a model.
    public static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The files a model folder at `path` is read from, those that exist, in the order they are
    /// read: its configuration, its first weight file, medsynth's notes and encoder, and the
    /// scheduler's configuration (in the folder, or in a diffusers pipeline's `scheduler/`
    /// beside it). A notebook's cache hashes exactly these.
    public static func files(at path: String) -> [String] {
        let fileManager = FileManager.default
        let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
        let weights = weightNames.map { folder + "/" + $0 }.first(where: fileManager.fileExists(atPath:))
        let scheduler = [folder + "/" + schedulerName, folder + "/../scheduler/" + schedulerName].first(where: fileManager.fileExists(atPath:))
        return ([folder + "/" + configName] + [weights].compactMap { $0 }
            + [medsynthName, encoderName].map { folder + "/" + $0 } + [scheduler].compactMap { $0 })
            .filter(fileManager.fileExists(atPath:))
    }

    /// Reads the model folder at `path`; `mayRead` is asked about each file first (a confined
    /// notebook run reads only inside the folders it may use).
    public init(reading path: String, mayRead: (String) -> String? = { _ in nil }) throws {
        self.path = path
        let files = Self.files(at: path)
        for file in files {
            if let refusal = mayRead(file) { throw FormatError(file: file, refusal) }
        }
        func named(_ name: String) -> String? { files.first { $0.hasSuffix("/" + name) } }
        guard let configFile = files.first, configFile.hasSuffix("/" + Self.configName) else {
            throw FormatError(file: path, "is a folder without \(Self.configName): a model folder (diffusers' save_pretrained, "
                + "or MONAI's constructor arguments with a _target_) holds config.json and its weights in safetensors")
        }
        config = try Self.readJSON(configFile)
        guard let weightFile = Self.weightNames.lazy.compactMap(named).first else {
            let listing = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if listing.contains(where: { $0.hasSuffix(".safetensors.index.json") }) {
                throw FormatError(file: path, "holds weights sharded over several files, which medsynth does not read")
            }
            let pickles = listing.filter { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") }
            throw FormatError(file: path, "has no \(Self.weightNames.joined(separator: " or "))"
                + (pickles.isEmpty ? "" : "; \(pickles.sorted().joined(separator: ", ")) are PyTorch pickles, which medsynth does not "
                    + "read because loading one runs code it chooses: convert them with safetensors' save_file"))
        }
        weights = try SafetensorsFile(reading: weightFile).tensors()
        medsynth = try named(Self.medsynthName).map(Self.readJSON)
        encoderWeights = try named(Self.encoderName).map { try SafetensorsFile(reading: $0).tensors() }
        scheduler = try named(Self.schedulerName).map(Self.readJSON)
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
