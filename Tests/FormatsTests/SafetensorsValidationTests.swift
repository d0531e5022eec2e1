import Foundation
import TestSupport
import XCTest
@testable import Engine
@testable import Formats

/// Every lie a safetensors file can tell is an error naming the file and the problem.
final class SafetensorsValidationTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    // XCTest keeps every test case object until the run ends; releasing the directory here
    // removes its files now.
    override func tearDown() {
        directory = nil
    }

    /// Writes a file of `header` (declared as `declaredLength` bytes, by default its real
    /// length) and `data`, and returns the error reading it gives.
    @discardableResult
    func assertRefused(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil, mentions fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws -> FormatError? {
        let path = directory.file("bad.safetensors")
        let json = Array(header.utf8)
        let length = declaredLength ?? UInt64(json.count)
        try writeBytes((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + data, to: path)
        return assertFormatError(mentions: ["bad.safetensors"] + fragments, file: file, line: line) { try SafetensorsFile(reading: path) }
    }

    let f32x2 = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    func testTheValidFileTheCasesBelowBreak() throws {
        let path = directory.file("good.safetensors")
        try writeBytes([UInt8(f32x2.utf8.count), 0, 0, 0, 0, 0, 0, 0] + Array(f32x2.utf8) + [UInt8](repeating: 0, count: 8), to: path)
        XCTAssertEqual(try SafetensorsFile(reading: path).tensor(named: "w").scalars, [0, 0])
    }

    func testLengthAndSizeProblems() throws {
        let path = directory.file("short.safetensors")
        try writeBytes([1, 2, 3], to: path)
        assertFormatError(mentions: ["short.safetensors", "3 bytes long", "too short"]) { try SafetensorsFile(reading: path) }
        try assertRefused(header: f32x2, data: [UInt8](repeating: 0, count: 8), declaredLength: 1 << 40,
                          mentions: ["header length 1099511627776 runs past the end of the file"])
        try assertRefused(header: f32x2, data: [UInt8](repeating: 0, count: 8), declaredLength: UInt64.max, mentions: ["runs past the end"])
        try assertRefused(header: f32x2, data: [0, 0, 0, 0], mentions: ["tensor \"w\"", "data_offsets [0, 8] run past the end of the data section (4 bytes)"])
        try assertRefused(header: f32x2, data: [UInt8](repeating: 0, count: 12), mentions: ["holds 12 bytes but the tensors use only 8"])
        // A header longer than safetensors allows, in a sparse file big enough to hold it.
        let huge = directory.file("huge.safetensors")
        try writeBytes([0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0], to: huge)  // 100,000,001
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        try handle.truncate(atOffset: 100_000_020)
        try handle.close()
        assertFormatError(mentions: ["huge.safetensors", "header length 100000001 exceeds"]) { try SafetensorsFile(reading: huge) }
    }

    func testMalformedJSON() throws {
        let cases: [(String, String)] = [
            (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},}"#, "expected a key in quotes, found '}'"),
            (#"{"w":{"dtype":"F32"#, "string is not closed"),
            (#"{"w":1,"w":2}"#, "key \"w\" appears twice"),
            (#"{"w":01}"#, "leading zero"),
            (#"{"w":tru}"#, "expected a value"),
            (#"{"w":"\q"}"#, "unknown escape"),
            (#"{"w":"\ud800"}"#, "unpaired surrogate"),
            (#"{} {}"#, "unexpected '{' after the value"),
            ("{\"w\":\"a\u{1}\"}", "control character 0x1"),
            (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "nesting deeper than 64"),
            ("", "expected a value, found end of text"),
        ]
        for (header, message) in cases {
            try assertRefused(header: header, mentions: ["not valid JSON", message])
        }
        try assertRefused(header: #"[1,2]"#, mentions: ["the header is an array, not a JSON object"])
        // Invalid UTF-8 inside a string (a lone continuation byte).
        let path = directory.file("latin1.safetensors")
        let json: [UInt8] = Array(#"{"caf"#.utf8) + [0xE9] + Array(#"":1}"#.utf8)
        try writeBytes([UInt8(json.count), 0, 0, 0, 0, 0, 0, 0] + json, to: path)
        assertFormatError(mentions: ["latin1.safetensors", "not valid UTF-8"]) { try SafetensorsFile(reading: path) }
    }

    func testEntryProblems() throws {
        func entry(_ fields: String) -> String { #"{"w":{"# + fields + "}}" }
        let eight = [UInt8](repeating: 0, count: 8)
        try assertRefused(header: entry(#""shape":[2],"data_offsets":[0,8]"#), data: eight, mentions: ["tensor \"w\"", "needs a \"dtype\" string"])
        try assertRefused(header: entry(#""dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]"#), data: eight,
                          mentions: ["dtype F8_E4M3, which medsynth does not read", "BF16"])
        try assertRefused(header: entry(#""dtype":"F32","shape":[-2],"data_offsets":[0,8]"#), data: eight, mentions: ["shape entry -2"])
        try assertRefused(header: entry(#""dtype":"F32","shape":[2.0],"data_offsets":[0,8]"#), data: eight, mentions: ["shape entry 2.0"])
        try assertRefused(header: entry(#""dtype":"F32","shape":2,"data_offsets":[0,8]"#), data: eight, mentions: ["needs a \"shape\" array"])
        try assertRefused(header: entry(#""dtype":"F32","shape":[2],"data_offsets":[0]"#), data: eight, mentions: ["two integers"])
        try assertRefused(header: entry(#""dtype":"F32","shape":[2],"data_offsets":[8,0]"#), data: eight, mentions: ["[8, 0], not a range"])
        try assertRefused(header: entry(#""dtype":"F32","shape":[2],"data_offsets":[0,8],"device":"cuda""#), data: eight,
                          mentions: ["unknown field \"device\""])
        try assertRefused(header: entry(#""dtype":"F32","shape":[3],"data_offsets":[0,8]"#), data: eight,
                          mentions: ["dtype F32 and shape [3] need 12 bytes, but data_offsets [0, 8] give 8"])
        try assertRefused(header: entry(#""dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]"#), data: eight,
                          mentions: ["too large to be real"])
        try assertRefused(header: #"{"w":[1]}"#, mentions: ["tensor \"w\"", "is an array, not an object"])
        try assertRefused(header: #"{"__metadata__":{"step":3}}"#, mentions: ["__metadata__", "value of \"step\" is a number, not a string"])
        try assertRefused(header: #"{"__metadata__":["a"]}"#, mentions: ["__metadata__", "not an object of strings"])
    }

    func testOverlapsAndGaps() throws {
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try assertRefused(header: overlap, data: [UInt8](repeating: 0, count: 12),
                          mentions: ["tensor \"b\"", "data_offsets [4, 12] overlap tensor \"a\", which ends at 8"])
        let same = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#
        try assertRefused(header: same, data: [UInt8](repeating: 0, count: 8), mentions: ["overlap tensor \"a\""])
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        try assertRefused(header: gap, data: [UInt8](repeating: 0, count: 12), mentions: ["tensor \"b\"", "leave bytes 4..<8"])
    }

    func testTruncatedAndFlippedFilesNeverCrash() throws {
        let path = directory.file("whole.safetensors")
        try SafetensorsFile.write([("a", Tensor([1, 2, 3])), ("b", ramp([2, 2]))], metadata: ["step": "3"], to: path)
        let whole = try bytes(of: path)
        let damaged = directory.file("damaged.safetensors")
        for length in 0..<whole.count {
            try writeBytes(Array(whole.prefix(length)), to: damaged)
            assertFormatError(mentions: ["damaged.safetensors"]) { try SafetensorsFile(reading: damaged).tensors() }
        }
        // The format has no checksums: a flipped data byte changes a value unnoticed. A flipped
        // header or length byte must still be an error or a well-formed file, never a crash.
        var errors = 0
        for position in 0..<whole.count {
            var copy = whole
            copy[position] ^= 0xFF
            try writeBytes(copy, to: damaged)
            do { _ = try SafetensorsFile(reading: damaged).tensors() } catch is FormatError { errors += 1 }
        }
        XCTAssertGreaterThanOrEqual(errors, whole.count - 4 * 7 - 8, "all but data bytes and spaces of padding should be caught")
    }
}
