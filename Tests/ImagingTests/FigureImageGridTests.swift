import XCTest
import Engine
@testable import Imaging

/// Image grids: panel placement, padding, grey windows, label colours, edge overlays, titles in
/// the bitmap font, and the errors for panels that do not fit. Expected values are computed by
/// hand from the layout in `ImageGrid`'s documentation.
final class ImageGridFigureTests: XCTestCase {
    /// The value of channel `c` at row `y`, column `x` of an RGB grid.
    func pixel(_ grid: Tensor, _ y: Int, _ x: Int) -> [Float] {
        let (height, width) = (grid.shape[1], grid.shape[2])
        return (0..<3).map { grid.scalars[($0 * height + y) * width + x] }
    }

    /// Grey 2 x 3 panels: `a` spans 0...250, `b` 0...5.
    let a = try! Tensor([[0, 50, 100], [150, 200, 250]])
    let b = try! Tensor([[0, 1, 2], [3, 4, 5]])
    let ground = FigureColour(red: 10, green: 20, blue: 30)

    func testPanelsArePlacedBetweenPaddingAndWindowed() throws {
        let grid = try ImageGrid(rows: [[.image(a), .image(b, window: 0...4)]], padding: 2, background: ground).render()
        // width = 2 + 2 (3 + 2), height = 2 + (0 + 2 + 2)
        XCTAssertEqual(grid.shape, [3, 6, 12])
        // a: min-max 0...250 onto 0...255, so 250 -> 255 and 50 -> 51; panel at x = 2, y = 2.
        XCTAssertEqual(pixel(grid, 2, 2), [0, 0, 0])
        XCTAssertEqual(pixel(grid, 2, 3), [51, 51, 51])
        XCTAssertEqual(pixel(grid, 3, 4), [255, 255, 255])
        // b: window 0...4, so 1 -> 63.75 -> 64, 3 -> 191.25 -> 191, 5 clipped to 255; x = 7.
        XCTAssertEqual(pixel(grid, 2, 8), [64, 64, 64])
        XCTAssertEqual(pixel(grid, 3, 7), [191, 191, 191])
        XCTAssertEqual(pixel(grid, 3, 9), [255, 255, 255])
        // Padding: the border and the two columns between the panels.
        for (y, x) in [(0, 0), (1, 5), (2, 5), (3, 6), (5, 11), (4, 8)] {
            XCTAssertEqual(pixel(grid, y, x), [10, 20, 30], "padding at \(y), \(x)")
        }
    }

    func testRowsStackAndShortRowsLeaveBackground() throws {
        let grid = try ImageGrid(rows: [[.image(a)], [.image(a), .image(b)]], padding: 2, background: ground).render()
        XCTAssertEqual(grid.shape, [3, 10, 12])
        // Row 1 starts at y = 2 + 2 + 2; its second panel at x = 7 is b's min-max: 5 -> 255.
        XCTAssertEqual(pixel(grid, 6, 2), [0, 0, 0])
        XCTAssertEqual(pixel(grid, 7, 9), [255, 255, 255])
        XCTAssertEqual(pixel(grid, 6, 8), [51, 51, 51])
        // Row 0 has no second panel.
        XCTAssertEqual(pixel(grid, 3, 9), [10, 20, 30])
    }

    func testRGBPanelsAreClippedToTheByteRange() throws {
        let rgb = try Tensor(shape: [3, 1, 2], scalars: [300, -5, 10, 20, 30.4, 40])
        let grid = try ImageGrid(rows: [[.image(rgb)]], padding: 0).render()
        XCTAssertEqual(grid.shape, [3, 1, 2])
        XCTAssertEqual(grid.scalars, [255, 0, 10, 20, 30, 40])
    }

    func testLabelsUseTheCardiacColourMap() throws {
        let labels = try Tensor([[0, 1], [2, 3]])
        let alone = try ImageGrid(rows: [[.labels(labels)]], padding: 0).render()
        XCTAssertEqual(alone.scalars, [0, 255, 0, 0,   0, 0, 255, 0,   0, 0, 0, 255])
        // Over grey 0, 100, 200, 255 at opacity 0.5: label 0 is transparent, 1 at grey 100 is
        // (0.5 * 100 + 0.5 * 255, 50, 50) = (177.5 -> 178, 50, 50), and so on.
        let grey = try Tensor([[0, 100], [200, 255]])
        let blended = try ImageGrid(rows: [[.labels(labels, over: grey, window: 0...255)]], padding: 0).render()
        XCTAssertEqual(pixel(blended, 0, 0), [0, 0, 0])
        XCTAssertEqual(pixel(blended, 0, 1), [178, 50, 50])
        XCTAssertEqual(pixel(blended, 1, 0), [100, 228, 100])
        XCTAssertEqual(pixel(blended, 1, 1), [128, 128, 255])
    }

    func testEdgesArePaintedOverTheImage() throws {
        let grey = try Tensor(shape: [1, 2, 2], scalars: [0, 100, 200, 255])
        let edges = try Tensor([[0, 1], [0, 0]])
        let grid = try ImageGrid(rows: [[.edges(edges, over: grey, window: 0...255)]], padding: 0).render()
        XCTAssertEqual(pixel(grid, 0, 1), [255, 255, 0])
        XCTAssertEqual(pixel(grid, 1, 0), [200, 200, 200])
        XCTAssertEqual(pixel(grid, 1, 1), [255, 255, 255])
        let red = try ImageGrid(rows: [[.edges(edges, over: grey, colour: .red)]], padding: 0).render()
        XCTAssertEqual(pixel(red, 0, 1), [255, 0, 0])
    }

    func testAPanelTitleIsTheGlyphAboveThePanel() throws {
        let panel = try Tensor.zeros([10, 12])
        let grid = try ImageGrid(rows: [[.image(panel, title: "A")]], padding: 1, background: ground).render()
        // Title band 7 + 2: height = 1 + 9 + 10 + 1, title at x = 1, y = 1.
        XCTAssertEqual(grid.shape, [3, 21, 14])
        let a: [UInt8] = [0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11]
        for y in 0..<7 {
            for x in 0..<5 {
                let lit = a[y] & (0x10 >> x) != 0
                XCTAssertEqual(pixel(grid, 1 + y, 1 + x), lit ? [255, 255, 255] : [10, 20, 30], "glyph pixel \(y), \(x)")
            }
        }
        // The band's last rows are empty and the panel (black) starts at y = 10.
        XCTAssertEqual(pixel(grid, 9, 2), [10, 20, 30])
        XCTAssertEqual(pixel(grid, 10, 1), [0, 0, 0])
    }

    func testRowTitlesAreLeftOfTheirRow() throws {
        let panel = try Tensor.zeros([9, 9])
        let grid = try ImageGrid(rows: [[.image(panel)]], rowTitles: ["R"], padding: 1, background: ground).render()
        // Row titles take 5 + 1 columns: width = 1 + 6 + 9 + 1; "R" at x = 1, y = 1 + (9 - 7) / 2.
        XCTAssertEqual(grid.shape, [3, 11, 17])
        // R's first row is 1E: ####.
        XCTAssertEqual((1...5).map { pixel(grid, 2, $0)[0] }, [255, 255, 255, 255, 10])
        XCTAssertEqual(pixel(grid, 1, 7), [0, 0, 0])
    }

    func testTitlesAreClippedToThePanelWidth() throws {
        let panel = try Tensor.zeros([2, 3])
        let grid = try ImageGrid(rows: [[.image(panel, title: "MMMM"), .image(panel)]], padding: 1).render()
        // M's first row is 11 (#...#): only its first 3 columns fit; x = 4 is padding.
        XCTAssertEqual((1...4).map { pixel(grid, 1, $0)[0] }, [255, 0, 0, 0])
    }

    func testNaNIsBlackAndLeftOutOfTheWindow() throws {
        let grey = try Tensor([[.nan, 10, 20]])
        let grid = try ImageGrid(rows: [[.image(grey)]], padding: 0).render()
        XCTAssertEqual(grid.scalars, [0, 0, 255,   0, 0, 255,   0, 0, 255])
        XCTAssertEqual(try terminalPreview(try Tensor([[Float.nan], [4]]), width: 1),
                       "\u{1B}[38;2;0;0;0m\u{1B}[48;2;0;0;0m▀\u{1B}[0m\n")
        XCTAssertThrowsError(try ImageGrid(rows: [[.labels(try Tensor([[.nan, 1]]))]]).render()) { error in
            XCTAssertEqual("\(error)", "imageGrid: panel [0, 0]: label nan at pixel 0, 0 is not one of 0, 1, 2, 3")
        }
    }

    func testMismatchedPanelsNameTheirShapes() throws {
        XCTAssertThrowsError(try ImageGrid(rows: [[.image(a)], [.image(try Tensor.zeros([1, 3, 3]))]]).render()) { error in
            XCTAssertEqual("\(error)", "imageGrid: panel [1, 0] of shape [1, 3, 3] is 3 x 3 pixels but panel [0, 0] of shape [2, 3] is 2 x 3; all panels must have the same height and width")
        }
        XCTAssertThrowsError(try ImageGrid(rows: [[.image(try Tensor.zeros([2, 4, 4]))]]).render()) { error in
            XCTAssertEqual("\(error)", "imageGrid: panel [0, 0]: the image has shape [2, 4, 4]; expected [H, W], [1, H, W] or [3, H, W]")
        }
        XCTAssertThrowsError(try ImageGrid(rows: [[.labels(try Tensor.zeros([3, 2, 3]))]]).render()) { error in
            XCTAssertEqual("\(error)", "imageGrid: panel [0, 0]: the label map has shape [3, 2, 3]; expected [H, W] or [1, H, W]")
        }
        XCTAssertThrowsError(try ImageGrid(rows: [[.edges(b, over: try Tensor.zeros([3, 2]))]]).render()) { error in
            XCTAssertEqual("\(error)", "imageGrid: panel [0, 0]: the overlay [2, 3] and the image [3, 2] differ in size")
        }
        XCTAssertThrowsError(try ImageGrid(rows: [[.labels(try Tensor([[0, 4]]))]]).render()) { error in
            XCTAssertEqual("\(error)", "imageGrid: panel [0, 0]: label 4.0 at pixel 0, 1 is not one of 0, 1, 2, 3")
        }
    }
}
