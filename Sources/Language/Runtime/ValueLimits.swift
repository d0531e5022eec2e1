/// Bounds on the values a program builds for itself. A loop can double a string or a list
/// (`s = s + s`) or wrap a list in another (`l = [l]`) without end: the first runs out of memory,
/// the second builds a value so deep that printing, comparing or freeing it overflows the stack.
/// The interpreter checks each list, record and string it makes against these (tensors are
/// bounded by Engine's memory budget).
public enum ValueLimits {
    /// The most items a list may hold: 2^24, about 256 MiB of values.
    public static let maximumListCount = 1 << 24
    /// The longest string, in UTF-8 bytes: 256 MiB.
    public static let maximumStringBytes = 1 << 28
    /// How deeply lists and records may nest inside each other, as source may nest.
    public static let maximumDepth = Parser.maximumNesting
    /// The nesting depth of lists and records in `value` (1 for any other value), counted no
    /// further than `limit + 1`, so a check costs no more than the levels it allows.
    static func depth(of value: Value, limit: Int = maximumDepth) -> Int {
        guard limit >= 0 else { return 1 }
        switch value {
        case .list(let items):
            return 1 + items.reduce(0) { deepest, item in
                deepest > limit ? deepest : max(deepest, depth(of: item, limit: limit - 1))
            }
        case .record(let record):
            return 1 + record.fields.reduce(0) { deepest, field in
                deepest > limit ? deepest : max(deepest, depth(of: field.value, limit: limit - 1))
            }
        default:
            return 1
        }
    }
}
