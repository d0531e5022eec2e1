import Foundation

/// A plot of one or more series, rendered as an SVG document (loss curves, metrics, their
/// intervals): lines, points, lines with points, or bars, each with optional error bars (a band
/// around a line).
///
/// The plot area is `width - 94` × `height - 90` pixels: 70 left of it for the y tick labels and
/// axis label, 24 right (room for the last x tick's label), 40 above for the title, 50 below for
/// the x tick labels and axis label. Data coordinates map linearly (or through log10 for a log
/// axis) onto the plot area, the axis ranges being the tick ranges (`NiceTicks`) or the limits
/// given. A non-finite y breaks a line and is not drawn as a point or a bar. With several series
/// a legend sits in the top-right corner of the plot area.
public struct LinePlot: Sendable {
    /// How a series is drawn.
    public enum Style: String, Sendable, CaseIterable {
        case line, points, linepoints, bars
    }

    /// One series: points (x[i], y[i]) in order, with a half-width error[i] when given.
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public var style: Style
        /// Drawn as y ± error: a band around a line, else a bar with caps.
        public var error: [Double]?

        public init(name: String, x: [Double], y: [Double], style: Style = .line, error: [Double]? = nil) {
            (self.name, self.x, self.y, self.style, self.error) = (name, x, y, style, error)
        }
    }

    public var series: [Series]
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Plots log10(y) with ticks at the powers of ten; every finite y must then be positive.
    public var logY: Bool
    /// The same for x.
    public var logX: Bool
    /// The axes' ranges, when given (else the data's, widened to nice ticks).
    public var xLimits: ClosedRange<Double>?
    public var yLimits: ClosedRange<Double>?
    public var width: Double
    public var height: Double

    /// Series colours, in order, repeating (matplotlib's "tab10" first five).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    static let margin = (left: 70.0, right: 24.0, top: 40.0, bottom: 50.0)

    public init(series: [Series], title: String = "", xLabel: String = "", yLabel: String = "",
                logY: Bool = false, logX: Bool = false, xLimits: ClosedRange<Double>? = nil, yLimits: ClosedRange<Double>? = nil,
                width: Double = 640, height: Double = 400) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logY = logY
        self.logX = logX
        self.xLimits = xLimits
        self.yLimits = yLimits
        self.width = width
        self.height = height
    }

    /// An axis: its tick values and labels, and where a value lands along it (0 at the low end,
    /// 1 at the high end).
    struct Axis {
        var ticks: [Double]
        var labels: [String]
        var position: (Double) -> Double

        init(name: String, low: Double, high: Double, logarithmic: Bool, limits: ClosedRange<Double>?) throws {
            if logarithmic {
                let (a, b) = limits.map { ($0.lowerBound, $0.upperBound) } ?? (low, high)
                guard a > 0 else {
                    throw FigureError("linePlot: a log \(name) axis needs positive values, but the smallest \(name) is \(a)")
                }
                guard a >= 1e-300, b <= 1e300 else {
                    throw FigureError("linePlot: a log \(name) axis shows 1e-300 ... 1e300, not \(a) ... \(b)")
                }
                let powers = logTicks(low: a, high: b)
                ticks = limits == nil ? powers : powers.filter { $0 >= a * (1 - 1e-9) && $0 <= b * (1 + 1e-9) }
                labels = ticks.map(logTickLabel)
                let (bottom, top) = limits == nil ? (log10(powers.first!), log10(powers.last!)) : (log10(a), log10(b))
                position = { (log10($0) - bottom) / (top - bottom) }
            } else {
                let nice = NiceTicks(low: limits?.lowerBound ?? low, high: limits?.upperBound ?? high)
                let range = limits ?? nice.range
                ticks = nice.values.filter { $0 >= range.lowerBound - nice.step * 1e-9 && $0 <= range.upperBound + nice.step * 1e-9 }
                labels = ticks.map(nice.label)
                let span = range.upperBound - range.lowerBound
                position = { ($0 - range.lowerBound) / span }
            }
        }
    }

    /// The SVG document.
    public func svg() throws -> String {
        guard !series.isEmpty else { throw FigureError("linePlot: has no series") }
        for s in series where s.x.count != s.y.count {
            throw FigureError("linePlot: series \"\(s.name)\" has \(s.x.count) x values but \(s.y.count) y values")
        }
        for s in series {
            if let error = s.error, error.count != s.y.count {
                throw FigureError("linePlot: series \"\(s.name)\" has \(error.count) errors for \(s.y.count) values")
            }
        }
        for limits in [xLimits, yLimits].compactMap({ $0 }) where !(limits.lowerBound < limits.upperBound) || !limits.lowerBound.isFinite || !limits.upperBound.isFinite {
            throw FigureError("linePlot: axis limits must be finite with low < high, not \(limits)")
        }
        let xs = series.flatMap(\.x).filter(\.isFinite)
        var ys: [Double] = []
        for s in series {
            for (index, y) in s.y.enumerated() where y.isFinite {
                let e = s.error.map { abs($0[index]) } ?? 0
                ys += e.isFinite && e > 0 ? [y - e, y + e] : [y]
            }
            // Bars stand on zero, which the axis must show (a log axis has none).
            if s.style == .bars, !logY { ys.append(0) }
        }
        if logY { ys = ys.filter { $0 > 0 } + (series.flatMap(\.y).filter { $0.isFinite && $0 <= 0 }) }
        guard let xLow = xs.min(), let xHigh = xs.max(), let yLow = ys.min(), let yHigh = ys.max() else {
            throw FigureError("linePlot: has no finite points")
        }
        // Ticks are computed from the spans: beyond about 1e300 they overflow.
        for (name, low, high) in [("x", xLow, xHigh), ("y", yLow, yHigh)] + [xLimits, yLimits].enumerated().compactMap({ index, limits in
            limits.map { (index == 0 ? "x" : "y", $0.lowerBound, $0.upperBound) }
        }) where !(high - low).isFinite || !high.isFinite || !low.isFinite || Swift.max(abs(low), abs(high)) > 1e300 {
            throw FigureError("linePlot: the \(name) values (with their errors) reach beyond what a plot can show (±1e300): \(low) ... \(high)")
        }
        // Bars need room for half a group at each end of the x axis.
        var (xFrom, xTo) = (xLow, xHigh)
        let barXs = Set(series.filter { $0.style == .bars }.flatMap(\.x).filter(\.isFinite)).sorted()
        if !barXs.isEmpty, !logX {
            let spacing = zip(barXs, barXs.dropFirst()).map { $1 - $0 }.min() ?? 1
            (xFrom, xTo) = (xFrom - 0.6 * spacing, xTo + 0.6 * spacing)
        }
        // Points at the ends of the axis would be cut in half by the frame.
        if series.contains(where: { $0.style == .points || $0.style == .linepoints }), barXs.isEmpty, !logX, xTo > xFrom {
            (xFrom, xTo) = (xFrom - 0.03 * (xTo - xFrom), xTo + 0.03 * (xTo - xFrom))
        }
        let xAxis = try Axis(name: "x", low: xFrom, high: xTo, logarithmic: logX, limits: xLimits)
        let yAxis = try Axis(name: "y", low: yLow, high: yHigh, logarithmic: logY, limits: yLimits)
        let m = Self.margin
        let plotWidth = width - m.left - m.right, plotHeight = height - m.top - m.bottom
        func px(_ x: Double) -> Double { m.left + xAxis.position(x) * plotWidth }
        func py(_ y: Double) -> Double { m.top + plotHeight - yAxis.position(y) * plotHeight }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(svgNumber(width))" height="\(svgNumber(height))" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" font-family="sans-serif" font-size="12">
            <title>\(escapeXML(title.isEmpty ? "plot" : title))</title>
            <rect x="0" y="0" width="\(svgNumber(width))" height="\(svgNumber(height))" fill="white"/>
            <defs><clipPath id="area"><rect x="\(svgNumber(m.left))" y="\(svgNumber(m.top))" width="\(svgNumber(plotWidth))" height="\(svgNumber(plotHeight))"/></clipPath></defs>
            <rect x="\(svgNumber(m.left))" y="\(svgNumber(m.top))" width="\(svgNumber(plotWidth))" height="\(svgNumber(plotHeight))" fill="none" stroke="black"/>

            """
        for (value, label) in zip(xAxis.ticks, xAxis.labels) {
            let x = px(value), bottom = m.top + plotHeight
            svg += "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(bottom))\" x2=\"\(svgNumber(x))\" y2=\"\(svgNumber(bottom + 5))\" stroke=\"black\"/>\n"
            svg += text(label, x: x, y: bottom + 18, anchor: "middle")
        }
        for (value, label) in zip(yAxis.ticks, yAxis.labels) {
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
        let barSeries = series.indices.filter { series[$0].style == .bars }
        let barSlot = barWidth(plotWidth: plotWidth, px: px) / Double(max(1, barSeries.count))
        svg += "<g clip-path=\"url(#area)\">\n"
        for (index, s) in series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let points = zip(s.x, s.y).enumerated().filter { $0.element.0.isFinite && $0.element.1.isFinite && (!logY || $0.element.1 > 0) }
            if let error = s.error, s.style == .line {
                // A band: the upper edge left to right, the lower one back.
                let upper = points.map { "\(svgNumber(px($0.element.0))) \(svgNumber(py($0.element.1 + abs(error[$0.offset]))))" }
                let lower = points.reversed().map { "\(svgNumber(px($0.element.0))) \(svgNumber(py(max($0.element.1 - abs(error[$0.offset]), logY ? $0.element.1 / 1e6 : -Double.greatestFiniteMagnitude))))" }
                if !upper.isEmpty {
                    svg += "<path d=\"M\((upper + lower).joined(separator: " L"))Z\" fill=\"\(colour)\" fill-opacity=\"0.2\" stroke=\"none\"/>\n"
                }
            }
            if s.style == .line || s.style == .linepoints {
                var commands: [String] = []
                var penDown = false
                for (x, y) in zip(s.x, s.y) {
                    guard x.isFinite, y.isFinite, !logY || y > 0 else { penDown = false; continue }
                    commands.append("\(penDown ? "L" : "M")\(svgNumber(px(x))) \(svgNumber(py(y)))")
                    penDown = true
                }
                svg += "<path d=\"\(commands.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>\n"
            }
            if s.style == .points || s.style == .linepoints {
                for point in points {
                    svg += "<circle cx=\"\(svgNumber(px(point.element.0)))\" cy=\"\(svgNumber(py(point.element.1)))\" r=\"3\" fill=\"\(colour)\"/>\n"
                }
            }
            if s.style == .bars {
                let slot = barSeries.firstIndex(of: index) ?? 0
                let base = logY ? m.top + plotHeight : py(0)
                for point in points {
                    let left = px(point.element.0) - barSlot * Double(barSeries.count) / 2 + barSlot * (Double(slot) + 0.05)
                    let top = py(point.element.1)
                    svg += "<rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(min(top, base)))\" width=\"\(svgNumber(barSlot * 0.9))\" height=\"\(svgNumber(abs(base - top)))\" fill=\"\(colour)\"/>\n"
                }
            }
            if let error = s.error, s.style != .line {
                for point in points {
                    let e = abs(error[point.offset])
                    guard e.isFinite, e > 0 else { continue }
                    var x = px(point.element.0)
                    if s.style == .bars {
                        let slot = Double(barSeries.firstIndex(of: index) ?? 0)
                        x += -barSlot * Double(barSeries.count) / 2 + barSlot * (slot + 0.5)
                    }
                    let (high, low) = (py(point.element.1 + e), py(logY ? max(point.element.1 - e, point.element.1 / 1e6) : point.element.1 - e))
                    svg += "<path d=\"M\(svgNumber(x)) \(svgNumber(low)) L\(svgNumber(x)) \(svgNumber(high)) M\(svgNumber(x - 4)) \(svgNumber(low)) L\(svgNumber(x + 4)) \(svgNumber(low)) M\(svgNumber(x - 4)) \(svgNumber(high)) L\(svgNumber(x + 4)) \(svgNumber(high))\" stroke=\"#333\" stroke-width=\"1\" fill=\"none\"/>\n"
                }
            }
        }
        svg += "</g>\n"
        // A legend only says something when there is more than one series.
        if series.count > 1 {
            for (index, s) in series.enumerated() {
                let colour = Self.palette[index % Self.palette.count]
                let legendY = m.top + 16 + Double(index) * 16
                let legendX = m.left + plotWidth - 130
                if s.style == .bars || s.style == .points {
                    svg += "<rect x=\"\(svgNumber(legendX + 6))\" y=\"\(svgNumber(legendY - 9))\" width=\"8\" height=\"8\" fill=\"\(colour)\"/>\n"
                } else {
                    svg += "<line x1=\"\(svgNumber(legendX))\" y1=\"\(svgNumber(legendY - 4))\" x2=\"\(svgNumber(legendX + 20))\" y2=\"\(svgNumber(legendY - 4))\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>\n"
                }
                svg += text(s.name, x: legendX + 26, y: legendY, anchor: "start")
            }
        }
        return svg + "</svg>\n"
    }

    /// The width a group of bars may take: 80% of the closest two x positions' distance, or of
    /// a tenth of the plot when every bar is at one x.
    private func barWidth(plotWidth: Double, px: (Double) -> Double) -> Double {
        let positions = Set(series.filter { $0.style == .bars }.flatMap(\.x).filter(\.isFinite).map(px)).sorted()
        let gaps = zip(positions, positions.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }
        return 0.8 * (gaps.min() ?? plotWidth / 10)
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
/// Scalar by scalar, so that a quote followed by a combining mark is escaped too.
func escapeXML(_ text: String) -> String {
    var escaped = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
        case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
        case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
        case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
        case "'": escaped.append(contentsOf: "&apos;".unicodeScalars)
        default: escaped.append(scalar)
        }
    }
    return String(escaped)
}
