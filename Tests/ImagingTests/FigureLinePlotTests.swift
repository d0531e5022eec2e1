import XCTest
@testable import Imaging

/// Nice ticks worked by hand, and the SVG of line plots: element counts, escaping, and where
/// known points land.
final class LinePlotFigureTests: XCTestCase {
    func testNiceTicksUseStepsOfOneTwoOrFive() {
        // (1 - 0) / 5 = 0.2 = 2 x 10^-1.
        let unit = NiceTicks(low: 0, high: 1)
        XCTAssertEqual(unit.step, 0.2, accuracy: 1e-12)
        XCTAssertEqual(unit.values.count, 6)
        for (tick, expected) in zip(unit.values, [0, 0.2, 0.4, 0.6, 0.8, 1.0]) { XCTAssertEqual(tick, expected, accuracy: 1e-12) }
        XCTAssertEqual(unit.values.map(unit.label), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        // 94 / 5 = 18.8 -> 20; the range widens from 3...97 to 0...100.
        let percent = NiceTicks(low: 3, high: 97)
        XCTAssertEqual(percent.step, 20)
        XCTAssertEqual(percent.values, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(percent.range, 0...100)
        XCTAssertEqual(percent.label(40), "40")
        // 37 / 5 = 7.4 -> 10.
        XCTAssertEqual(NiceTicks(low: 0, high: 37).values, [0, 10, 20, 30, 40])
        // 0.055 / 5 = 0.011 -> 0.02, across zero.
        let small = NiceTicks(low: -0.013, high: 0.042)
        XCTAssertEqual(small.step, 0.02, accuracy: 1e-15)
        XCTAssertEqual(small.values.map(small.label), ["-0.02", "0.00", "0.02", "0.04", "0.06"])
        // 0.5 / 5 = 0.1 exactly: a step of 1 x 10^-1, and no extra tick beyond 1.5.
        XCTAssertEqual(NiceTicks(low: 1, high: 1.5).values.count, 6)
        // Equal ends widen by 10%.
        let flat = NiceTicks(low: 5, high: 5)
        XCTAssertEqual(flat.range.lowerBound, 4.4, accuracy: 1e-12)
        XCTAssertEqual(flat.range.upperBound, 5.6, accuracy: 1e-12)
    }

    func testLogTicksArePowersOfTen() {
        XCTAssertEqual(logTicks(low: 0.003, high: 20), [0.001, 0.01, 0.1, 1, 10, 100])
        XCTAssertEqual(logTicks(low: 0.001, high: 20).map(logTickLabel), ["1e-3", "0.01", "0.1", "1", "10", "100"])
        XCTAssertEqual(logTickLabel(1e6), "1e6")
        XCTAssertEqual(logTicks(low: 10, high: 10), [10, 100])
    }

    func count(_ element: String, in svg: String) -> Int {
        svg.components(separatedBy: "<\(element) ").count - 1
    }

    func testSVGHasOnePathPerSeriesAndEveryLabel() throws {
        let plot = LinePlot(series: [.init(name: "train", x: [0, 5, 10], y: [0, 0.5, 1]),
                                     .init(name: "val <&>", x: [0, 10], y: [1, 0])],
                            title: "Loss \"L\"", xLabel: "step", yLabel: "loss")
        let svg = try plot.svg()
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\""))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        XCTAssertEqual(count("path", in: svg), 2)
        // 6 x ticks (0...10 by 2), 6 y ticks (0...1 by 0.2), title, two axis labels, two legend entries.
        XCTAssertEqual(count("text", in: svg), 17)
        XCTAssertEqual(count("line", in: svg), 6 + 6 + 2)
        // Plot area x 70...616, y 40...350: (5, 0.5) is its centre.
        XCTAssertTrue(svg.contains("<path d=\"M70 350 L343 195 L616 40\""))
        XCTAssertTrue(svg.contains("<path d=\"M70 40 L616 350\""))
        XCTAssertTrue(svg.contains("<title>Loss &quot;L&quot;</title>"), "an SVG title for screen readers")
        XCTAssertTrue(svg.contains(">val &lt;&amp;&gt;</text>"))
        XCTAssertTrue(svg.contains(">Loss &quot;L&quot;</text>"))
        XCTAssertTrue(svg.contains("text-anchor=\"end\">0.6</text>"))
        XCTAssertTrue(svg.contains("text-anchor=\"middle\">10</text>"))
    }

    func testLogYMapsDecadesEvenlyAndBreaksAtNaN() throws {
        let plot = LinePlot(series: [.init(name: "kid", x: [0, 0.5, 1], y: [1, .nan, 100])], logY: true)
        let svg = try plot.svg()
        // Ticks 1, 10, 100 across 310 pixels: 1 at 350, 100 at 40; NaN lifts the pen.
        XCTAssertTrue(svg.contains("<path d=\"M70 350 M616 40\""))
        XCTAssertTrue(svg.contains(">100</text>"))
        // 6 x ticks (0...1 by 0.2), 3 y ticks, and no legend for one series.
        XCTAssertEqual(count("text", in: svg), 6 + 3)
    }

    /// Points, bars, error bars and bands, limits and a log x axis, each where it must land.
    func testStylesErrorsLimitsAndLogX() throws {
        // Bars at x 1, 2 from 0: the y axis reaches down to 0 (ticks 0...4 by 1 for heights 2, 4).
        let bars = try LinePlot(series: [.init(name: "a", x: [1, 2], y: [2, 4], style: .bars, error: [1, 0])]).svg()
        XCTAssertEqual(count("rect", in: bars), 2 + 2 + 1, "the background, the frame, the clip rectangle, two bars")
        // The x axis leaves 0.6 of the bars' spacing at each end: 0.4...2.6, in ticks 0...3 by 0.5
        // over 546 px, so x = 1 at 252 and 2 at 434; a bar is 0.9 x 0.8 x 182 = 131.04 wide,
        // centred. y 0...4 by 1 over 310 px: the bar of height 2 spans 195...350.
        XCTAssertTrue(bars.contains("<rect x=\"186.48\" y=\"195\" width=\"131.04\" height=\"155\""), bars)
        XCTAssertTrue(bars.contains("text-anchor=\"end\">1</text>") && !bars.contains("text-anchor=\"end\">1.0</text>"), "whole steps have whole labels")
        // y = 2 ± 1: from py(1) = 272.5 up to py(3) = 117.5, at the bar's centre, with caps.
        XCTAssertTrue(bars.contains("<path d=\"M252 272.5 L252 117.5 M248 272.5 L256 272.5"), bars)
        let points = try LinePlot(series: [.init(name: "p", x: [0, 1], y: [0, 1], style: .points),
                                           .init(name: "l", x: [0, 1], y: [1, 0], style: .line, error: [0.5, 0.5])]).svg()
        XCTAssertEqual(count("circle", in: points), 2)
        XCTAssertTrue(points.contains("fill-opacity=\"0.2\""), "a band around the line")
        // x -0.5...1.5 (the points padded by 3%) and y -0.5...1.5 (the band), by 0.5; two legend entries.
        XCTAssertEqual(count("text", in: points), 5 + 5 + 2, "two legend entries")
        // Limits: only the ticks inside; a point outside is clipped, not stretching the axis.
        let limited = try LinePlot(series: [.init(name: "a", x: [0, 10], y: [0, 100])], xLimits: 0...5, yLimits: 0...10).svg()
        XCTAssertTrue(limited.contains("text-anchor=\"middle\">5</text>") && !limited.contains("text-anchor=\"middle\">6</text>"), limited)
        XCTAssertTrue(limited.contains("<path d=\"M70 350 L1162 -2750\""), limited)
        // A log x axis: 1, 10, 100 evenly, 10 in the middle (343).
        let logX = try LinePlot(series: [.init(name: "a", x: [1, 10, 100], y: [0, 1, 2])], logX: true).svg()
        XCTAssertTrue(logX.contains("L343 "), logX)
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [0, 1])], logX: true).svg()) { error in
            XCTAssertEqual("\(error)", "linePlot: a log x axis needs positive values, but the smallest x is 0.0")
        }
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [0, 1], error: [1])]).svg())
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [0, 1])], xLimits: 1...1).svg())
    }

    func testBadSeriesAreRefused() {
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [0])]).svg()) { error in
            XCTAssertEqual("\(error)", "linePlot: series \"a\" has 2 x values but 1 y values")
        }
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [0, 1])], logY: true).svg()) { error in
            XCTAssertEqual("\(error)", "linePlot: a log y axis needs positive values, but the smallest y is 0.0")
        }
        XCTAssertThrowsError(try LinePlot(series: []).svg())
        // Values whose span overflows, and log axes below a double's normal range, are refused,
        // not drawn with ticks that overflow.
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [1e308, -1e308])]).svg())
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [1, 2])], yLimits: -1e308...1e308).svg())
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0], y: [1e308], error: [1e308])]).svg())
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [Double.leastNonzeroMagnitude, 1])], logY: true).svg())
    }

    /// The smoothed curve is the bias-corrected average: with β = 0.5 and losses 1, 0, 0.5 it is
    /// 0.5/0.5 = 1, 0.25/0.75 = 1/3, 0.375/0.875 = 3/7. Positive losses get a log axis.
    func testTrainingCurvesSmoothWithBiasCorrection() throws {
        let plot = LinePlot.trainingCurves(steps: [1, 2, 3], loss: [1, 0, 0.5], validationSteps: [3], validationLoss: [0.7], smoothing: 0.5)
        XCTAssertEqual(plot.series.map(\.name), ["batch loss", "smoothed", "validation"])
        let smoothed = plot.series[1].y
        XCTAssertEqual(smoothed[0], 1, accuracy: 1e-12)
        XCTAssertEqual(smoothed[1], 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(smoothed[2], 3.0 / 7, accuracy: 1e-12)
        XCTAssertFalse(plot.logY, "a zero loss cannot go on a log axis")
        XCTAssertTrue(LinePlot.trainingCurves(steps: [1, 2], loss: [1, 0.5], smoothing: 0.98).logY)
        XCTAssertEqual(LinePlot.trainingCurves(steps: [1, 2], loss: [1, 0.5], smoothing: 0.98).series.count, 2)
    }
}
