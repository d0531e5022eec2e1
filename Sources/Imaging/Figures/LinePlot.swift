import Foundation

/// A line plot of one or more series, rendered as an SVG document (for loss curves and metrics).
///
/// The plot area is `width - 80` × `height - 90` pixels: 70 left of it for the y tick labels and
/// axis label, 10 right, 40 above for the title, 50 below for the x tick labels and axis label.
/// Data coordinates map linearly (or through log10 for a log y axis) onto the plot area, the
/// axis ranges being the tick ranges (`NiceTicks`). Each series is one `<path>`; a non-finite y
/// breaks its line. The legend sits in the top-right corner of the plot area.
public struct LinePlot: Sendable {
    /// One line: points (x[i], y[i]) in order.
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]

        public init(name: String, x: [Double], y: [Double]) {
            (self.name, self.x, self.y) = (name, x, y)
        }
    }

    public var series: [Series]
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Plots log10(y) with ticks at the powers of ten; every finite y must then be positive.
    public var logY: Bool
    public var width: Double
    public var height: Double

    /// Line colours, in order, repeating (matplotlib's "tab10" first five).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    static let margin = (left: 70.0, right: 10.0, top: 40.0, bottom: 50.0)

    public init(series: [Series], title: String = "", xLabel: String = "", yLabel: String = "",
                logY: Bool = false, width: Double = 640, height: Double = 400) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logY = logY
        self.width = width
        self.height = height
    }

    /// The SVG document.
    public func svg() throws -> String {
        guard !series.isEmpty else { throw FigureError("linePlot: has no series") }
        for s in series where s.x.count != s.y.count {
            throw FigureError("linePlot: series \"\(s.name)\" has \(s.x.count) x values but \(s.y.count) y values")
        }
        let xs = series.flatMap(\.x).filter(\.isFinite)
        let ys = series.flatMap(\.y).filter(\.isFinite)
        guard let xLow = xs.min(), let xHigh = xs.max(), let yLow = ys.min(), let yHigh = ys.max() else {
            throw FigureError("linePlot: has no finite points")
        }
        if logY, yLow <= 0 {
            throw FigureError("linePlot: a log y axis needs positive values, but the smallest y is \(yLow)")
        }
        let xTicks = NiceTicks(low: xLow, high: xHigh)
        let linearY = NiceTicks(low: yLow, high: yHigh)
        let yTickValues = logY ? logTicks(low: yLow, high: yHigh) : linearY.values
        let yTickLabels = logY ? yTickValues.map(logTickLabel) : yTickValues.map(linearY.label)
        let m = Self.margin
        let plotWidth = width - m.left - m.right, plotHeight = height - m.top - m.bottom
        let transform: (Double) -> Double = logY ? log10 : { $0 }
        let (yBottom, yTop) = (transform(yTickValues.first!), transform(yTickValues.last!))

        func px(_ x: Double) -> Double { m.left + (x - xTicks.range.lowerBound) / (xTicks.range.upperBound - xTicks.range.lowerBound) * plotWidth }
        func py(_ y: Double) -> Double { m.top + plotHeight - (transform(y) - yBottom) / (yTop - yBottom) * plotHeight }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(svgNumber(width))" height="\(svgNumber(height))" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" font-family="sans-serif" font-size="12">
            <rect x="0" y="0" width="\(svgNumber(width))" height="\(svgNumber(height))" fill="white"/>
            <rect x="\(svgNumber(m.left))" y="\(svgNumber(m.top))" width="\(svgNumber(plotWidth))" height="\(svgNumber(plotHeight))" fill="none" stroke="black"/>

            """
        for (value, label) in zip(xTicks.values, xTicks.values.map(xTicks.label)) {
            let x = px(value), bottom = m.top + plotHeight
            svg += "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(bottom))\" x2=\"\(svgNumber(x))\" y2=\"\(svgNumber(bottom + 5))\" stroke=\"black\"/>\n"
            svg += text(label, x: x, y: bottom + 18, anchor: "middle")
        }
        for (value, label) in zip(yTickValues, yTickLabels) {
            let y = py(value)
            svg += "<line x1=\"\(svgNumber(m.left - 5))\" y1=\"\(svgNumber(y))\" x2=\"\(svgNumber(m.left))\" y2=\"\(svgNumber(y))\" stroke=\"black\"/>\n"
            svg += text(label, x: m.left - 8, y: y + 4, anchor: "end")
        }
        if !title.isEmpty { svg += text(title, x: m.left + plotWidth / 2, y: 24, anchor: "middle", extra: " font-size=\"14\"") }
        if !xLabel.isEmpty { svg += text(xLabel, x: m.left + plotWidth / 2, y: height - 12, anchor: "middle") }
        if !yLabel.isEmpty {
            let (x, y) = (16.0, m.top + plotHeight / 2)
            svg += text(yLabel, x: x, y: y, anchor: "middle", extra: " transform=\"rotate(-90 \(svgNumber(x)) \(svgNumber(y)))\"")
        }
        for (index, s) in series.enumerated() {
            var commands: [String] = []
            var penDown = false
            for (x, y) in zip(s.x, s.y) {
                guard x.isFinite, y.isFinite else { penDown = false; continue }
                commands.append("\(penDown ? "L" : "M")\(svgNumber(px(x))) \(svgNumber(py(y)))")
                penDown = true
            }
            let colour = Self.palette[index % Self.palette.count]
            svg += "<path d=\"\(commands.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>\n"
            let legendY = m.top + 16 + Double(index) * 16
            let legendX = m.left + plotWidth - 130
            svg += "<line x1=\"\(svgNumber(legendX))\" y1=\"\(svgNumber(legendY - 4))\" x2=\"\(svgNumber(legendX + 20))\" y2=\"\(svgNumber(legendY - 4))\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>\n"
            svg += text(s.name, x: legendX + 26, y: legendY, anchor: "start")
        }
        return svg + "</svg>\n"
    }

    /// A `<text>` element with its content escaped.
    private func text(_ content: String, x: Double, y: Double, anchor: String, extra: String = "") -> String {
        "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" text-anchor=\"\(anchor)\"\(extra)>\(escapeXML(content))</text>\n"
    }
}

/// A coordinate with at most two decimals and no trailing zeros: 70, 12.5, 3.14.
func svgNumber(_ value: Double) -> String {
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}

/// Escapes the five characters XML gives meaning to.
func escapeXML(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&apos;"
        default: escaped.append(character)
        }
    }
    return escaped
}
