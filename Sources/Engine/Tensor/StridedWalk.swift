/// A walk over an n-dimensional index space that several strided operands share.
///
/// Each operand is a flat buffer seen through a base offset and one stride per axis (0 for a
/// broadcast axis, negative for a flipped one). The walk visits the space row by row, a row
/// being its innermost axis, and tells each visit where every operand's row starts. Neighbouring
/// axes are merged when every operand steps through them as one (the outer stride equals the
/// inner stride times the inner extent), so a contiguous copy is a single long row, and adding a
/// [64] bias to a [32, 64, 16, 16] tensor walks 3 axes instead of 4.
///
/// Broadcasting arithmetic, permute, flip, slicing, concatenation and padding are all walks.
struct StridedWalk {
    /// Extents of the merged axes; the last is the row.
    let extents: [Int]
    /// For each operand, its stride along each merged axis.
    let strides: [[Int]]
    /// For each operand, the offset of element (0, 0, ..., 0).
    let bases: [Int]

    var rowLength: Int { extents.last ?? 1 }
    var rowCount: Int { extents.dropLast().reduce(1, *) }

    /// A walk over `shape`; operand i starts at `bases[i]` and steps `strides[i][axis]` along each axis.
    init(shape: [Int], strides operandStrides: [[Int]], bases: [Int]? = nil) {
        var extents: [Int] = []
        var strides: [[Int]] = Array(repeating: [], count: operandStrides.count)
        for axis in shape.indices where shape[axis] != 1 {
            let canMerge = !extents.isEmpty && operandStrides.indices.allSatisfy { operand in
                strides[operand].last! == operandStrides[operand][axis] * shape[axis]
            }
            if canMerge {
                extents[extents.count - 1] *= shape[axis]
                for operand in operandStrides.indices {
                    strides[operand][strides[operand].count - 1] = operandStrides[operand][axis]
                }
            } else {
                extents.append(shape[axis])
                for operand in operandStrides.indices { strides[operand].append(operandStrides[operand][axis]) }
            }
        }
        if extents.isEmpty {
            extents = [1]
            strides = Array(repeating: [0], count: operandStrides.count)
        }
        self.extents = extents
        self.strides = strides
        self.bases = bases ?? Array(repeating: 0, count: operandStrides.count)
    }

    /// The stride of operand `operand` along the row.
    func rowStride(_ operand: Int) -> Int { strides[operand].last! }

    /// Calls `body(row, offsets)` for every row, in chunks that may run in parallel: `offsets[i]`
    /// is where operand i's row starts. Rows are numbered in row-major order.
    func forEachRow(_ body: (_ row: Int, _ offsets: [Int]) -> Void) {
        let outer = Array(extents.dropLast())
        let grain = max(1, Parallel.elementGrain / max(1, rowLength))
        Parallel.forEachChunk(count: rowCount, grain: grain) { _, rows in
            // The multi-index of the chunk's first row, then an odometer for the rest.
            var index = [Int](repeating: 0, count: outer.count)
            var remainder = rows.lowerBound
            for axis in outer.indices.reversed() {
                index[axis] = remainder % outer[axis]
                remainder /= outer[axis]
            }
            var offsets = bases
            for operand in offsets.indices {
                for axis in outer.indices { offsets[operand] += index[axis] * strides[operand][axis] }
            }
            for row in rows {
                body(row, offsets)
                var axis = outer.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    for operand in offsets.indices { offsets[operand] += strides[operand][axis] }
                    if index[axis] < outer[axis] { break }
                    for operand in offsets.indices { offsets[operand] -= strides[operand][axis] * outer[axis] }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    /// Copies a strided view of `source` into a strided region of `destination`: operand 0 of
    /// this walk is the destination, operand 1 the source.
    func copy(from source: UnsafeBufferPointer<Float>, to destination: UnsafeMutableBufferPointer<Float>) {
        let length = rowLength
        let (to, from) = (rowStride(0), rowStride(1))
        forEachRow { _, offsets in
            let d = destination.baseAddress! + offsets[0], s = source.baseAddress! + offsets[1]
            if to == 1 && from == 1 {
                d.update(from: s, count: length)
            } else {
                for j in 0..<length { d[j * to] = s[j * from] }
            }
        }
    }
}

/// The NumPy broadcast of several operands: the result's shape and a walk in which operand 0 is
/// the (contiguous) result and operand i + 1 is input i, with stride 0 along its broadcast axes.
struct BroadcastPlan {
    let outputShape: [Int]
    let walk: StridedWalk

    init(op: String, shapes: [[Int]]) throws {
        let output = try Shape.broadcast(shapes, op: op)
        let inputStrides: [[Int]] = shapes.map { shape in
            let own = Shape.strides(shape)
            let offset = output.count - shape.count
            return output.indices.map { axis in
                axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
            }
        }
        outputShape = output
        walk = StridedWalk(shape: output, strides: [Shape.strides(output)] + inputStrides)
    }
}
