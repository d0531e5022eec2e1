import Engine

/// One kind of condition, with its own channels and its own chance of being dropped in
/// training: a one-hot mask of 4 channels, an edge map of 1 channel, a low-resolution image...
public struct ConditionGroup: Sendable, Equatable {
    /// How the group is named when choosing which to drop, for example "mask" or "edges".
    public var name: String
    /// Its channels in the condition tensor.
    public var channels: Int
    /// p: the probability that a training sample sees this group replaced by zeros.
    public var dropProbability: Float

    public init(name: String, channels: Int, dropProbability: Float = 0.1) {
        self.name = name
        self.channels = channels
        self.dropProbability = dropProbability
    }
}

/// How the groups of a condition lie on its channels, in order, and how they are dropped for
/// classifier-free guidance (Ho and Salimans, "Classifier-Free Diffusion Guidance", 2022,
/// algorithm 1): a dropped group is replaced by zeros, the "null" condition, so that one network
/// learns both the conditional and the unconditional prediction. Each group is dropped
/// independently, so the network also learns every partial condition, and guidance can be
/// taken with respect to one group alone (edges, with the mask kept, for example).
public struct ConditionLayout: Sendable, Equatable {
    /// The groups, in channel order.
    public let groups: [ConditionGroup]

    /// Refuses an empty list, repeated names, non-positive channel counts, a total that
    /// overflows (a checkpoint's configuration can say anything) and probabilities outside [0, 1].
    public init(_ groups: [ConditionGroup]) throws {
        guard !groups.isEmpty else { throw ModuleError("ConditionLayout: needs at least one condition group") }
        var total = 0
        for group in groups {
            guard group.channels > 0 else {
                throw ModuleError("ConditionLayout: group \"\(group.name)\" needs a positive channel count, got \(group.channels)")
            }
            let (sum, overflow) = total.addingReportingOverflow(group.channels)
            guard !overflow else {
                throw ModuleError("ConditionLayout: the groups' channel counts \(groups.map(\.channels)) overflow a 64-bit sum")
            }
            total = sum
            guard group.dropProbability >= 0, group.dropProbability <= 1 else {
                throw ModuleError("ConditionLayout: group \"\(group.name)\" has drop probability \(group.dropProbability), not in [0, 1]")
            }
        }
        guard Set(groups.map(\.name)).count == groups.count else {
            throw ModuleError("ConditionLayout: group names must differ, got \(groups.map(\.name))")
        }
        self.groups = groups
    }

    /// The condition's channels: the sum of the groups'.
    public var channels: Int { groups.reduce(0) { $0 + $1.channels } }

    /// Every group's name.
    public var names: Set<String> { Set(groups.map(\.name)) }

    /// The channels of the group `name`.
    public func channelRange(of name: String) throws -> Range<Int> {
        var start = 0
        for group in groups {
            if group.name == name { return start..<(start + group.channels) }
            start += group.channels
        }
        throw ModuleError("ConditionLayout: no condition group \"\(name)\"; the groups are \(groups.map(\.name))")
    }

    /// Concatenates the parts, each [N, channels, H, W], into one condition in the groups'
    /// order; every group must be given, and nothing else.
    public func condition(_ parts: [String: Tensor]) throws -> Tensor {
        if let unknown = parts.keys.sorted().first(where: { !names.contains($0) }) {
            throw ModuleError("ConditionLayout: no condition group \"\(unknown)\"; the groups are \(groups.map(\.name))")
        }
        let tensors = try groups.map { group -> Tensor in
            guard let part = parts[group.name] else {
                throw ModuleError("ConditionLayout: the condition group \"\(group.name)\" is missing")
            }
            guard part.rank == 4, part.shape[1] == group.channels else {
                throw ModuleError("ConditionLayout: group \"\(group.name)\" needs [N, \(group.channels), H, W], "
                    + "got \(describeShape(part.shape))")
            }
            return part
        }
        return try Tensor.concat(tensors, axis: 1)
    }

    /// The groups as people read them: "mask (4 channels), edges (1 channel)".
    public var groupList: String {
        groups.map { "\($0.name) (\($0.channels) channel\($0.channels == 1 ? "" : "s"))" }.joined(separator: ", ")
    }

    /// The condition of `count` samples (nil: any number) from tensors given in the groups'
    /// order, each [N, channels, H, W]; one tensor holding every group's channels is taken as
    /// it is. The error names the group that does not fit.
    public func condition(ordered parts: [Tensor], count: Int?) throws(ModelInputError) -> Tensor {
        if parts.count == 1, groups.count > 1, parts[0].rank == 4, parts[0].shape[1] == channels,
           count == nil || parts[0].shape[0] == count {
            return parts[0]
        }
        guard parts.count == groups.count else {
            throw ModelInputError(.conditions, "the model has \(groups.count) condition group\(groups.count == 1 ? "" : "s"), given \(parts.count)",
                                  expected: groupList)
        }
        for (part, group) in zip(parts, groups) {
            guard part.rank == 4, part.shape[1] == group.channels, count == nil || part.shape[0] == count else {
                throw ModelInputError(.conditions, "the condition '\(group.name)' does not fit",
                                      expected: "[\(count.map(String.init) ?? "N"), \(group.channels), H, W]", found: ModelInputError.shape(part.shape))
            }
        }
        do {
            return try Tensor.concat(parts, axis: 1)
        } catch {
            throw ModelInputError(.conditions, "the conditions differ in batch or size", found: parts.map { "\($0.shape)" }.joined(separator: ", "))
        }
    }

    /// Draws which groups each of `samples` training samples drops: result[n][g] is true with
    /// probability groups[g].dropProbability, independently for every sample and group (one
    /// uniform number each, from `random`, which advances past them).
    public func drawDrops(samples: Int, random: inout RandomStream) throws -> [[Bool]] {
        let uniforms = try Tensor.rand([samples, groups.count], using: &random).scalars
        return (0..<samples).map { n in
            groups.indices.map { g in uniforms[n * groups.count + g] < groups[g].dropProbability }
        }
    }

    /// The condition [N, channels, H, W] with group g of sample n replaced by zeros where
    /// drops[n][g] is true.
    public func zeroing(_ condition: Tensor, drops: [[Bool]]) throws -> Tensor {
        try checkShape(condition.shape)
        guard drops.count == condition.shape[0], drops.allSatisfy({ $0.count == groups.count }) else {
            throw ModuleError("ConditionLayout: needs \(groups.count) drop flags for each of \(condition.shape[0]) samples")
        }
        let plane = condition.shape[2] * condition.shape[3]
        let ranges = try groups.map { try channelRange(of: $0.name) }
        var result = condition
        result.withUnsafeMutableBufferPointer { values in
            for (n, flags) in drops.enumerated() {
                for (g, dropped) in flags.enumerated() where dropped {
                    let start = (n * channels + ranges[g].lowerBound) * plane
                    values.baseAddress!.advanced(by: start).update(repeating: 0, count: ranges[g].count * plane)
                }
            }
        }
        return result
    }

    /// The condition with the named groups replaced by zeros in every sample: the partial or
    /// ("names" all groups) the unconditional input of guidance.
    public func dropping(_ names: Set<String>, from condition: Tensor) throws -> Tensor {
        try checkShape(condition.shape)
        for name in names.sorted() { _ = try channelRange(of: name) }
        let flags = groups.map { names.contains($0.name) }
        return try zeroing(condition, drops: Array(repeating: flags, count: condition.shape[0]))
    }

    func checkShape(_ shape: [Int]) throws {
        guard shape.count == 4, shape[1] == channels else {
            throw ModuleError("ConditionLayout: needs a condition [N, \(channels), H, W] (groups "
                + groups.map { "\($0.name): \($0.channels)" }.joined(separator: ", ") + "), got \(describeShape(shape))")
        }
    }
}
