import Engine
import XCTest
@testable import Imaging

/// The SVG image grid of reports: sizes, the layout of one-panel rows, text as text, the legend
/// of label colours, colour maps and their bar.
final class ImageGridSVGTests: XCTestCase {
    func count(_ element: String, in svg: String) -> Int {
        svg.components(separatedBy: "<\(element) ").count - 1
    }

    func testPanelsAreScaledToAReadableSizeAndTextIsText() throws {
        // 8 panels of 64 pixels in 840: (840 - 8 x 9) / 8 = 96 pixels each (at least 96).
        XCTAssertEqual(ImageGridSVG.defaultPanelWidth(imageWidth: 64, columns: 8, available: 840), 96)
        // One 32-pixel panel: as wide as 256 at most.
        XCTAssertEqual(ImageGridSVG.defaultPanelWidth(imageWidth: 32, columns: 1, available: 840), 256)
        // Never smaller than the image itself.
        XCTAssertEqual(ImageGridSVG.defaultPanelWidth(imageWidth: 300, columns: 8, available: 840), 300)

        let image = try Tensor(shape: [1, 8, 8], scalars: (0..<64).map(Float.init))
        var encoded: [(Int, Int)] = []
        let grid = ImageGrid(rows: [[.image(image), .image(image)]], rowTitles: ["row <1>"])
        let svg = try ImageGridSVG(grid: grid, title: "two & more", columnTitles: ["a", "b"], scale: 4).svg { _, h, w in
            encoded.append((h, w))
            return [1, 2, 3]
        }
        XCTAssertEqual(encoded.count, 2)
        XCTAssertEqual(count("image", in: svg), 2)
        XCTAssertTrue(svg.contains(#"width="32" height="32" preserveAspectRatio="none" style="image-rendering: pixelated"#), svg)
        XCTAssertTrue(svg.contains("href=\"data:image/png;base64,AQID\""), "the caller's PNG bytes, base64")
        XCTAssertTrue(svg.contains(">two &amp; more</text>") && svg.contains("<title>two &amp; more</title>"))
        XCTAssertTrue(svg.contains(">row &lt;1&gt;</text>") && svg.contains(">a</text>") && svg.contains(">b</text>"))
    }

    func testOnePanelRowsBecomeColumnsAndLabelsGetALegend() throws {
        let labels = try Tensor(shape: [1, 4, 4], scalars: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
        let grid = ImageGrid(rows: [[.labels(labels)], [.labels(labels)], [.labels(labels)]], rowTitles: ["x", "y", "z"])
        let layout = ImageGridSVG(grid: grid)
        XCTAssertEqual(layout.grid.rows.map(\.count), [3], "three rows of one panel are one row of three")
        XCTAssertEqual(layout.columnTitles, ["x", "y", "z"])
        let svg = try layout.svg { _, _, _ in [] }
        XCTAssertTrue(svg.contains(">1 RV</text>") && svg.contains(">2 myocardium</text>") && svg.contains(">3 LV</text>"), svg)
        XCTAssertTrue(svg.contains(##"fill="#ff0000""##), "the RV swatch")
    }

    func testColourMapsAndTheirBar() throws {
        XCTAssertEqual(ColourMap.diverging.colour(at: 0.5), .white)
        XCTAssertEqual(ColourMap.diverging.colour(at: 0), FigureColour(red: 33, green: 102, blue: 172))
        XCTAssertEqual(ColourMap.grey.colour(at: 0.25), FigureColour(red: 63.75, green: 63.75, blue: 63.75))
        XCTAssertEqual(ColourMap.heat.colour(at: 2), .white, "clipped")
        // A difference of -1...1 through the diverging map: -1 blue, 0 white, 1 red.
        let difference = try Tensor(shape: [1, 1, 3], scalars: [-1, 0, 1])
        let panel = FigurePanel.mapped(difference, window: -1...1, map: .diverging)
        let rendered = try panel.render(position: "[0, 0]")
        XCTAssertEqual(rendered.rgb, [33, 255, 178, 102, 255, 24, 172, 255, 43])
        let svg = try ImageGridSVG(grid: ImageGrid(rows: [[panel]]), colourBar: .init(map: .diverging, window: -1...1)).svg { _, _, _ in [] }
        XCTAssertTrue(svg.contains(##"<stop offset="0" stop-color="#2166ac"/><stop offset="0.5" stop-color="#ffffff"/><stop offset="1" stop-color="#b2182b"/>"##), svg)
        XCTAssertTrue(svg.contains(">1</text>") && svg.contains(">-1</text>") && svg.contains(">0</text>"), "the ends and zero")
    }
}
