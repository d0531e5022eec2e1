import Foundation
import Diffusion
import Engine
import Imaging

/// A value of the language.
public enum Value: @unchecked Sendable {
    case nothing
    case number(Double)
    case string(String)
    case bool(Bool)
    case list([Value])
    case record(Record)
    case tensor(Tensor)
    case model(Model)
    case schedule(NoiseSchedule)
    case figure(Figure)
    case table(Table)
    case function(Callable)
    /// A metric with its confidence interval (`metric ... ci=0.95`, `compare`).
    case estimate(Estimate)

    public var type: ValueType {
        switch self {
        case .nothing: return .nothing
        case .number: return .number
        case .string: return .string
        case .bool: return .bool
        case .list: return .list
        case .record: return .record
        case .tensor: return .tensor
        case .model: return .model
        case .schedule: return .schedule
        case .figure: return .figure
        case .table: return .table
        case .function: return .function
        case .estimate: return .estimate
        }
    }

    /// How a diagnostic describes the value: "a tensor of shape [4, 1, 64, 64]", "the number 3".
    public var summary: String {
        switch self {
        case .nothing: return "nothing"
        case .number(let value): return "the number \(Value.format(value))"
        case .string(let value): return "the string \"\(value)\""
        case .bool(let value): return value ? "true" : "false"
        case .list(let values): return "a list of \(values.count)"
        case .record(let record):
            // A record of many fields (a state dict's tensors) is named by its first few.
            let names = record.fields.map(\.name)
            guard names.count > 8 else { return "a record with \(names.joined(separator: ", "))" }
            return "a record of \(names.count) fields (\(names.prefix(6).joined(separator: ", ")), ...)"
        case .tensor(let tensor): return "a tensor of shape \(tensor.shape)"
        case .model(let model):
            let stopped = model.training.map { $0.isComplete ? "" : ", stopped after \($0.history.count) of \($0.plannedSteps) steps" } ?? ""
            return "a model (\(model.kindName), \(model.parameterCount) parameters\(stopped))"
        case .schedule(let schedule): return "a schedule (\(schedule.kind), T = \(schedule.trainingSteps))"
        case .figure: return "a figure"
        case .table(let table): return "a table of \(table.rows.count) rows"
        case .function(let function): return "the function \(function.name)"
        case .estimate(let estimate): return "the estimate \(estimate.text)"
        }
    }

    /// Numbers as people write them: integers without a point, others to 6 significant digits.
    public static func format(_ value: Double) -> String { TextFormat.plain(value) }
}

/// The types the analyser reasons about; `any` when a type is known only at run time.
public enum ValueType: String, Sendable, Equatable, CaseIterable {
    case nothing, number, string, bool, list, record, tensor, model, schedule, figure, table, function, estimate, any

    /// "a tensor", "a number", "any value".
    public var article: String {
        switch self {
        case .any: return "any value"
        case .nothing: return "nothing"
        case .estimate: return "an estimate"
        default: return "a \(rawValue)"
        }
    }

    /// Whether a value of type `other` may stand where this type is expected: numbers and bools
    /// turn into tensors where a tensor is wanted.
    public func accepts(_ other: ValueType) -> Bool {
        if self == .any || other == .any || self == other { return true }
        return self == .tensor && (other == .number || other == .bool)
    }
}

/// Named fields in the order they were made (`train.image`, `train.label`).
public struct Record: Sendable {
    public var fields: [(name: String, value: Value)]

    public init(_ fields: [(name: String, value: Value)]) {
        self.fields = fields
    }

    public subscript(name: String) -> Value? {
        fields.first { $0.name == name }?.value
    }
}

/// A figure: an image grid rendered by `show`, or a line plot drawn by `plot`.
public struct Figure: Sendable {
    public enum Content: Sendable {
        /// An RGB image [3, H, W] in 0...255.
        case raster(Tensor)
        /// An SVG document.
        case vector(String)
    }

    public var content: Content
    public var title: String
    /// Where it was written (PNG or SVG), if it was.
    public var path: String?
    /// How a report shows it, when that differs from `content`: an image grid as SVG, its
    /// panels scaled up and its text real text.
    public var reportSVG: String?

    public init(_ content: Content, title: String, path: String? = nil, reportSVG: String? = nil) {
        self.content = content
        self.title = title
        self.path = path
        self.reportSVG = reportSVG
    }
}

/// A table of named columns, e.g. a schedule's (t, beta, alpha-bar, SNR).
public struct Table: Sendable, CustomStringConvertible {
    public var columns: [String]
    public var rows: [[Value]]

    public init(columns: [String], rows: [[Value]]) {
        self.columns = columns
        self.rows = rows
    }

    public var description: String {
        let cells = rows.map { $0.map(\.displayText) }
        let widths = columns.indices.map { column in
            max(columns[column].count, cells.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0)
        }
        // Numbers align right, text left.
        let numeric = columns.indices.map { column in
            rows.allSatisfy { row in
                guard row.indices.contains(column) else { return true }
                if case .number = row[column] { return true }
                return false
            }
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - text.count)
                return numeric[column] ? padding + text : text + padding
            }.joined(separator: "  ").replacing(/\ +$/, with: "")
        }
        return ([line(columns)] + cells.map(line)).joined(separator: "\n")
    }
}

/// A model as a value of the language: any kind the model registry knows (an autoencoder, a
/// denoiser, a segmenter; see `ModelRegistry`). Verbs that need one kind ask for it with `as`.
public final class Model: @unchecked Sendable {
    public let wrapped: any DiffusionModel
    /// How `train` made it, when it did: the history of its run and the steps it was to take.
    public let training: TrainingRun?

    public init(_ wrapped: any DiffusionModel, training: TrainingRun? = nil) {
        self.wrapped = wrapped
        self.training = training
    }

    /// The model as `kind`, or nil when it is another kind.
    public func `as`<Kind: DiffusionModel>(_ kind: Kind.Type) -> Kind? { wrapped as? Kind }

    public var kindName: String { wrapped.kindName }

    /// The trainable module.
    public var module: Module { wrapped.module }

    public var parameterCount: Int { wrapped.parameterCount }
}

/// The run of `train` that made a model: what each step measured, and how many steps it was
/// asked for; fewer steps recorded than planned is a run stopped part-way (Ctrl-C).
public struct TrainingRun: Sendable {
    public var history: TrainingHistory
    public var plannedSteps: Int

    public init(history: TrainingHistory, plannedSteps: Int) {
        self.history = history
        self.plannedSteps = plannedSteps
    }

    public var isComplete: Bool { history.count >= plannedSteps }

    /// The run's curves as a figure (SVG), titled `title`; nil before the first step.
    public func curves(title: String) -> Figure? {
        guard history.count > 0 else { return nil }
        let plot = LinePlot.trainingCurves(
            steps: (1...history.count).map(Double.init), loss: history.loss.map(Double.init),
            validationSteps: history.validationStep.map(Double.init), validationLoss: history.validationLoss.map(Double.init),
            smoothing: TrainingHistory.smoothing, title: title)
        return (try? plot.svg()).map { Figure(.vector($0), title: title) }
    }

    /// The history as the language shows it (`model.history`): `step`, `loss`, `lr` and
    /// `grad_norm` per step, `val_step` and `val_loss` per validation, `planned` steps and
    /// whether the run is `complete`.
    public var historyRecord: Record {
        func series(_ values: [Float]) -> Value { values.isEmpty ? .list([]) : .tensor(Tensor(values)) }
        return Record([
            ("step", series((0..<history.count).map { Float($0 + 1) })),
            ("loss", series(history.loss)),
            ("lr", series(history.learningRate)),
            ("grad_norm", series(history.gradientNorm)),
            ("val_step", series(history.validationStep.map(Float.init))),
            ("val_loss", series(history.validationLoss)),
            ("planned", .number(Double(plannedSteps))),
            ("complete", .bool(isComplete)),
        ])
    }
}

extension Value {
    /// The value written in `format` (a string's hole, the `format` verb): numbers, and tensors
    /// of one value, as numbers; text, and anything else as the REPL shows it, as text. Without
    /// a format, as the REPL shows it.
    public func written(in format: TextFormat?) -> Result<String, FormatProblem> {
        var number: Double?
        switch self {
        case .number(let value): number = value
        case .tensor(let tensor) where tensor.count == 1: number = Double(tensor.withUnsafeBufferPointer { $0[0] })
        default: break
        }
        guard let format else { return .success(number.map(Value.format) ?? displayText) }
        if let number { return Result { () throws(FormatProblem) in try format.write(number) } }
        let text = displayText
        return Result { () throws(FormatProblem) in try format.write(text: text) }
    }

    /// The text the REPL and reports show for a value.
    public var displayText: String {
        switch self {
        case .nothing: return ""
        case .number(let value): return Value.format(value)
        case .string(let value): return value
        case .bool(let value): return value ? "true" : "false"
        case .list(let values): return "[" + values.map(\.inlineText).joined(separator: ", ") + "]"
        case .record(let record):
            return "{" + record.fields.map { "\($0.name): \($0.value.inlineText)" }.joined(separator: ", ") + "}"
        case .tensor(let tensor): return tensor.count <= 16 ? "\(tensor)" : tensorSummary(tensor)
        case .table(let table): return table.description
        case .schedule(let schedule):
            let table = try? schedule.table(rows: schedule.evenlySpacedTimesteps(count: 11))
            return summary + (table.map { "\n\($0)" } ?? "")
        case .figure(let figure):
            return figure.path.map { "figure \"\(figure.title)\" written to \($0)" } ?? "figure \"\(figure.title)\""
        case .estimate(let estimate): return estimate.text
        default: return summary
        }
    }

    /// A one-line form for values inside lists and records.
    public var inlineText: String {
        switch self {
        case .string(let value): return "\"\(value)\""
        // A few values are shown as values (a scalar as a number), more by the shape.
        case .tensor(let tensor): return tensor.count <= 8 ? tensor.valuesText : "tensor \(tensor.shape)"
        case .list, .record, .number, .bool, .nothing, .estimate: return displayText
        default: return summary
        }
    }

    private func tensorSummary(_ tensor: Tensor) -> String {
        guard let statistics = try? TensorStatistics(tensor) else { return "tensor \(tensor.shape)" }
        return "tensor \(tensor.shape)  min \(Value.format(statistics.min))  max \(Value.format(statistics.max))"
            + "  mean \(Value.format(statistics.mean))  std \(Value.format(statistics.std))"
    }
}

/// Minimum, maximum, mean and standard deviation of a tensor, in one pass in Double.
struct TensorStatistics {
    var min = Double.infinity
    var max = -Double.infinity
    var mean = 0.0
    var std = 0.0

    init(_ tensor: Tensor) throws {
        var sum = 0.0
        var sumOfSquares = 0.0
        tensor.withUnsafeBufferPointer { values in
            for value in values {
                let x = Double(value)
                min = Swift.min(min, x)
                max = Swift.max(max, x)
                sum += x
                sumOfSquares += x * x
            }
        }
        let count = Double(Swift.max(1, tensor.count))
        mean = sum / count
        std = (Swift.max(0, sumOfSquares / count - mean * mean)).squareRoot()
    }
}

extension Estimate {
    /// "0.8231 [0.8102, 0.8357]": the value and its interval to the decimals the interval's
    /// width calls for (two significant digits of it); a difference of two models carries its
    /// sign and p-value (two significant digits), "+0.154 [0.138, 0.170], p = 0.0005"; an interval other than 95% says
    /// its level. A value without an interval (`Estimate.point`) names its feature network.
    public var text: String {
        guard hasInterval else {
            // A point carries its feature network: "12.3456 · inception-v3".
            let network = features.map { " · " + ($0.components(separatedBy: ", weights").first ?? $0) } ?? ""
            return Value.format(value) + network
        }
        let width = upper - lower
        func written(_ x: Double, signed: Bool = false) -> String {
            guard x.isFinite, width.isFinite, width > 0 else { return (signed && x > 0 ? "+" : "") + Value.format(x) }
            let decimals = min(12, max(0, 1 - Int(log10(width).rounded(.down))))
            let text = String(format: "%.\(decimals)f", x)
            return signed && x > 0 ? "+" + text : text
        }
        let signed = pValue != nil
        var text = "\(written(value, signed: signed)) [\(written(lower, signed: signed)), \(written(upper, signed: signed))]"
        if abs(level - 0.95) > 1e-9 { text += " (\(Value.format(level * 100))%)" }
        if let pValue { text += ", p = " + String(format: "%.2g", pValue) }
        return text
    }
}

extension RuntimeError {
    /// An estimate used as one number (`e > 0`, `e + 1`): the analyser's and the interpreter's
    /// message, with the point estimate when it is known.
    static func estimateIsNotANumber(span: SourceSpan, found: String, pointEstimate: Double? = nil) -> RuntimeError {
        RuntimeError(
            "an estimate has an interval, so it does not compare or combine as one number", span: span, found: found,
            hint: "state the claim on a bound, e.g. x.lower > 0 or x.upper < y.lower; x.value is the point estimate"
                + (pointEstimate.map { " (\(Value.format($0)))" } ?? ""))
    }
}
