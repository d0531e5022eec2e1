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
        for c in 0..<channels {
            for ki in 0..<kh {
                // Output rows whose input row is inside the image; the others read padding.
                let rows = window.outputRows(kernelRow: ki)
                for kj in 0..<kw {
                    let columnsInside = window.outputColumns(kernelColumn: kj)
                    let row = columns + ((c * kh + ki) * kw + kj) * rowLength
                    for image in 0..<count {
                        let source = input + (image * channels + c) * height * width
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
