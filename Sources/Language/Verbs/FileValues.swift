import Diffusion
import Engine
import Formats

/// Where the language's values meet Formats' `FormatValue`: what `load` gives for what a format
/// reads, and what `save` hands a format for a value. The formats themselves are in Formats'
/// `FormatRegistry`; only the language's side is here.
///
/// | the language's value             | the format's value                       |
/// |----------------------------------|------------------------------------------|
/// | a tensor, a number, a list       | a tensor                                 |
/// | a record of tensors              | tensors by name                          |
/// | a model                          | a checkpoint (through `ModelRegistry`)   |
/// | an image figure                  | a tensor of its pixels in 0...1          |
/// | a plot (a vector figure)         | a vector drawing (its SVG text)          |
enum FileValues {
    /// The value `load` gives for what a format read.
    static func value(of read: FormatValue) throws -> Value {
        switch read {
        case .tensor(let tensor): .tensor(tensor)
        case .tensors(let named): .record(Record(named.map { ($0.name, Value.tensor($0.tensor)) }))
        case .checkpoint(let checkpoint): .model(Model(try ModelRegistry.model(from: checkpoint)))
        case .text(let text): .string(text)
        }
    }

    /// The kind of format value `value` becomes, or nil for a value no format holds (a
    /// schedule, a table). Nothing is converted yet: a record's fields are checked by
    /// `formatValue`.
    static func kind(of value: Value) -> FormatValue.Kind? {
        switch value {
        case .tensor, .number, .list: .tensor
        case .record: .tensors
        case .model: .checkpoint
        case .figure(let figure):
            switch figure.content {
            case .raster: .tensor
            case .vector: .text
            }
        default: nil
        }
    }

    /// What `save` hands `format` for the call's `value`, whose `kind` the format writes.
    /// A figure's raster holds 0...255; formats take images in 0...1, as `load` gives them.
    static func formatValue(of call: VerbCall, _ name: String, for format: any FileFormat) throws -> FormatValue {
        switch call.value(name) {
        case .figure(let figure):
            switch figure.content {
            case .raster(let image): return .tensor(image / 255)
            case .vector(let svg): return .text(svg)
            }
        case .record(let record):
            return .tensors(try record.fields.map { field -> (name: String, tensor: Tensor) in
                guard case .tensor(let tensor) = field.value else {
                    throw call.error(name, "only tensors can go into a \(format.name) file; '\(field.name)' is not one")
                }
                return (field.name, tensor)
            })
        case .model(let model):
            return .checkpoint(try model.wrapped.checkpoint())
        default:
            return .tensor(try call.tensor(name))
        }
    }
}
