/// Canny's thinning step, as scikit-image's `_nonmaximum_suppression_bilinear`.
///
/// A pixel survives if its gradient magnitude m is at least `low` and is not smaller than the
/// magnitude one step away along the gradient, on either side. The gradient (gi down the rows,
/// gj along the columns) rarely points exactly at a neighbour, so the magnitude there is
/// interpolated between the two neighbours the direction falls between: with w the ratio of the
/// smaller to the larger of |gi| and |gj|, the value is w * diagonal + (1 - w) * axial.
/// The sign pattern of (gi, gj) picks one of four sectors (the cases below are skimage's):
///
///     same signs, |gi| > |gj|:       axial (i+1, j) and (i-1, j),  diagonal (i+1, j+1) and (i-1, j-1)
///     same signs, |gi| <= |gj|:      axial (i, j+1) and (i, j-1),  diagonal (i+1, j+1) and (i-1, j-1)
///     opposite signs, |gi| < |gj|:   axial (i, j+1) and (i, j-1),  diagonal (i-1, j+1) and (i+1, j-1)
///     opposite signs, |gi| >= |gj|:  axial (i-1, j) and (i+1, j),  diagonal (i-1, j+1) and (i+1, j-1)
///
/// Only pixels where `inside` is true are considered (the plane without its one-pixel border,
/// where a neighbour would be missing). The result holds m where a pixel survives, else 0.
func suppressNonMaxima(
    gi: [Double], gj: [Double], magnitude: [Double], height: Int, width: Int, low: Double
) -> [Double] {
    // A zero threshold would keep flat regions; skimage raises it to 1e-14.
    let threshold = low == 0 ? 1e-14 : low
    var output = [Double](repeating: 0, count: magnitude.count)
    guard height >= 3 && width >= 3 else { return output }
    for i in 1 ..< height - 1 {
        for j in 1 ..< width - 1 {
            let p = i * width + j
            let m = magnitude[p]
            guard m >= threshold else { continue }
            let (di, dj) = (gi[p], gj[p])
            let sameSigns = (di >= 0 && dj >= 0) || (di <= 0 && dj <= 0)
            let (ai, aj) = (Swift.abs(di), Swift.abs(dj))
            let w: Double
            // Offsets (row, column) of the axial and diagonal neighbours on the + side; the
            // - side is the mirror image.
            let axial: (Int, Int)
            let diagonal: (Int, Int)
            if sameSigns {
                if ai > aj {
                    (w, axial, diagonal) = (aj / ai, (1, 0), (1, 1))
                } else {
                    (w, axial, diagonal) = (ai / aj, (0, 1), (1, 1))
                }
            } else if ai < aj {
                (w, axial, diagonal) = (ai / aj, (0, 1), (-1, 1))
            } else {
                (w, axial, diagonal) = (aj / ai, (-1, 0), (-1, 1))
            }
            let plus = magnitude[p + diagonal.0 * width + diagonal.1] * w
                + magnitude[p + axial.0 * width + axial.1] * (1 - w)
            guard plus <= m else { continue }
            let minus = magnitude[p - diagonal.0 * width - diagonal.1] * w
                + magnitude[p - axial.0 * width - axial.1] * (1 - w)
            if minus <= m { output[p] = m }
        }
    }
    return output
}
