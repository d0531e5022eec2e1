/// im2col and col2im: the data movement that turns a convolution into one matrix product.
///
/// A convolution takes, for every output position, the dot product of the weights with the
/// C x kh x kw window of the input under it. im2col copies each window into a column, so that
/// all those dot products become one product of the weight matrix [O, C*kh*kw] with the columns
/// [C*kh*kw, positions], which SGEMM computes near the machine's peak. col2im is its adjoint: it
/// adds every column entry back onto the input value it was copied from (a value under several
/// windows receives several contributions), which is how the gradient reaches the input.
///
/// Columns of `count` images lie side by side: row (c, ki, kj), column (image, oh, ow). Both
/// are plain loops on one core; `Convolution2D` runs groups of images on different cores.
enum ConvolutionColumns {
    /// im2col:
    ///
    ///     columns[(c, ki, kj), (image, oh, ow)] = input[image, c, oh*sh - ph + ki, ow*sw - pw + kj]
    ///
    /// and 0 where that position lies in the padding.
    static func im2col(
        input: UnsafePointer<Float>,            // [count, C, H, W]
        columns: UnsafeMutablePointer<Float>,   // [C * kh * kw, count * OH * OW]
        count: Int, channels: Int, window: SlidingWindow
    ) {
        let (height, width) = (window.height, window.width)
        let (kh, kw) = (window.kernel.height, window.kernel.width)
        let (outputHeight, outputWidth) = (window.outputHeight, window.outputWidth)
        let (strideH, strideW) = (window.stride.height, window.stride.width)
        let plane = outputHeight * outputWidth, rowLength = count * plane
        // With stride 1 and an output as wide as the input (a "same" convolution, the 3x3
        // kernels with padding 1 of every UNet), a kernel offset moves the whole plane: the rows
        // it reads are one run of the input, and only the columns that fall in the padding need
        // fixing. One copy per plane instead of one per output row.
        let shiftsWholePlane = strideH == 1 && strideW == 1 && outputWidth == width
        for c in 0..<channels {
            for ki in 0..<kh {
                // Output rows whose input row is inside the image; the others read padding.
                let rows = window.outputRows(kernelRow: ki)
                for kj in 0..<kw {
                    let columnsInside = window.outputColumns(kernelColumn: kj)
                    let row = columns + ((c * kh + ki) * kw + kj) * rowLength
                    for image in 0..<count {
                        let source = input + (image * channels + c) * height * width
                        if shiftsWholePlane {
                            shiftPlane(source, into: row + image * plane, rows: rows, columnsInside: columnsInside,
                                       offset: (ki - window.padding.height) * width + kj - window.padding.width,
                                       window: window)
                            continue
                        }
                        for oh in 0..<outputHeight {
                            let destination = row + image * plane + oh * outputWidth
                            guard rows.contains(oh) else {
                                destination.update(repeating: 0, count: outputWidth)
                                continue
                            }
                            // Input column of output column ow is ow*sw + start.
                            let start = (oh * strideH - window.padding.height + ki) * width + kj - window.padding.width
                            destination.update(repeating: 0, count: columnsInside.lowerBound)
                            if strideW == 1 {
                                (destination + columnsInside.lowerBound).update(
                                    from: source + start + columnsInside.lowerBound, count: columnsInside.count)
                            } else {
                                for ow in columnsInside { destination[ow] = source[start + ow * strideW] }
                            }
                            (destination + columnsInside.upperBound).update(
                                repeating: 0, count: outputWidth - columnsInside.upperBound)
                        }
                    }
                }
            }
        }
    }

    /// One im2col plane of a stride-1 convolution whose output is as wide as its input:
    /// destination[oh, ow] = source[oh * W + ow + offset] for the rows `rows` and the columns
    /// `columnsInside` whose input lies inside the plane, 0 elsewhere. Inside rows, output and
    /// input advance together, so the rows are copied as one run; the run's entries that wrapped
    /// around a row edge (the columns outside) are then set to 0.
    @inline(__always)
    private static func shiftPlane(
        _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
        rows: Range<Int>, columnsInside: Range<Int>, offset: Int, window: SlidingWindow
    ) {
        let (width, outputHeight) = (window.width, window.outputHeight)
        let planeSize = window.height * width
        destination.update(repeating: 0, count: rows.lowerBound * width)
        (destination + rows.upperBound * width).update(repeating: 0, count: (outputHeight - rows.upperBound) * width)
        guard !rows.isEmpty else { return }
        // The run of rows, clipped to the input plane at its two ends (those entries are
        // outside columns of the first or last row, set to 0 below).
        let first = rows.lowerBound * width, end = rows.upperBound * width
        let start = Swift.max(first, -offset), stop = Swift.min(end, planeSize - offset)
        if stop > start { (destination + start).update(from: source + start + offset, count: stop - start) }
        let (left, right) = (columnsInside.lowerBound, width - columnsInside.upperBound)
        if left > 0 || right > 0 || start > first || stop < end {
            for oh in rows {
                let line = destination + oh * width
                line.update(repeating: 0, count: left)
                (line + columnsInside.upperBound).update(repeating: 0, count: right)
            }
        }
    }

    /// col2im, the adjoint of im2col: every input value receives the sum of the column entries
    /// that were copied from it,
    ///
    ///     input[image, c, ih, iw] = sum over (ki, kj, oh, ow) with oh*sh - ph + ki = ih and
    ///                               ow*sw - pw + kj = iw of columns[(c, ki, kj), (image, oh, ow)],
    ///
    /// added in the order ki, kj, oh, ow. Entries that fell in the padding go nowhere.
    static func col2im(
        columns: UnsafePointer<Float>,          // [C * kh * kw, count * OH * OW]
        input: UnsafeMutablePointer<Float>,     // [count, C, H, W], overwritten
        count: Int, channels: Int, window: SlidingWindow
    ) {
        let (height, width) = (window.height, window.width)
        let (kh, kw) = (window.kernel.height, window.kernel.width)
        let (outputHeight, outputWidth) = (window.outputHeight, window.outputWidth)
        let (strideH, strideW) = (window.stride.height, window.stride.width)
        let plane = outputHeight * outputWidth, rowLength = count * plane
        for image in 0..<count {
            for c in 0..<channels {
                let destination = input + (image * channels + c) * height * width
                destination.update(repeating: 0, count: height * width)
                for ki in 0..<kh {
                    let rows = window.outputRows(kernelRow: ki)
                    for kj in 0..<kw {
                        let columnsInside = window.outputColumns(kernelColumn: kj)
                        let row = columns + ((c * kh + ki) * kw + kj) * rowLength + image * plane
                        for oh in rows {
                            let source = row + oh * outputWidth
                            let start = (oh * strideH - window.padding.height + ki) * width + kj - window.padding.width
                            if strideW == 1 {
                                // Contiguous on both sides: a loop the compiler vectorises.
                                let target = destination + start + columnsInside.lowerBound
                                let values = source + columnsInside.lowerBound
                                for j in 0..<columnsInside.count { target[j] += values[j] }
                            } else {
                                for ow in columnsInside { destination[start + ow * strideW] += source[ow] }
                            }
                        }
                    }
                }
            }
        }
    }
}
