import Diffusion
import Engine
import Formats
import Imaging
import Foundation
import Language

/// Values in cache entries: one safetensors file per entry, holding each tensor of the values
/// ("t0", "t1", ...) and the structure around them as JSON in the metadata entry
/// "medsynth.values". (Safetensors rather than HDF5: it is written straight from the tensors,
/// where HDF5 built the file in memory first, at three times a result's size; and reading it
/// needs no libhdf5.) Models keep their checkpoint (configuration and parameters), schedules their
/// configuration, figures their pixels or SVG.
enum ValueCodec {
    struct Unstorable: Error, CustomStringConvertible {
        var description: String
    }

    /// The metadata key under which an entry keeps its values' structure (JSON); tensors are
    /// stored as "t0", "t1", ... in the order the structure refers to them.
    static let structureKey = "medsynth.values"

    /// Writes named values to `path` atomically, as a safetensors file: the tensors go to the
    /// file straight from their storage, so storing a result costs no copy of it. Not flushed
    /// to disk before the rename (that cost milliseconds per entry, most of the time of a cell
    /// of many small statements): an entry is checked against its checksum in the index before
    /// use, so one lost or torn by a power cut is recomputed, never read.
    /// Returns the file's size and SHA-256, computed from the bytes as they were written.
    @discardableResult
    static func write(_ values: [(name: String, value: Value)], to path: String) throws -> (bytes: Int, sha256: String) {
        var tensors: [Tensor] = []
        let structure = try values.map { entry -> [String: Any] in
            ["name": entry.name, "value": try encode(entry.value, tensors: &tensors)]
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: structure, options: [.sortedKeys]), as: UTF8.self)
        let named = tensors.enumerated().map { (name: "t\($0.offset)", tensor: $0.element) }
        let metadata = [structureKey: json]
        guard try SafetensorsFile.headerLength(named, metadata: metadata) <= SafetensorsFile.maximumHeaderLength else {
            throw Unstorable(description: "the values' description is too long to cache (over \(SafetensorsFile.maximumHeaderLength / 1_000_000) MB)")
        }
        var hash = SHA256()
        var size = 0
        try SafetensorsFile.write(named, metadata: metadata, to: path, durable: false) { bytes in
            size += bytes.count
            hash.update(bytes)
        }
        return (size, hash.finalize())
    }

    /// The values of the entry file at `path`.
    static func read(from path: String) throws -> [(name: String, value: Value)] {
        try read(try SafetensorsFile(reading: path))
    }

    /// The values of an entry whose bytes (checked against the index's checksum) are `bytes`:
    /// what was checked is what is decoded, with no second read of the file.
    static func read(bytes: [UInt8], path: String) throws -> [(name: String, value: Value)] {
        try read(try SafetensorsFile(bytes: bytes, path: path))
    }

    private static func read(_ file: SafetensorsFile) throws -> [(name: String, value: Value)] {
        guard let json = file.metadata[structureKey],
              let structure = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else {
            throw Unstorable(description: "the entry \(file.path) has no values")
        }
        return try structure.map { entry in
            guard let name = entry["name"] as? String, let value = entry["value"] else {
                throw Unstorable(description: "the entry \(file.path) is malformed")
            }
            return (name, try decode(value, file: file, depth: 0))
        }
    }

    private static func encode(_ value: Value, tensors: inout [Tensor]) throws -> Any {
        func tensorReference(_ tensor: Tensor) -> String {
            tensors.append(tensor)
            return "t\(tensors.count - 1)"
        }
        switch value {
        case .nothing: return ["type": "nothing"]
        case .number(let x):
            // JSON has no NaN or infinity; the text round-trips every Double.
            return ["type": "number", "value": "\(x)"]
        case .string(let text): return ["type": "string", "value": text]
        case .bool(let flag): return ["type": "bool", "value": flag]
        case .list(let items): return ["type": "list", "items": try items.map { try encode($0, tensors: &tensors) }]
        case .record(let record):
            return ["type": "record", "fields": try record.fields.map { ["name": $0.name, "value": try encode($0.value, tensors: &tensors)] }]
        case .tensor(let tensor): return ["type": "tensor", "data": tensorReference(tensor)]
        case .schedule(let schedule): return ["type": "schedule", "configuration": schedule.checkpointConfiguration]
        case .model(let model):
            let checkpoint = try model.wrapped.checkpoint()
            var entry: [String: Any] = [
                "type": "model", "configuration": checkpoint.configuration,
                "parameters": checkpoint.parameters.map { ["path": $0.path, "data": tensorReference($0.tensor)] },
            ]
            if let training = model.training {
                let history = training.history
                var series: [String: String] = [:]
                for (name, values) in [("loss", history.loss), ("lr", history.learningRate), ("grad_norm", history.gradientNorm),
                                       ("val_step", history.validationStep.map(Float.init)), ("val_loss", history.validationLoss)]
                where !values.isEmpty {
                    series[name] = tensorReference(Tensor(values))
                }
                entry["training"] = ["planned": training.plannedSteps, "series": series]
            }
            return entry
        case .figure(let figure):
            var entry: [String: Any] = ["type": "figure", "title": figure.title]
            if let path = figure.path { entry["path"] = path }
            if let reportSVG = figure.reportSVG { entry["report_svg"] = reportSVG }
            switch figure.content {
            case .raster(let image): entry["raster"] = tensorReference(image)
            case .vector(let svg): entry["svg"] = svg
            }
            return entry
        case .table(let table):
            return ["type": "table", "columns": table.columns, "rows": try table.rows.map { try $0.map { try encode($0, tensors: &tensors) } }]
        case .estimate(let estimate):
            // Numbers as text, as a number's: an interval may be NaN or infinite.
            var entry: [String: Any] = [
                "type": "estimate", "value": "\(estimate.value)", "lower": "\(estimate.lower)", "upper": "\(estimate.upper)",
                "level": "\(estimate.level)", "count": estimate.count, "resamples": estimate.resamples,
            ]
            if let p = estimate.pValue { entry["p"] = "\(p)" }
            if let features = estimate.features { entry["features"] = features }
            return entry
        case .function(let callable):
            throw Unstorable(description: "the function \(callable.name) is not stored; its definition runs again")
        }
    }

    /// The training run stored with a model, checked as a checkpoint's history is: the series
    /// of one length, validation steps ascending within the run.
    private static func trainingRun(_ any: Any?, file: SafetensorsFile) throws -> TrainingRun? {
        guard let any else { return nil }
        guard let entry = any as? [String: Any], let planned = entry["planned"] as? Int, planned >= 1,
              let series = entry["series"] as? [String: String] else {
            throw Unstorable(description: "a malformed training history in \(file.path)")
        }
        func values(_ name: String) throws -> [Float] {
            try series[name].map { try file.tensor(named: $0).scalars } ?? []
        }
        let (loss, rates, norms) = (try values("loss"), try values("lr"), try values("grad_norm"))
        let (validationSteps, validationLosses) = (try values("val_step"), try values("val_loss"))
        guard rates.count == loss.count, norms.count == loss.count, validationSteps.count == validationLosses.count else {
            throw Unstorable(description: "a training history of unequal series in \(file.path)")
        }
        var history = TrainingHistory()
        for i in loss.indices { history.record(loss: loss[i], learningRate: rates[i], gradientNorm: norms[i]) }
        var previous = 0
        for (stepValue, value) in zip(validationSteps, validationLosses) {
            guard let step = Int(exactly: stepValue), step > previous, step <= loss.count else {
                throw Unstorable(description: "a training history with a validation at step \(stepValue) in \(file.path)")
            }
            history.recordValidation(step: step, loss: value)
            previous = step
        }
        return TrainingRun(history: history, plannedSteps: planned)
    }

    /// `depth` counts the lists, records and tables around the value: the language never nests
    /// deeper than `ValueLimits.maximumDepth`, so a deeper entry is malformed, and refusing it
    /// keeps the recursion bounded.
    private static func decode(_ any: Any, file: SafetensorsFile, depth: Int) throws -> Value {
        guard depth <= ValueLimits.maximumDepth else {
            throw Unstorable(description: "values nested too deeply in \(file.path)")
        }
        guard let entry = any as? [String: Any], let type = entry["type"] as? String else {
            throw Unstorable(description: "a malformed value in \(file.path)")
        }
        func tensor(_ key: String) throws -> Tensor {
            guard let name = entry[key] as? String else { throw Unstorable(description: "a tensor reference is missing in \(file.path)") }
            return try file.tensor(named: name)
        }
        switch type {
        case "nothing": return .nothing
        case "number":
            guard let text = entry["value"] as? String, let x = Double(text) else { throw Unstorable(description: "a malformed number") }
            return .number(x)
        case "estimate":
            func number(_ key: String) throws -> Double {
                guard let text = entry[key] as? String, let x = Double(text) else { throw Unstorable(description: "a malformed estimate in \(file.path)") }
                return x
            }
            guard let count = entry["count"] as? Int, count >= 0, let resamples = entry["resamples"] as? Int, resamples >= 0 else {
                throw Unstorable(description: "a malformed estimate in \(file.path)")
            }
            return .estimate(Estimate(
                value: try number("value"), lower: try number("lower"), upper: try number("upper"), level: try number("level"),
                count: count, resamples: resamples, pValue: entry["p"] == nil ? nil : try number("p"),
                features: entry["features"] as? String))
        case "string": return .string(entry["value"] as? String ?? "")
        case "bool": return .bool(entry["value"] as? Bool ?? false)
        case "list": return .list(try (entry["items"] as? [Any] ?? []).map { try decode($0, file: file, depth: depth + 1) })
        case "record":
            let fields = try (entry["fields"] as? [[String: Any]] ?? []).map { field -> (name: String, value: Value) in
                (field["name"] as? String ?? "", try decode(field["value"] as Any, file: file, depth: depth + 1))
            }
            return .record(Record(fields))
        case "tensor": return .tensor(try tensor("data"))
        case "schedule":
            return .schedule(try NoiseSchedule(checkpointConfiguration: entry["configuration"] as? [String: String] ?? [:]))
        case "model":
            let parameters = try (entry["parameters"] as? [[String: Any]] ?? []).map { parameter -> (path: String, tensor: Tensor) in
                guard let path = parameter["path"] as? String, let name = parameter["data"] as? String else {
                    throw Unstorable(description: "a malformed model parameter")
                }
                return (path, try file.tensor(named: name))
            }
            let checkpoint = try Checkpoint(parameters: parameters, configuration: entry["configuration"] as? [String: String] ?? [:])
            return .model(Model(try ModelRegistry.model(from: checkpoint), training: try trainingRun(entry["training"], file: file)))
        case "figure":
            let title = entry["title"] as? String ?? ""
            let path = entry["path"] as? String
            let reportSVG = entry["report_svg"] as? String
            if let svg = entry["svg"] as? String { return .figure(Figure(.vector(svg), title: title, path: path, reportSVG: reportSVG)) }
            return .figure(Figure(.raster(try tensor("raster")), title: title, path: path, reportSVG: reportSVG))
        case "table":
            let rows = try (entry["rows"] as? [[Any]] ?? []).map { try $0.map { try decode($0, file: file, depth: depth + 1) } }
            return .table(Table(columns: entry["columns"] as? [String] ?? [], rows: rows))
        default:
            throw Unstorable(description: "an unknown value type '\(type)' in \(file.path)")
        }
    }
}
