import Foundation
import XCTest
@testable import Engine
@testable import Formats

/// A fresh directory for one test's files, removed with everything in it when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
        var template = Array((base + "FormatsTests-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw CocoaError(.fileWriteUnknown) }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// The names in the directory, sorted.
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
}

/// The path of a committed fixture file.
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// The bytes of a file.
func bytes(of path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes bytes to a file (directly, for tests that build files by hand).
func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Asserts that `body` throws a FormatError whose description contains every fragment, and
/// returns the error.
@discardableResult
func assertFormatError(
    mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Any
) -> FormatError? {
    do {
        _ = try body()
        XCTFail("expected a FormatError, but nothing was thrown", file: file, line: line)
    } catch let error as FormatError {
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment), "'\(error)' does not mention '\(fragment)'", file: file, line: line)
        }
        return error
    } catch {
        XCTFail("expected a FormatError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Asserts that two tensors have the same shape and bit-identical values (so NaN payloads,
/// -0 and subnormals must survive).
func assertBitIdentical(_ actual: Tensor, _ expected: Tensor, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message)", file: file, line: line)
    XCTAssertEqual(actual.count, expected.count, "count \(message)", file: file, line: line)
    for (index, (a, e)) in zip(actual.scalars, expected.scalars).enumerated() where a.bitPattern != e.bitPattern {
        XCTFail("value \(index): bits \(String(a.bitPattern, radix: 16)) (\(a)) instead of \(String(e.bitPattern, radix: 16)) (\(e)) \(message)",
                file: file, line: line)
        return
    }
}

/// Values that break careless code: signed zeros, subnormals, extremes, infinities and NaNs
/// with payloads and sign bits.
let awkwardFloats: [Float] = [
    0, -0.0, 1, -1, .pi, Float.leastNonzeroMagnitude, -Float.leastNonzeroMagnitude, Float.leastNormalMagnitude,
    Float(bitPattern: 0x0001_16C2), Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude, .infinity, -.infinity,
    Float(bitPattern: 0x7FC0_0000), Float(bitPattern: 0xFFC0_0001), Float(bitPattern: 0x7F80_0001), 0.1, 16_777_216,
]
