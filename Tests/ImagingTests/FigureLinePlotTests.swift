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
        // Plot area x 70...630, y 40...350: (5, 0.5) is its centre.
        XCTAssertTrue(svg.contains("<path d=\"M70 350 L350 195 L630 40\""))
        XCTAssertTrue(svg.contains("<path d=\"M70 40 L630 350\""))
        XCTAssertTrue(svg.contains(">val &lt;&amp;&gt;</text>"))
        XCTAssertTrue(svg.contains(">Loss &quot;L&quot;</text>"))
        XCTAssertTrue(svg.contains("text-anchor=\"end\">0.6</text>"))
        XCTAssertTrue(svg.contains("text-anchor=\"middle\">10</text>"))
    }

    func testLogYMapsDecadesEvenlyAndBreaksAtNaN() throws {
        let plot = LinePlot(series: [.init(name: "kid", x: [0, 0.5, 1], y: [1, .nan, 100])], logY: true)
        let svg = try plot.svg()
        // Ticks 1, 10, 100 across 310 pixels: 1 at 350, 100 at 40; NaN lifts the pen.
        XCTAssertTrue(svg.contains("<path d=\"M70 350 M630 40\""))
        XCTAssertTrue(svg.contains(">100</text>"))
        // 6 x ticks (0...1 by 0.2), 3 y ticks, one legend entry.
        XCTAssertEqual(count("text", in: svg), 6 + 3 + 1)
    }

    func testBadSeriesAreRefused() {
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [0])]).svg()) { error in
            XCTAssertEqual("\(error)", "linePlot: series \"a\" has 2 x values but 1 y values")
        }
        XCTAssertThrowsError(try LinePlot(series: [.init(name: "a", x: [0, 1], y: [0, 1])], logY: true).svg()) { error in
            XCTAssertEqual("\(error)", "linePlot: a log y axis needs positive values, but the smallest y is 0.0")
        }
        XCTAssertThrowsError(try LinePlot(series: []).svg())
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
