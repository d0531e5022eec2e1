/// e^x for Float32, written so that the loops calling it vectorise.
///
/// glibc's expf is a function call per value, which stops the compiler from vectorising a loop;
/// this version is branch-free arithmetic that it can unroll into SIMD registers (measured at
/// 1.7x glibc with SSE2, 3.5x with AVX2). It is Cephes' expf (S. L. Moshier) with the rounding
/// and the scaling done by bit manipulation:
///
/// 1. n = round(x / ln 2), r = x - n ln 2, with ln 2 split in two parts (0.693359375 is exact in
///    a few bits, -2.12194440e-4 the remainder) so that r is exact; |r| <= ln 2 / 2.
/// 2. e^r = 1 + r + r^2 P(r), P of degree 5 (Cephes' minimax coefficients).
/// 3. e^x = e^r 2^n, with 2^n built from its exponent bits in two halves so that results
///    down to the subnormals (n = -149) and up to overflow (n = 128) come out right.
///
/// Over [-104, 89] the result is within 1 ulp of the true value (the tests sweep 16M points
/// against Double's exp); it is +infinity above 88.73, 0 below -103.98, and NaN for NaN.
/// The same arithmetic runs on every CPU, so results do not depend on the machine.
@inline(__always)
func exponential(_ x: Float) -> Float {
    let clamped = Swift.min(Swift.max(x, -104), 89)
    // Adding 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
    let shifter: Float = 12_582_912
    let t = clamped * 1.44269504088896341 + shifter
    let n = t - shifter
    let r = clamped - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let expR = p * (r * r) + r + 1
    let power = Int32(bitPattern: t.bitPattern) &- Int32(bitPattern: shifter.bitPattern)
    let half = power &>> 1
    let scaleA = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
    let scaleB = Float(bitPattern: UInt32(bitPattern: (power &- half &+ 127) &<< 23))
    let result = expR * scaleA * scaleB
    return x.isNaN ? x : result
}
