/// How to walk the inputs of a broadcasting operation, built once per call.
///
/// The output is visited row by row, a row being its innermost (coalesced) axis. Neighbouring
/// axes are merged when every input treats them alike (all contiguous, or all broadcast), so
/// adding a [64] bias to a [32, 64, 16, 16] tensor walks 4 axes, and adding two tensors of one
/// shape walks a single row.
struct BroadcastPlan {
    /// The shape of the result.
    let outputShape: [Int]
    /// Extents of the merged axes; the last is the row.
    let extents: [Int]
    /// For each input, its stride along each merged axis (0 where it is broadcast).
    let strides: [[Int]]

    var rowLength: Int { extents.last ?? 1 }
    var rowCount: Int { extents.dropLast().reduce(1, *) }

    init(op: String, shapes: [[Int]]) throws {
        let output = try Shape.broadcast(shapes, op: op)
        outputShape = output
        // Each input's strides in the output's axes: 0 along axes it lacks or has extent 1.
        let full: [[Int]] = shapes.map { shape in
            let own = Shape.strides(shape)
            let offset = output.count - shape.count
            return output.indices.map { axis in
                axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
            }
        }
        var extents: [Int] = []
        var strides: [[Int]] = Array(repeating: [], count: shapes.count)
        for axis in output.indices where output[axis] != 1 {
            let canMerge = !extents.isEmpty && full.indices.allSatisfy { input in
                strides[input].last! == full[input][axis] * output[axis]
            }
            if canMerge {
                extents[extents.count - 1] *= output[axis]
                for input in full.indices { strides[input][strides[input].count - 1] = full[input][axis] }
            } else {
                extents.append(output[axis])
                for input in full.indices { strides[input].append(full[input][axis]) }
            }
        }
        if extents.isEmpty {
            extents = [1]
            strides = Array(repeating: [0], count: shapes.count)
        }
        self.extents = extents
        self.strides = strides
    }

    /// Calls `body(row, offsets)` for every output row, in chunks that may run in parallel:
    /// the row starts at `row * rowLength` in the output and at `offsets[i]` in input i, whose
    /// stride along the row is `strides[i].last`.
    func forEachRow(_ body: (_ row: Int, _ offsets: [Int]) -> Void) {
        let outer = Array(extents.dropLast())
        let grain = max(1, Parallel.elementGrain / max(1, rowLength))
        Parallel.forEachChunk(count: rowCount, grain: grain) { _, rows in
            // The multi-index of the first row, then an odometer for the rest.
            var index = [Int](repeating: 0, count: outer.count)
            var remainder = rows.lowerBound
            for axis in outer.indices.reversed() {
                index[axis] = remainder % outer[axis]
                remainder /= outer[axis]
            }
            var offsets = strides.map { s in zip(index, s).reduce(0) { $0 + $1.0 * $1.1 } }
            for row in rows {
                body(row, offsets)
                var axis = outer.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    for input in offsets.indices { offsets[input] += strides[input][axis] }
                    if index[axis] < outer[axis] { break }
                    for input in offsets.indices { offsets[input] -= strides[input][axis] * outer[axis] }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}
