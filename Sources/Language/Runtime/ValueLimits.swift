/// Bounds on the values a program builds for itself. A loop can double a string or a list
/// (`s = s + s`) or wrap a list in another (`l = [l]`) without end: the first runs out of memory,
/// the second builds a value so deep that printing, comparing or freeing it overflows the stack.
/// The interpreter checks each list, record and string it makes against these (tensors are
/// bounded by Engine's memory budget).
public enum ValueLimits {
    /// The most values a list may hold, counting those inside the lists and records it holds:
    /// 2^20. A list that holds another twice (`s = [s, s]`) shares its storage, so doubling it
    /// costs nothing, but everything that walks it (printing, comparing, storing it in the
    /// cache) takes as long as this count says. Tensors hold numbers by the million.
    public static let maximumValueCount = 1 << 20
    /// The longest string, in UTF-8 bytes: 256 MiB.
    public static let maximumStringBytes = 1 << 28
    /// How deeply lists and records may nest inside each other, as source may nest.
    public static let maximumDepth = Parser.maximumNesting

    /// What is wrong with a value a program has just built, if anything.
    enum Excess: Equatable {
        case tooDeep, tooMany
    }

    /// Walks `value` no further than the limits allow: at most `maximumValueCount` values, no
    /// deeper than `maximumDepth`, so a check never costs more than the limits themselves.
    static func excess(of value: Value) -> Excess? {
        var visited = 0
        func walk(_ value: Value, level: Int) -> Excess? {
            visited += 1
            if level > maximumDepth { return .tooDeep }
            if visited > maximumValueCount { return .tooMany }
            switch value {
            case .list(let items):
                for item in items { if let excess = walk(item, level: level + 1) { return excess } }
            case .record(let record):
                for field in record.fields { if let excess = walk(field.value, level: level + 1) { return excess } }
            default:
                break
            }
            return nil
        }
        return walk(value, level: 1)
    }
}
