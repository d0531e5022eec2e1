import Engine

/// Verbs on numbers, lists and tensors: shapes, statistics, element-wise functions, creation.
enum ValueVerbs {
    static var all: [Verb] {
        statistics + elementwise + [shape, count, zeros, ones, randn, linspace, stack, concat, reshape, print]
    }

    static let shape = Verb(
        "shape", "The shape of a tensor, as a list.", category: .values,
        parameters: [.argument("x", .tensor, "a tensor")], result: .list,
        example: "shape (zeros [2, 3])"
    ) { call in
        .list(try call.tensor("x").shape.map { .number(Double($0)) })
    }

    static let count = Verb(
        "count", "The number of items: of a list, of a string's characters, or of a tensor's first axis.",
        category: .values, parameters: [.argument("x", .any, "a list, string or tensor")], result: .number,
        example: "count [1, 2, 3]"
    ) { call in
        switch call.value("x") {
        case .list(let items): return .number(Double(items.count))
        case .string(let text): return .number(Double(text.count))
        case .tensor(let tensor): return .number(Double(tensor.shape.first ?? 1))
        case .record(let record): return .number(Double(record.fields.count))
        default: throw call.error("x", "'count' needs a list, a string or a tensor", expected: "a list, string or tensor")
        }
    }

    /// mean, sum, min, max and std: a number over the whole tensor, or a tensor over `axes`.
    static var statistics: [Verb] {
        let reductions: [(String, String, @Sendable (Tensor, [Int]?) throws -> Tensor)] = [
            ("mean", "The mean", { try $0.mean(axes: $1) }),
            ("sum", "The sum", { try $0.sum(axes: $1) }),
            ("min", "The minimum", { try $0.min(axes: $1) }),
            ("max", "The maximum", { try $0.max(axes: $1) }),
            ("std", "The standard deviation (population, as NumPy's default)", { try $0.variance(axes: $1).sqrt() }),
        ]
        return reductions.map { name, phrase, reduce in
            Verb(
                name, "\(phrase) of a tensor's values, or along some axes.", category: .values,
                parameters: [
                    .argument("x", .tensor, "a tensor (a list of numbers is one)"),
                    .option("axes", .list, default: .nothing, "axes to reduce (negative counts from the end); all when left out"),
                ],
                result: .any, returns: "a number; with axes= a tensor without those axes", example: "\(name) [1, 2, 3, 4]"
            ) { call in
                let x = try call.tensor("x")
                guard call.has("axes") else { return .number(Double(try reduce(x, nil).item())) }
                return .tensor(try reduce(x, try call.integers("axes", in: axisRange)))
            }
        }
    }

    static var elementwise: [Verb] {
        let functions: [(String, String, @Sendable (Tensor) -> Tensor)] = [
            ("abs", "The absolute value", { $0.abs() }),
            ("sqrt", "The square root", { $0.sqrt() }),
            ("exp", "e to the power", { $0.exp() }),
            ("log", "The natural logarithm", { $0.log() }),
        ]
        var verbs = functions.map { name, phrase, function in
            Verb(
                name, "\(phrase) of each value.", category: .values,
                parameters: [.argument("x", .tensor, "a number or a tensor")], result: .any,
                returns: "a number for a number, else a tensor of the same shape",
                example: "\(name) 4"
            ) { call in
                if case .number(let number) = call.value("x") {
                    return .number(Double(try function(Tensor(Float(number))).item()))
                }
                return .tensor(function(try call.tensor("x")))
            }
        }
        verbs.append(Verb(
            "clamp", "Limits each value to low...high.", category: .values,
            parameters: [
                .argument("x", .tensor, "a tensor"),
                .option("low", .number, default: .nothing, "the smallest value kept"),
                .option("high", .number, default: .nothing, "the largest value kept"),
            ],
            result: .tensor, example: "clamp [-1, 0.5, 2] low=0 high=1"
        ) { call in
            let low = try call.optionalDouble("low").map(Float.init) ?? -.infinity
            let high = try call.optionalDouble("high").map(Float.init) ?? .infinity
            guard low <= high else { throw call.error("high", "high is below low") }
            return .tensor(try call.tensor("x").clamp(min: low, max: high))
        })
        return verbs
    }

    /// Axes a verb accepts, negative ones counting from the end: more than any tensor has.
    static let axisRange = -64...64
    /// The sizes a shape's axis may have.
    static let axisSizes = 1...(1 << 30)
    static func shapeArgument(_ call: VerbCall, _ name: String) throws -> [Int] {
        let shape = try call.integers(name, in: axisSizes)
        try requireSize(call, name, shape)
        return shape
    }

    /// Refuses, at the argument `name`, a result of `shape` over the memory budget: each option
    /// of a verb may lie in its range while together they ask for more memory than the machine
    /// has (`phantom n=100000 size=256`).
    static func requireSize(_ call: VerbCall, _ name: String, _ shape: [Int]) throws {
        do {
            try Tensor.checkAllocation(shape, op: call.verb.name)
        } catch {
            throw call.error(name, "\(error)", hint: "a smaller shape, or a larger --max-memory if the machine has the memory")
        }
    }

    static let zeros = Verb(
        "zeros", "A tensor of zeros.", category: .values,
        parameters: [.argument("shape", .list, "the shape, e.g. [2, 3]")], result: .tensor, example: "zeros [2, 3]"
    ) { call in
        .tensor(try Tensor.zeros(try shapeArgument(call, "shape")))
    }

    static let ones = Verb(
        "ones", "A tensor of ones.", category: .values,
        parameters: [.argument("shape", .list, "the shape, e.g. [2, 3]")], result: .tensor, example: "ones [2, 3]"
    ) { call in
        .tensor(try Tensor.ones(try shapeArgument(call, "shape")))
    }

    static let randn = Verb(
        "randn", "A tensor of standard normal noise, N(0, 1).", category: .values,
        parameters: [
            .argument("shape", .list, "the shape, e.g. [4, 4, 16, 16]"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the seed; derived from the statement when left out"),
        ],
        result: .tensor, example: "randn [2, 3] seed=1",
        randomness: .seeded(by: "seed")
    ) { call in
        .tensor(try Tensor.randn(try shapeArgument(call, "shape"), random: try call.randomKey()))
    }

    static let linspace = Verb(
        "linspace", "count numbers evenly spaced from start to end, both included.", category: .values,
        parameters: [
            .argument("start", .number, "the first value"),
            .argument("end", .number, "the last value"),
            .option("count", .integer(1...10_000_000), default: .number(50), "how many"),
        ],
        result: .tensor, example: "linspace 0 1 count=5"
    ) { call in
        .tensor(try Tensor.linspace(try call.double("start"), try call.double("end"), count: try call.int("count")))
    }

    static let stack = Verb(
        "stack", "Stacks tensors of one shape along a new axis.", category: .values,
        parameters: [
            .arguments("tensors", .tensor, "tensors of the same shape"),
            .option("axis", .integer(-8...8), default: .number(0), "where the new axis goes"),
        ],
        result: .tensor, example: "stack [1, 2] [3, 4]"
    ) { call in
        .tensor(try Tensor.stack(try tensors(call, "tensors"), axis: try call.int("axis")))
    }

    static let concat = Verb(
        "concat", "Joins tensors along an existing axis.", category: .values,
        parameters: [
            .arguments("tensors", .tensor, "tensors that agree on every other axis"),
            .option("axis", .integer(-8...8), default: .number(0), "the axis to join along"),
        ],
        result: .tensor, example: "concat (zeros [1, 2]) (ones [2, 2])"
    ) { call in
        .tensor(try Tensor.concat(try tensors(call, "tensors"), axis: try call.int("axis")))
    }

    /// The tensors of a variadic parameter; a single list argument stands for its items.
    static func tensors(_ call: VerbCall, _ name: String) throws -> [Tensor] {
        var items = try call.list(name)
        if items.count == 1, case .list(let inner) = items[0], inner.allSatisfy({ $0.type != .number }) {
            items = inner
        }
        guard !items.isEmpty else { throw call.error(name, "'\(call.verb.name)' needs at least one tensor") }
        return try items.map { item in
            var single = call
            single.values[name] = item
            return try single.tensor(name)
        }
    }

    static let reshape = Verb(
        "reshape", "The same values in another shape; one axis may be -1 to take what is left.", category: .values,
        parameters: [.argument("x", .tensor, "a tensor"), .argument("shape", .list, "the new shape, e.g. [4, -1]")],
        result: .tensor, example: "reshape (zeros [2, 3]) [3, 2]"
    ) { call in
        let x = try call.tensor("x")
        var shape = try call.integers("shape", in: -1...axisSizes.upperBound)
        guard !shape.contains(0), shape.filter({ $0 == -1 }).count <= 1 else {
            throw call.error("shape", "a shape is a list of whole numbers >= 1, or one -1")
        }
        if let free = shape.firstIndex(of: -1) {
            var known = shape
            known.remove(at: free)
            guard let knownCount = Tensor.countIfCountable(known), x.count % knownCount == 0 else {
                throw call.error("shape", "\(x.count) values do not fit the shape \(shape)", found: "a tensor of shape \(x.shape)")
            }
            shape[free] = x.count / knownCount
        }
        guard Tensor.countIfCountable(shape) == x.count else {
            throw call.error("shape", "\(x.count) values do not fit the shape \(shape)", found: "a tensor of shape \(x.shape)")
        }
        return .tensor(try x.reshaped(shape))
    }

    static let print = Verb(
        "print", "Prints values on one line, separated by spaces.", category: .display,
        parameters: [.arguments("values", .any, "anything")], result: .nothing, example: "print \"loss\" 0.25", hasSideEffects: true
    ) { call in
        let text = try call.list("values").map(\.displayText).joined(separator: " ")
        call.context.print(text)
        return .nothing
    }
}
