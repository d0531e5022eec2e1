infix operator .<= : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence

// Comparisons give a tensor of 1 where the relation holds and 0 where it does not, broadcast as
// arithmetic is. NaN compares false, except that NaN .!= x is 1 (as IEEE and NumPy).
extension Tensor {
    public static func .== (a: Tensor, b: Tensor) throws -> Tensor { try combine("equal", a, b, Compare(relation: .equal)) }
    public static func .!= (a: Tensor, b: Tensor) throws -> Tensor { try combine("notEqual", a, b, Compare(relation: .notEqual)) }
    public static func .< (a: Tensor, b: Tensor) throws -> Tensor { try combine("less", a, b, Compare(relation: .less)) }
    public static func .<= (a: Tensor, b: Tensor) throws -> Tensor { try combine("lessOrEqual", a, b, Compare(relation: .lessOrEqual)) }
    public static func .> (a: Tensor, b: Tensor) throws -> Tensor { try combine("greater", a, b, Compare(relation: .greater)) }
    public static func .>= (a: Tensor, b: Tensor) throws -> Tensor { try combine("greaterOrEqual", a, b, Compare(relation: .greaterOrEqual)) }

    public static func .== (a: Tensor, b: Float) -> Tensor { try! a .== Tensor(b) }
    public static func .!= (a: Tensor, b: Float) -> Tensor { try! a .!= Tensor(b) }
    public static func .< (a: Tensor, b: Float) -> Tensor { try! a .< Tensor(b) }
    public static func .<= (a: Tensor, b: Float) -> Tensor { try! a .<= Tensor(b) }
    public static func .> (a: Tensor, b: Float) -> Tensor { try! a .> Tensor(b) }
    public static func .>= (a: Tensor, b: Float) -> Tensor { try! a .>= Tensor(b) }

    /// Picks, position by position, the value of `a` where `condition` is non-zero and of `b`
    /// where it is zero; the three shapes broadcast together.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let plan = try BroadcastPlan(op: "where", shapes: [condition.shape, a.shape, b.shape])
        let walk = plan.walk, length = walk.rowLength
        let (sc, sa, sb) = (walk.rowStride(1), walk.rowStride(2), walk.rowStride(3))
        return try condition.withUnsafeBufferPointer { c in
            try a.withUnsafeBufferPointer { x in
                try b.withUnsafeBufferPointer { y in
                    try build(shape: plan.outputShape, op: "where",
                          largestInput: Swift.max(condition.count, a.count, b.count)) { out in
                        walk.forEachRow { _, offsets in
                            let o = out.baseAddress! + offsets[0]
                            let pc = c.baseAddress! + offsets[1]
                            let px = x.baseAddress! + offsets[2], py = y.baseAddress! + offsets[3]
                            for j in 0..<length {
                                o[j] = pc[j * sc] != 0 ? px[j * sa] : py[j * sb]
                            }
                        }
                    }
                }
            }
        }
    }
}
