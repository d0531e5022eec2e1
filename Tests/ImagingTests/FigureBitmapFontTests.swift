import XCTest
@testable import Imaging

/// The 5 x 7 title font: glyphs against their drawn bitmaps, widths, unknown characters.
final class BitmapFontFigureTests: XCTestCase {
    /// A glyph as text, "#" lit, "." dark, one line per row.
    func picture(_ character: Character) -> [String] {
        BitmapFont.rows(of: character).map { row in
            String((0..<5).map { row & (0x10 >> $0) != 0 ? "#" : "." })
        }
    }

    func testGlyphsMatchTheirBitmaps() {
        XCTAssertEqual(picture("A"), [".###.", "#...#", "#...#", "#...#", "#####", "#...#", "#...#"])
        XCTAssertEqual(picture("7"), ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."])
        XCTAssertEqual(picture("g"), [".....", ".####", "#...#", "#...#", ".####", "....#", ".###."])
        XCTAssertEqual(picture("~"), [".....", ".....", ".#...", "#.#.#", "...#.", ".....", "....."])
        XCTAssertEqual(picture(" "), Array(repeating: ".....", count: 7))
    }

    func testTheTableCoversPrintableASCII() {
        XCTAssertEqual(BitmapFont.table.count, 95 * 7)
        // Every printable character but the space draws something, and no row is wider than 5.
        for code in 33...126 {
            let rows = BitmapFont.rows(of: Character(Unicode.Scalar(UInt8(code))))
            XCTAssertTrue(rows.contains { $0 != 0 }, "glyph \(code) is blank")
            XCTAssertTrue(rows.allSatisfy { $0 < 32 }, "glyph \(code) is wider than 5")
        }
    }

    func testWidthsAndUnknownCharacters() {
        XCTAssertEqual(BitmapFont.width(of: ""), 0)
        XCTAssertEqual(BitmapFont.width(of: "LV"), 11)
        XCTAssertEqual(BitmapFont.rows(of: "é"), BitmapFont.rows(of: "?"))
    }
}
