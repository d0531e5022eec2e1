#if canImport(Glibc)
import Glibc
#endif

/// A reproducible source of random numbers, named by a seed and a stream number.
///
/// Every random number Engine draws comes from a `RandomStream`. Its numbers are Philox4x32-10
/// blocks of four 32-bit words: block b of stream s under seed k is
///
///     Philox.block(counter: (b lo, b hi, s lo, s hi), key: (k lo, k hi))
///
/// A stream only remembers `position`, the next block it has not used. A draw of n values takes
/// the blocks position, position + 1, ..., position + ceil(n/4) - 1 (four values per block; the
/// unused words of a last, partial block are discarded) and moves `position` past them. Value i
/// of a draw therefore depends on (seed, stream, position + i/4) and nothing else: not on the
/// thread count, and not on what other streams have drawn. Give each independent consumer (a
/// notebook cell, a data loader, a dropout layer) its own stream number and they cannot disturb
/// each other.
///
/// Two draws of n and m values give the same numbers as one draw of n + m values when n is a
/// multiple of 4; otherwise the second draw starts at the next whole block.
public struct RandomStream: Sendable, Equatable {
    /// The seed: the Philox key.
    public let seed: UInt64
    /// The stream number: the high half of the Philox counter.
    public let stream: UInt64
    /// The next unused block: the low half of the Philox counter.
    public private(set) var position: UInt64

    /// A stream that starts at block `position` (0 for a fresh stream).
    public init(seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.position = position
    }

    /// The four words of block `index` of this stream. A pure function: it neither reads nor
    /// moves `position`.
    public func block(_ index: UInt64) -> SIMD4<UInt32> {
        let counter = SIMD4(low(index), high(index), low(stream), high(stream))
        return Philox.block(counter: counter, key: SIMD2(low(seed), high(seed)))
    }

    /// Reserves the blocks for a draw of `count` values: returns the first of them and moves
    /// `position` past all ceil(count / 4). Callers compute value i from block first + i/4,
    /// lane i % 4, in any order and on any thread.
    public mutating func reserveBlocks(forValues count: Int) -> UInt64 {
        precondition(count >= 0, "RandomStream.reserveBlocks: count must be non-negative")
        let first = position
        // Wraps after 2^64 blocks (2^66 values), which no program reaches.
        position &+= UInt64((count + 3) / 4)
        return first
    }

    /// A uniform value in [0, 1) from one word: its top 24 bits as a fraction, (word >> 8) * 2^-24.
    /// 24 bits are all a Float's significand holds, so every value is exact and equally likely.
    @inline(__always)
    public static func uniform(_ word: UInt32) -> Float {
        Float(word >> 8) * 0x1p-24
    }

    /// Two independent standard normal values from two words, by the Box-Muller transform:
    /// with u1 uniform in (0, 1] and u2 uniform in [0, 1),
    ///
    ///     r = sqrt(-2 ln u1),  theta = 2 pi u2,  z0 = r cos(theta),  z1 = r sin(theta).
    ///
    /// u1 is 1 - uniform(first), so ln never sees 0. Because u1 >= 2^-24, |z| never exceeds
    /// sqrt(48 ln 2) ~ 5.77; a true normal goes beyond that with probability about 8e-9.
    @inline(__always)
    public static func normals(_ first: UInt32, _ second: UInt32) -> (Float, Float) {
        let u1 = 1 - uniform(first)
        let u2 = uniform(second)
        let r = (-2 * logf(u1)).squareRoot()
        let theta = 2 * Float.pi * u2
        return (r * cosf(theta), r * sinf(theta))
    }

    /// Four uniform values in [0, 1) from block `index`, one per word.
    public func uniforms(block index: UInt64) -> SIMD4<Float> {
        let words = block(index)
        return SIMD4(Self.uniform(words[0]), Self.uniform(words[1]),
                     Self.uniform(words[2]), Self.uniform(words[3]))
    }

    /// Four standard normal values from block `index`: words 0 and 1 give values 0 and 1,
    /// words 2 and 3 give values 2 and 3 (`normals(_:_:)` on each pair).
    public func normals(block index: UInt64) -> SIMD4<Float> {
        let words = block(index)
        let (z0, z1) = Self.normals(words[0], words[1])
        let (z2, z3) = Self.normals(words[2], words[3])
        return SIMD4(z0, z1, z2, z3)
    }
}

/// The low and high 32-bit words of a 64-bit value.
private func low(_ value: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: value) }
private func high(_ value: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: value >> 32) }
