/// Reading and writing JSON documents that people and other tools exchange (diffusers'
/// `config.json`, MONAI's constructor arguments), on top of the strict parser the safetensors
/// header uses.
extension JSONValue {
    /// Why a text is not acceptable JSON, with the byte offset where reading stopped.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let offset: Int
        public let message: String

        public var description: String { "\(message) (at byte \(offset))" }
    }

    /// The one value in `bytes` (UTF-8), strictly: no repeated keys, no invalid UTF-8, nesting
    /// at most 64 deep.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch let failure as JSONParser.Failure {
            throw ParseError(offset: failure.offset, message: failure.message)
        } catch {
            throw ParseError(offset: 0, message: "\(error)")
        }
    }

    /// The member `key` of an object; nil for a missing member or a value that is no object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The members of an object, in order; nil for another value.
    public var members: [(key: String, value: JSONValue)]? {
        guard case .object(let members) = self else { return nil }
        return members
    }

    /// A number's value as a Double (which may round a long literal); nil for another value.
    public var number: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    public var string: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }

    public var bool: Bool? {
        guard case .bool(let flag) = self else { return nil }
        return flag
    }

    public var array: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    public var isNull: Bool { self == .null }

    /// A number written so that it reads back to the same Double: integers without a fraction.
    public static func number(_ value: Double) -> JSONValue {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return .number(String(Int(value))) }
        return .number("\(value)")
    }

    /// A Float written as its shortest decimal, "1e-05" rather than the Double 9.99999974e-06.
    public static func number(_ value: Float) -> JSONValue {
        if value.isFinite, value == value.rounded(), abs(value) < 1e7 { return .number(String(Int(value))) }
        return .number("\(value)")
    }

    /// JSON text indented by two spaces per level, one member per line, as Python's
    /// `json.dumps(indent=2)` writes it, with a final newline.
    public var prettyPrinted: String {
        func write(_ value: JSONValue, indent: String) -> String {
            let inner = indent + "  "
            switch value {
            case .object(let members) where !members.isEmpty:
                let lines = members.map { inner + JSONValue.string($0.key).serialized + ": " + write($0.value, indent: inner) }
                return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
            case .array(let elements) where !elements.isEmpty:
                return "[\n" + elements.map { inner + write($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
            default:
                return value.serialized
            }
        }
        return write(self, indent: "") + "\n"
    }
}
