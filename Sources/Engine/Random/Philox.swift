/// Philox4x32-10: the counter-based random number generator of Salmon, Moraes, Dror and Shaw,
/// "Parallel random numbers: as easy as 1, 2, 3" (SC11).
///
/// A counter-based generator keeps no state from one number to the next. It is a keyed bijection
/// of a counter, like a block cipher in counter mode: block n of a sequence is `block(n, key)`,
/// computed directly, so any thread can compute any part of the sequence without computing what
/// comes before it. That is what makes Engine's random tensors independent of the thread count.
///
/// Philox4x32 works on N = 4 words of W = 32 bits: a 128-bit counter, a 64-bit key, and
/// R = 10 rounds of a multiply-and-xor round function. Ten is the default of Random123, the
/// authors' reference implementation; fewer rounds already pass the paper's statistical tests,
/// so ten leave a safety margin. The word order follows Random123, whose known-answer vectors
/// the tests check.
public enum Philox {
    /// R, the number of rounds.
    public static let rounds = 10

    /// M0 and M1, the multipliers of the two word pairs.
    static let multiplier0: UInt32 = 0xD2511F53
    static let multiplier1: UInt32 = 0xCD9E8D57

    /// The Weyl-sequence increments of the two key words: the fractional parts of the golden
    /// ratio, (sqrt(5) - 1) / 2, and of sqrt(3) - 1, as 32-bit fractions.
    static let keyIncrement0: UInt32 = 0x9E3779B9
    static let keyIncrement1: UInt32 = 0xBB67AE85

    /// The 128-bit output block for a 128-bit `counter` and a 64-bit `key`: a pure function,
    /// the same on every machine and thread. Distinct counters under one key give distinct blocks
    /// (each round is a bijection of the counter).
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        // The state X = (x0, x1, x2, x3) starts as the counter; k = (k0, k1) is the round key.
        var x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3]
        var k0 = key[0], k1 = key[1]

        for round in 0..<rounds {
            if round > 0 {
                // Key schedule: the round keys follow a Weyl sequence, k_r = k_0 + r * W (mod 2^32)
                // per word, with W = (0x9E3779B9, 0xBB67AE85).
                k0 &+= keyIncrement0
                k1 &+= keyIncrement1
            }
            // The Philox S-box on a pair of words (L, R), with multiplier M and key word k:
            //   B_k(L, R) = (mulhi(M, R) xor k xor L,  mullo(M, R)),
            // where mulhi and mullo are the high and low halves of the 64-bit product M * R.
            // It is a bijection: mullo(M, R) gives back R (M is odd), and then L.
            let (hi0, lo0) = multiplier0.multipliedFullWidth(by: x0)
            let (hi1, lo1) = multiplier1.multipliedFullWidth(by: x2)
            // The N = 4 round applies B_k to (L, R) = (x1, x2) with M1, k0 and to (x3, x0) with
            // M0, k1, and writes the results to words (0, 1) and (2, 3): a fixed permutation
            // that makes every word depend on every other within a few rounds.
            (x0, x1, x2, x3) = (hi1 ^ k0 ^ x1, lo1, hi0 ^ k1 ^ x3, lo0)
        }
        return SIMD4(x0, x1, x2, x3)
    }
}
