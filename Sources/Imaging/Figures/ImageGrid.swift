import Engine

/// Rows of panels laid out as one RGB image `[3, H, W]` with values 0...255, ready for a PNG
/// writer.
///
/// Layout, in pixels (p = padding, t = title band = 7 + 2 when any panel has a title, else 0,
/// r = widest row title + p when there are row titles, else 0; all panels are h × w):
///
///     width  = p + r + columns × (w + p)
///     height = p + rows × (t + h + p)
///
/// The panel in row i, column j has its top-left corner at x = p + r + j (w + p),
/// y = p + i (t + h + p) + t; its title starts at the panel's left edge, t pixels above it.
/// A row title is drawn at x = p, centred vertically on the row's panels. Rows may be shorter than
/// the widest one; missing cells stay background.
public struct ImageGrid: Sendable {
    /// The panels, row by row.
    public var rows: [[FigurePanel]]
    /// A title for each row, drawn to the left of it; empty for none.
    public var rowTitles: [String]
    /// Pixels around and between panels.
    public var padding: Int
    /// The colour of the padding and title bands.
    public var background: FigureColour
    /// The colour of the titles.
    public var textColour: FigureColour

    public init(rows: [[FigurePanel]], rowTitles: [String] = [], padding: Int = 4,
                background: FigureColour = .black, textColour: FigureColour = .white) {
        self.rows = rows
        self.rowTitles = rowTitles
        self.padding = padding
        self.background = background
        self.textColour = textColour
    }

    /// Height of the band above each row that holds the panel titles.
    var titleBand: Int {
        rows.joined().contains { !$0.title.isEmpty } ? BitmapFont.glyphHeight + 2 : 0
    }

    /// Width of the column left of the panels that holds the row titles.
    var rowTitleWidth: Int {
        let widest = rowTitles.map(BitmapFont.width(of:)).max() ?? 0
        return widest > 0 ? widest + padding : 0
    }

    /// Renders the grid; every panel must have the same height and width.
    public func render() throws -> Tensor {
        let columns = rows.map(\.count).max() ?? 0
        guard columns > 0 else { throw TensorError("imageGrid", "has no panels") }
        guard padding >= 0 else { throw TensorError("imageGrid", "padding must be >= 0, got \(padding)") }
        guard rowTitles.count <= rows.count else {
            throw TensorError("imageGrid", "has \(rowTitles.count) row titles for \(rows.count) rows")
        }
        var panels: [[(height: Int, width: Int, rgb: [Float])]] = []
        var first: (size: (Int, Int), position: String, shape: [Int])?
        for (i, row) in rows.enumerated() {
            panels.append(try row.enumerated().map { j, panel in
                let position = "[\(i), \(j)]"
                let rendered = try panel.render(position: position)
                if let first, first.size != (rendered.height, rendered.width) {
                    throw TensorError("imageGrid", "panel \(position) of shape \(describeShape(panel.shape)) is \(rendered.height) x \(rendered.width) pixels but panel \(first.position) of shape \(describeShape(first.shape)) is \(first.size.0) x \(first.size.1); all panels must have the same height and width")
                }
                first = first ?? ((rendered.height, rendered.width), position, panel.shape)
                return rendered
            })
        }
        let (h, w) = first!.size
        let (p, t, r) = (padding, titleBand, rowTitleWidth)
        let width = p + r + columns * (w + p)
        let height = p + rows.count * (t + h + p)
        try Tensor.checkAllocation([3, height, width], op: "imageGrid")
        let plane = height * width
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            for k in 0..<plane { pixels[c * plane + k] = background[c] }
        }

        func drawText(_ text: String, x: Int, y: Int, maxWidth: Int) {
            BitmapFont.draw(text) { dx, dy in
                guard dx < maxWidth, x + dx < width, y + dy >= 0, y + dy < height else { return }
                for c in 0..<3 { pixels[c * plane + (y + dy) * width + x + dx] = textColour[c] }
            }
        }

        for (i, row) in panels.enumerated() {
            let top = p + i * (t + h + p) + t
            if i < rowTitles.count {
                drawText(rowTitles[i], x: p, y: top + (h - BitmapFont.glyphHeight) / 2, maxWidth: r)
            }
            for (j, panel) in row.enumerated() {
                let left = p + r + j * (w + p)
                for c in 0..<3 {
                    for y in 0..<h {
                        for x in 0..<w {
                            pixels[c * plane + (top + y) * width + left + x] = panel.rgb[(c * h + y) * w + x]
                        }
                    }
                }
                drawText(rows[i][j].title, x: left, y: top - t, maxWidth: w)
            }
        }
        return try Tensor(shape: [3, height, width], scalars: pixels)
    }
}
