/// SVG in the registry: a vector drawing (a plot), written as its text. medsynth draws SVG but
/// does not read it; the signature is here so that a drawing named `.png` is told apart.
public struct SVGFormat: FileFormat {
    /// The format; `FormatRegistry.all` holds the one medsynth uses.
    public init() {}

    public var name: String { "SVG" }
    public var extensions: [String] { ["svg"] }
    public var capabilities: FormatCapabilities { FormatCapabilities(reads: [], writes: [.text]) }
    public var reading: String { "" }
    public var writing: String { "a vector drawing, as its text" }

    /// Text that opens with "<svg", or with "<?xml" and has an "<svg" element within the
    /// header; a UTF-8 byte order mark and white space before either are allowed.
    public func matches(header: [UInt8]) -> Bool {
        var text = header[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        text = text.drop { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if text.starts(with: Array("<svg".utf8)) { return true }
        return text.starts(with: Array("<?xml".utf8)) && String(decoding: text, as: UTF8.self).contains("<svg")
    }

    public func read(_ path: String, options: ReadOptions) throws -> FormatValue {
        throw FormatError(file: path, "is SVG, which medsynth writes but does not read")
    }

    public func write(_ value: FormatValue, to path: String, options: WriteOptions) throws {
        guard case .text(let text) = value else { throw cannotWrite(value, to: path) }
        try AtomicWrite.write(text, to: path)
    }
}
