import Formats

/// Reads the members of another library's configuration (diffusers' `config.json`, MONAI's
/// constructor arguments), each typed and checked, naming the member and the file in errors:
/// `config.json: "block_out_channels" is "64", expected a list of whole numbers`. Members that
/// would change the network but that medsynth does not implement are refused by name
/// (`refuseUnless`), so a model never loads as something other than what it is.
struct ConfigurationReader {
    let json: JSONValue
    /// The file or object named in errors: "config.json", "MONAI arguments".
    let source: String

    init(_ json: JSONValue, source: String) throws {
        guard json.members != nil else {
            throw CheckpointError(parameter: nil, "\(source) is \(json.kindDescription), not an object of options")
        }
        self.json = json
        self.source = source
    }

    func failure(_ key: String, _ expected: String) -> CheckpointError {
        let found = json[key].map { value -> String in
            let text = value.serialized
            return text.count > 60 ? String(text.prefix(57)) + "..." : text
        } ?? "missing"
        return CheckpointError(parameter: nil, "\(source): \"\(key)\" is \(found), expected \(expected)")
    }

    /// Whether the member is absent or null.
    func isAbsent(_ key: String) -> Bool { json[key] == nil || json[key] == .null }

    func int(_ key: String, default fallback: Int? = nil, in range: ClosedRange<Int> = 0...Int(Int32.max)) throws -> Int {
        if isAbsent(key), let fallback { return fallback }
        guard let value = json[key]?.number, value == value.rounded(), let whole = Int(exactly: value), range.contains(whole) else {
            throw failure(key, "a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return whole
    }

    func double(_ key: String, default fallback: Double? = nil) throws -> Double {
        if isAbsent(key), let fallback { return fallback }
        guard let value = json[key]?.number, value.isFinite else { throw failure(key, "a finite number") }
        return value
    }

    func bool(_ key: String, default fallback: Bool? = nil) throws -> Bool {
        if isAbsent(key), let fallback { return fallback }
        guard let value = json[key]?.bool else { throw failure(key, "true or false") }
        return value
    }

    func string(_ key: String, default fallback: String? = nil) throws -> String {
        if isAbsent(key), let fallback { return fallback }
        guard let value = json[key]?.string else { throw failure(key, "a string") }
        return value
    }

    /// A list of whole numbers, or one number repeated `count` times when `count` is given.
    func ints(_ key: String, count: Int? = nil, default fallback: [Int]? = nil) throws -> [Int] {
        if isAbsent(key), let fallback { return fallback }
        if let count, let single = json[key]?.number {
            guard single == single.rounded(), let whole = Int(exactly: single), whole >= 0 else {
                throw failure(key, "a whole number or a list of them")
            }
            return Array(repeating: whole, count: count)
        }
        guard let elements = json[key]?.array, elements.count <= 64 else { throw failure(key, "a list of whole numbers") }
        return try elements.map { element in
            guard let value = element.number, value == value.rounded(), let whole = Int(exactly: value), whole >= 0,
                  whole <= Int(Int32.max) else { throw failure(key, "a list of whole numbers") }
            return whole
        }
    }

    func strings(_ key: String, default fallback: [String]? = nil) throws -> [String] {
        if isAbsent(key), let fallback { return fallback }
        guard let elements = json[key]?.array, elements.count <= 64 else { throw failure(key, "a list of strings") }
        return try elements.map { element in
            guard let text = element.string else { throw failure(key, "a list of strings") }
            return text
        }
    }

    func bools(_ key: String, default fallback: [Bool]? = nil) throws -> [Bool] {
        if isAbsent(key), let fallback { return fallback }
        guard let elements = json[key]?.array, elements.count <= 64 else { throw failure(key, "a list of true and false") }
        return try elements.map { element in
            guard let flag = element.bool else { throw failure(key, "a list of true and false") }
            return flag
        }
    }

    /// diffusers' `sample_size`: a side, or [height, width] (kept as the height when square,
    /// else left out: it is only a note of what the model was made for).
    func sampleSize() throws -> Int? {
        if isAbsent("sample_size") { return nil }
        let sides = try ints("sample_size", count: 1)
        guard let side = sides.first, sides.allSatisfy({ $0 == side }), (1...65536).contains(side) else { return nil }
        return side
    }

    /// Refuses a member that is present with a value other than those medsynth implements
    /// (`accepted`; absent and null always pass when `nullAllowed`).
    func refuseUnless(_ key: String, in accepted: [JSONValue], nullAllowed: Bool = true, because reason: String) throws {
        guard let value = json[key] else { return }
        if value == .null && nullAllowed { return }
        guard accepted.contains(value) else {
            throw CheckpointError(parameter: nil, "\(source): \"\(key)\" is \(value.serialized), which medsynth does not implement (\(reason))")
        }
    }
}
