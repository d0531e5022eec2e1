/// The name of one consumer of random numbers: a seed and a path of names below it.
///
/// Everything in medsynth that draws random numbers is handed a key, never a bare seed or a
/// stream number, and makes the keys of its parts by extending the path: a phantom's subject k
/// draws its anatomy from `key.child("subject").item(k).child("anatomy")`, a trainer shuffles
/// epoch e with `key.child("order").item(e)`, a notebook statement's verb draws from
/// `[cell label, "x#1", verb, application]` under the notebook's seed. A value therefore depends
/// on its key alone: not on the order in which keys are used, the batch it is drawn in, or the
/// number of threads.
///
/// `stream` is the one place where a key becomes Philox numbers: the seed is the Philox key and
/// the path is hashed to the stream number (the high half of the counter, see `RandomStream`).
/// The root key of a seed (an empty path) is stream 0, so `seed=K` in a notebook draws exactly
/// what `Tensor.randn(_:seed: K)` draws.
///
/// The hash is FNV-1a (64-bit) over each component's UTF-8 length (eight bytes, little-endian)
/// and bytes, so that ["ab", "c"] and ["a", "bc"] differ, finished with SplitMix64's mixer
/// (Steele, Lea and Flood 2014) so that neighbouring paths land on unrelated streams. A path that
/// hashes to 0 is moved to 1: stream 0 belongs to the root.
public struct RandomKey: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The Philox key.
    public let seed: UInt64
    /// The names from the seed down to this consumer.
    public let path: [String]

    public init(seed: UInt64, path: [String] = []) {
        self.seed = seed
        self.path = path
    }

    /// The key of a named part of this consumer.
    public func child(_ name: String) -> RandomKey {
        RandomKey(seed: seed, path: path + [name])
    }

    /// The key of item `index` of a sequence (a subject, a sample, an epoch): `child("#index")`.
    public func item(_ index: Int) -> RandomKey {
        child("#\(index)")
    }

    /// The Philox stream number of this key: 0 for the root, the hash of the path otherwise.
    public var streamNumber: UInt64 {
        guard !path.isEmpty else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        for component in path {
            let bytes = Array(component.utf8)
            for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: UInt64(bytes.count) >> UInt64(shift))) }
            bytes.forEach(mix)
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return hash == 0 ? 1 : hash
    }

    /// A fresh stream of this key's numbers.
    public var stream: RandomStream {
        RandomStream(seed: seed, stream: streamNumber)
    }

    /// "seed 7" for a root key, "seed 7: cell/x#1/randn/1" below it.
    public var description: String {
        path.isEmpty ? "seed \(seed)" : "seed \(seed): " + path.joined(separator: "/")
    }
}
