import Engine

/// An image as text for a terminal with 24-bit colour: each character is the half block "▀"
/// whose foreground (ESC[38;2;r;g;bm) is the upper pixel and background (ESC[48;2;r;g;bm) the
/// lower one, so one line of text shows two rows of pixels. Every line ends with ESC[0m
/// (reset) and a newline.
///
/// The image, grey `[H, W]` or `[1, H, W]` (windowed as in `FigurePanel.image`: `window`, or
/// its own min...max) or RGB `[3, H, W]` (0...255), is resized by area averaging
/// (`resize(method: .area)`) to `width` columns and round(H × width / W) rows, rounded up to an
/// even number; a terminal cell is about twice as tall as wide, so the picture keeps its shape.
public func terminalPreview(_ image: Tensor, width: Int, window: ClosedRange<Float>? = nil) throws -> String {
    let shape = image.shape
    let channels: Int, height: Int, imageWidth: Int
    switch shape.count {
    case 2: (channels, height, imageWidth) = (1, shape[0], shape[1])
    case 3 where shape[0] == 1 || shape[0] == 3: (channels, height, imageWidth) = (shape[0], shape[1], shape[2])
    default:
        throw TensorError("terminalPreview", "expects [H, W], [1, H, W] or [3, H, W], but got \(describeShape(shape))")
    }
    guard width > 0, height > 0, imageWidth > 0 else {
        throw TensorError("terminalPreview", "cannot show \(describeShape(shape)) at width \(width)")
    }
    let scaledHeight = Int((Double(height * width) / Double(imageWidth)).rounded())
    let rows = Swift.max(2, scaledHeight + scaledHeight % 2)
    let values = channels == 1 ? windowed(image.scalars, window) : image.scalars.map(clippedToBytes)
    let resized = try resize(Tensor(shape: [1, channels, height, imageWidth], scalars: values),
                             height: rows, width: width, method: .area).scalars
    let plane = rows * width

    /// "r;g;b" of the pixel at (y, x).
    func colour(_ y: Int, _ x: Int) -> String {
        (0..<3).map { c in String(Int(resized[(channels == 1 ? 0 : c) * plane + y * width + x].rounded())) }
            .joined(separator: ";")
    }

    var text = ""
    for y in stride(from: 0, to: rows, by: 2) {
        for x in 0..<width {
            text += "\u{1B}[38;2;\(colour(y, x))m\u{1B}[48;2;\(colour(y + 1, x))m▀"
        }
        text += "\u{1B}[0m\n"
    }
    return text
}
