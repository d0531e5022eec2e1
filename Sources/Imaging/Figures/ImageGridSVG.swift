import Foundation

/// An image grid as SVG for reports: each panel a PNG image scaled up with its pixels kept
/// square and sharp (`image-rendering: pixelated`), and every text real SVG text, crisp at any
/// zoom and selectable. Beside the panels: the figure's title, column and row titles, a legend
/// of label colours when a panel shows labels, and a colour bar when the panels share a window
/// (grey, or a colour map).
///
/// A grid whose rows each hold one panel is laid out as one row of titled columns instead (a
/// tall strip is hard to read). Panels are shown `scale` times their size; by default as large
/// as fits the report's width (`maximumWidth`), between 96 and 256 pixels wide, never smaller
/// than their own size.
///
/// Layout, in SVG pixels (g = gap, s = scale; all panels are h × w image pixels):
///
///     left  = g + (row titles: the widest, estimated, + g)
///     top   = g + (title: 22) + (column titles: 18) + (panel titles: 16)
///     panel (i, j) at x = left + j (w s + g), y = top + i (h s + g + panel-title band)
///
/// then the legend or colour bar below or beside. Imaging knows no files, so the PNG bytes of a
/// panel come from the caller (`encodePNG` gets planes of red, green and blue, 0...255).
public struct ImageGridSVG: Sendable {
    public var grid: ImageGrid
    public var title: String
    public var columnTitles: [String]
    /// Screen pixels per image pixel; nil for the default.
    public var scale: Int?
    /// The width the grid should fit by default: a report's text column.
    public var maximumWidth: Double
    /// Names of the label colours, from label 1 (label 0 is the background).
    public var labelNames: [String]
    /// A colour bar: the map the panels share and its window.
    public struct ColourBar: Sendable {
        public var map: ColourMap
        public var window: ClosedRange<Float>

        public init(map: ColourMap, window: ClosedRange<Float>) {
            (self.map, self.window) = (map, window)
        }
    }

    public var colourBar: ColourBar?

    /// The default width of a panel on screen: what `columns` panels may have of `available`
    /// pixels, within 96...256, and never less than the panel's own `width`.
    static func defaultPanelWidth(imageWidth width: Int, columns: Int, available: Double) -> Double {
        let share = (available - gap * Double(columns + 1)) / Double(max(1, columns))
        return max(Double(width), min(256, max(96, share.rounded(.down))))
    }

    public init(grid: ImageGrid, title: String = "", columnTitles: [String] = [], scale: Int? = nil,
                labelNames: [String] = ["RV", "myocardium", "LV"], colourBar: ColourBar? = nil, maximumWidth: Double = 840) {
        var grid = grid
        var columnTitles = columnTitles
        if grid.rows.count > 1, grid.rows.allSatisfy({ $0.count == 1 }), columnTitles.isEmpty {
            columnTitles = grid.rowTitles
            grid = ImageGrid(rows: [grid.rows.map { $0[0] }], rowTitles: [], padding: grid.padding)
        }
        self.grid = grid
        self.title = title
        self.columnTitles = columnTitles
        self.scale = scale
        self.labelNames = labelNames
        self.colourBar = colourBar
        self.maximumWidth = maximumWidth
    }

    static let gap = 8.0
    static let fontStack = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"

    /// A text's width in pixels at `size`, estimated (SVG cannot measure): 0.6 em a character.
    static func estimatedWidth(_ text: String, size: Double) -> Double {
        Double(text.count) * size * 0.6
    }

    /// The SVG document; `encodePNG(rgb, height, width)` gives a panel's PNG bytes.
    public func svg(encodePNG: ([Float], Int, Int) throws -> [UInt8]) throws -> String {
        let rows = grid.rows
        let columns = rows.map(\.count).max() ?? 0
        guard columns > 0 else { throw FigureError("imageGrid: has no panels") }
        var rendered: [[(height: Int, width: Int, rgb: [Float])]] = []
        for (i, row) in rows.enumerated() {
            rendered.append(try row.enumerated().map { j, panel in try panel.render(position: "[\(i), \(j)]") })
        }
        guard let first = rendered.first(where: { !$0.isEmpty })?.first else { throw FigureError("imageGrid: has no panels") }
        let g = Self.gap
        let rowTitles = grid.rowTitles
        let rowTitleWidth = rowTitles.isEmpty ? 0 : (rowTitles.map { Self.estimatedWidth($0, size: 13) }.max() ?? 0) + g
        let scale = scale.map(Double.init)
            ?? Self.defaultPanelWidth(imageWidth: first.width, columns: columns, available: maximumWidth - rowTitleWidth) / Double(first.width)
        let (w, h) = (Double(first.width) * scale, Double(first.height) * scale)
        let hasPanelTitles = rows.joined().contains { !$0.title.isEmpty }
        let panelTitleBand = hasPanelTitles ? 16.0 : 0
        let titleBand = title.isEmpty ? 0.0 : 24
        let columnBand = columnTitles.isEmpty ? 0.0 : 18
        let left = g + rowTitleWidth
        let top = g + titleBand + columnBand
        let gridWidth = Double(columns) * (w + g)
        let rowHeight = panelTitleBand + h + g
        let showsLabels = rows.joined().contains { $0.showsLabels }
        let colourBarWidth = colourBar == nil ? 0.0 : 70
        let legendHeight = showsLabels ? 24.0 : 0
        let width = max(left + gridWidth + colourBarWidth, Self.estimatedWidth(title, size: 15) + 2 * g)
        let height = top + Double(rows.count) * rowHeight + legendHeight

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(svgNumber(width))" height="\(svgNumber(height))" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" font-family="\(Self.fontStack)" font-size="13">
            <title>\(escapeXML(title.isEmpty ? "image grid" : title))</title>
            <rect x="0" y="0" width="\(svgNumber(width))" height="\(svgNumber(height))" fill="white"/>

            """
        func text(_ content: String, x: Double, y: Double, anchor: String = "start", extra: String = "") -> String {
            "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" text-anchor=\"\(anchor)\"\(extra)>\(escapeXML(content))</text>\n"
        }
        if !title.isEmpty { svg += text(title, x: g, y: g + 15, extra: " font-size=\"15\" font-weight=\"600\"") }
        for (j, columnTitle) in columnTitles.prefix(columns).enumerated() {
            svg += text(columnTitle, x: left + Double(j) * (w + g) + w / 2, y: g + titleBand + 13, anchor: "middle", extra: " font-weight=\"600\"")
        }
        for (i, row) in rendered.enumerated() {
            let rowTop = top + Double(i) * rowHeight
            if i < rowTitles.count {
                svg += text(rowTitles[i], x: left - g, y: rowTop + panelTitleBand + h / 2 + 4, anchor: "end")
            }
            for (j, panel) in row.enumerated() {
                let x = left + Double(j) * (w + g)
                let y = rowTop + panelTitleBand
                let png = try encodePNG(panel.rgb, panel.height, panel.width)
                let panelTitle = rows[i][j].title
                if !panelTitle.isEmpty { svg += text(panelTitle, x: x, y: rowTop + 12, extra: " font-size=\"12\"") }
                svg += "<image x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(Double(panel.width) * scale))\" height=\"\(svgNumber(Double(panel.height) * scale))\" "
                    + "preserveAspectRatio=\"none\" style=\"image-rendering: pixelated; image-rendering: crisp-edges\" "
                    + "href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>\n"
                // A hairline frame: a white or black image still shows where it is.
                svg += "<rect x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(Double(panel.width) * scale))\" "
                    + "height=\"\(svgNumber(Double(panel.height) * scale))\" fill=\"none\" stroke=\"#bbb\" stroke-width=\"0.5\"/>\n"
            }
        }
        if showsLabels {
            var x = left
            let y = top + Double(rows.count) * rowHeight + 4
            for (index, name) in labelNames.prefix(FigureColour.cardiacLabels.count - 1).enumerated() {
                let colour = FigureColour.cardiacLabels[index + 1]
                svg += "<rect x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"12\" height=\"12\" fill=\"\(colour.hex)\"/>\n"
                svg += text("\(index + 1) \(name)", x: x + 16, y: y + 11)
                x += 16 + Self.estimatedWidth("\(index + 1) \(name)", size: 13) + 2 * g
            }
        }
        if let colourBar {
            let window = colourBar.window
            let barX = left + gridWidth + 4, barTop = top + panelTitleBand, barHeight = min(h, 200)
            let stops = colourBar.map.stops
            let stopElements = stops.enumerated().map { index, colour in
                "<stop offset=\"\(svgNumber(Double(index) / Double(stops.count - 1)))\" stop-color=\"\(colour.hex)\"/>"
            }.joined()
            svg += """
                <defs><linearGradient id="colour-bar" x1="0" y1="1" x2="0" y2="0">\(stopElements)</linearGradient></defs>
                <rect x="\(svgNumber(barX))" y="\(svgNumber(barTop))" width="14" height="\(svgNumber(barHeight))" fill="url(#colour-bar)" stroke="#444"/>

                """
            svg += text(Self.label(window.upperBound), x: barX + 18, y: barTop + 10, extra: " font-size=\"11\"")
            svg += text(Self.label(window.lowerBound), x: barX + 18, y: barTop + barHeight, extra: " font-size=\"11\"")
            if window.lowerBound < 0, window.upperBound > 0 {
                let zero = barTop + barHeight * Double(window.upperBound / (window.upperBound - window.lowerBound))
                svg += text("0", x: barX + 18, y: zero + 4, extra: " font-size=\"11\"")
            }
        }
        return svg + "</svg>\n"
    }

    /// A colour bar's end: at most four significant digits.
    static func label(_ value: Float) -> String {
        var text = String(format: "%.4g", Double(value))
        if text == "-0" { text = "0" }
        return text
    }
}

extension FigurePanel {
    /// Whether the panel shows label colours.
    var showsLabels: Bool {
        if case .labels = content { return true }
        return false
    }
}

extension FigureColour {
    /// `#rrggbb`.
    var hex: String {
        String(format: "#%02x%02x%02x", Int(red), Int(green), Int(blue))
    }
}
