/// The q-th percentile of `values` (q in 0...100) by NumPy's default 'linear' method: with the
/// values sorted, the virtual index v = (n - 1) q / 100 falls between v0 = floor(v) and v0 + 1,
/// and the result interpolates between them with weight g = v - v0. As NumPy, it interpolates
/// from whichever end is nearer (a + (b - a) g below g = 0.5, b - (b - a)(1 - g) above), so the
/// result agrees with np.percentile on float64 data to the last bit.
func linearPercentiles(_ values: [Double], _ percents: [Double]) -> [Double] {
    precondition(!values.isEmpty, "linearPercentiles: no values")
    let sorted = values.sorted()
    let n = sorted.count
    return percents.map { percent in
        let virtualIndex = Double(n - 1) * (percent / 100)
        guard virtualIndex < Double(n - 1) else { return sorted[n - 1] }
        guard virtualIndex >= 0 else { return sorted[0] }
        let below = virtualIndex.rounded(.down)
        let (a, b) = (sorted[Int(below)], sorted[Int(below) + 1])
        let g = virtualIndex - below
        let difference = b - a
        return g >= 0.5 ? b - difference * (1 - g) : a + difference * g
    }
}
