import XCTest
import Engine
@testable import Imaging

/// Half-block previews: the exact escape sequences for tiny images.
final class TerminalPreviewFigureTests: XCTestCase {
    func testATwoByTwoGreyImageIsOneLineOfTwoBlocks() throws {
        let image = try Tensor([[0, 255], [255, 0]])
        XCTAssertEqual(try terminalPreview(image, width: 2),
                       "\u{1B}[38;2;0;0;0m\u{1B}[48;2;255;255;255m▀\u{1B}[38;2;255;255;255m\u{1B}[48;2;0;0;0m▀\u{1B}[0m\n")
        // A window: 0...510 puts 255 at 127.5 -> 128.
        XCTAssertEqual(try terminalPreview(image, width: 2, window: 0...510),
                       "\u{1B}[38;2;0;0;0m\u{1B}[48;2;128;128;128m▀\u{1B}[38;2;128;128;128m\u{1B}[48;2;0;0;0m▀\u{1B}[0m\n")
    }

    func testRGBIsAveragedOverAreas() throws {
        // 2 x 4 to 2 columns: round(2 x 2 / 4) = 1 row, made even: 2. Each output pixel is the
        // mean of two neighbours: red (0 + 100) / 2 = 50, (200 + 255) / 2 = 227.5 -> 228, ...
        let image = try Tensor(shape: [3, 2, 4], scalars: [0, 100, 200, 255, 10, 20, 30, 40]
                                                          + Array(repeating: 0, count: 8) + Array(repeating: 255, count: 8))
        XCTAssertEqual(try terminalPreview(image, width: 2),
                       "\u{1B}[38;2;50;0;255m\u{1B}[48;2;15;0;255m▀\u{1B}[38;2;228;0;255m\u{1B}[48;2;35;0;255m▀\u{1B}[0m\n")
    }

    func testTallImagesGiveOneLinePerTwoRows() throws {
        let image = try Tensor(shape: [1, 8, 4], scalars: (0..<32).map(Float.init))
        let preview = try terminalPreview(image, width: 2)
        // 8 x 4 to width 2: 4 rows, 2 lines of 2 blocks.
        XCTAssertEqual(preview.split(separator: "\n").count, 2)
        XCTAssertEqual(preview.filter { $0 == "▀" }.count, 4)
    }

    func testOtherShapesAreRefused() {
        XCTAssertThrowsError(try terminalPreview(try Tensor.zeros([2, 4, 4]), width: 4)) { error in
            XCTAssertEqual("\(error)", "terminalPreview: expects [H, W], [1, H, W] or [3, H, W], but got [2, 4, 4]")
        }
    }
}
