import Engine

/// The pseudo-random weights of the feature-network fixtures (make_feature_network_fixtures.py
/// in Tests/DiffusionTests/Fixtures makes the same ones in numpy): value i of the parameter
/// named p is u = (mix(fnv1a(p) ^ mix(i)) >> 8) / 2^24 in [0, 1), mapped by the kind of tensor,
/// in float64, rounded to float32. Real weight files are too large to commit; a network that
/// agrees on arbitrary weights agrees on the real ones.
public func deterministicWeights(_ layout: [(name: String, shape: [Int])]) throws -> [(path: String, tensor: Tensor)] {
    func mix(_ value: UInt32) -> UInt32 {
        var x = value
        x ^= x >> 16; x = x &* 0x7FEB_352D
        x ^= x >> 15; x = x &* 0x846C_A68B
        x ^= x >> 16
        return x
    }
    return try layout.map { entry in
        var seed: UInt32 = 0x811C_9DC5
        for byte in entry.name.utf8 { seed = (seed ^ UInt32(byte)) &* 0x0100_0193 }
        let leaf = entry.name.split(separator: ".").last.map(String.init) ?? ""
        let values = (0..<entry.shape.reduce(1, *)).map { i -> Float in
            let u = Double(mix(seed ^ mix(UInt32(i))) >> 8) / 16_777_216
            switch (leaf, entry.shape.count) {
            case ("weight", 4): return Float((2 * u - 1) * (6.0 / Double(entry.shape[1] * entry.shape[2] * entry.shape[3])).squareRoot())
            case ("weight", 2): return Float((2 * u - 1) * (1.0 / Double(entry.shape[1])).squareRoot())
            case ("weight", _): return Float(0.8 + 0.4 * u)  // batch norm's scale
            case ("bias", _): return Float(0.2 * (2 * u - 1))
            case ("running_mean", _): return Float(0.1 * (2 * u - 1))
            case ("running_var", _): return Float(0.5 + u)
            default: preconditionFailure("deterministicWeights: no rule for \(entry.name)")
            }
        }
        return (entry.name, try Tensor(shape: entry.shape, scalars: values))
    }
}

/// The state-dict layout of a feature-network fixture: [[name, shape], ...].
public struct StateDictLayout: Decodable {
    public let entries: [(name: String, shape: [Int])]

    public init(from decoder: Decoder) throws {
        var list = try decoder.unkeyedContainer()
        var entries: [(name: String, shape: [Int])] = []
        while !list.isAtEnd {
            var pair = try list.nestedUnkeyedContainer()
            entries.append((try pair.decode(String.self), try pair.decode([Int].self)))
        }
        self.entries = entries
    }
}
