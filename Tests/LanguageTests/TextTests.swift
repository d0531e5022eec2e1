import Foundation
import XCTest
@testable import Language

/// Strings with values in them, `format`, `join`, `split` and `glob`.
final class TextTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-text-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func interpreter(confined: Bool = false) -> Interpreter {
        let context = RuntimeContext(outputDirectory: directory + "/out", seed: 1) { _ in }
        context.baseDirectory = directory
        if confined { context.fileAccess = .confined(to: [directory], outputFolders: [directory + "/out"]) }
        return Interpreter(context: context)
    }

    func value(_ text: String, in interpreter: Interpreter? = nil) throws -> Value {
        guard let value = try (interpreter ?? self.interpreter()).lastValue(text) else {
            XCTFail("no value from \(text)")
            return .nothing
        }
        return value
    }

    func string(_ text: String, in interpreter: Interpreter? = nil) throws -> String {
        guard case .string(let result) = try value(text, in: interpreter) else {
            XCTFail("\(text) is not a string")
            return ""
        }
        return result
    }

    func error(_ text: String, in interpreter: Interpreter? = nil) -> String {
        do {
            _ = try value(text, in: interpreter)
            XCTFail("\(text) ran")
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// Each format against what Python's `format(value, spec)` gives (Python 3.11).
    func testFormatsAgreeWithPython() throws {
        let cases: [(String, String, String)] = [
            ("7", "03", "007"), ("3.14159", ".2f", "3.14"), ("0.1234", ".1%", "12.3%"),
            ("12345.678", "e", "1.234568e+04"), ("12345.678", ".3g", "1.23e+04"), ("-3", "05d", "-0003"),
            ("2", "+d", "+2"), ("\"ab\"", "^6", "  ab  "), ("\"ab\"", ">4", "  ab"), ("1.5", "8.3f", "   1.500"),
            ("0.5", "<6", "0.5   "), ("1 / 3", ".3", "0.333"), ("0 / 0", ".2f", "nan"), ("-0.001", ".2f", "-0.00"),
            ("\"abcdef\"", ".3", "abc"), ("2.5", "+08.2f", "+0002.50"), ("1 / 0", ">5", "  inf"),
            ("7", "<05", "70000"), ("7", "^05", "00700"), ("-3", ">06", "0000-3"), ("2.5", "<08.2f", "2.500000"),
            ("\"ab\"", "05", "ab000"), ("\"ab\"", ">05", "000ab"),
        ]
        for (x, spec, expected) in cases {
            XCTAssertEqual(try string("format (\(x)) \"\(spec)\""), expected, "format \(x) \"\(spec)\"")
            XCTAssertEqual(try string("\"{\(x):\(spec)}\""), expected, "\"{\(x):\(spec)}\"")
        }
    }

    func testHolesWriteValuesAsTheREPLShowsThem() throws {
        XCTAssertEqual(try string("i = 7\n\"patient{i:03}_frame{i + 5:02}\""), "patient007_frame12")
        XCTAssertEqual(try string("x = 0.25\n\"loss {x}, {[1, 2]}, {true}, {\"in{x * 2}\"}\""), "loss 0.25, [1, 2], true, in0.5")
        XCTAssertEqual(try string("\"\\{not a hole\\} {1}\""), "{not a hole} 1")
        XCTAssertEqual(try string("\"{{a: 2}.a:.1f}\""), "2.0", "a record inside a hole; its ':' is not the format's")
        XCTAssertEqual(try string("\"{[1, 2, 3][0:2]}\""), "[1, 2]", "a slice's ':' is inside brackets")
        XCTAssertEqual(try string("\"{mean [1, 2]:.2f}\""), "1.50", "a verb applied inside a hole")
    }

    func testStringsJoinNumbers() throws {
        XCTAssertEqual(try string("\"p\" + 3 + \"q\""), "p3q")
        XCTAssertEqual(try string("0.5 + \"x\""), "0.5x")
        XCTAssertTrue(error("\"p\" - 3").contains("'-' cannot combine"), error("\"p\" - 3"))
    }

    func testCanonicalFormsOfTemplatesParseBack() throws {
        for text in ["\"a{i:03}b\"", "\"{f x y=\"{z}\"} \\{ \\}\"", "\"{1 + 2:>8.3e}\"", "\"\\{\""] {
            let statements = try Parser.parse(SourceFile(name: "t", text: text))
            let canonical = statements.map(\.canonicalForm).joined()
            let again = try Parser.parse(SourceFile(name: "t", text: canonical)).map(\.canonicalForm).joined()
            XCTAssertEqual(canonical, again, text)
        }
        XCTAssertEqual(try Parser.parse(SourceFile(name: "t", text: "\"a{ i  :03}\""))[0].canonicalForm, "\"a{i:03}\"")
        XCTAssertNotEqual(
            try Parser.parse(SourceFile(name: "t", text: "\"{i}\""))[0].canonicalForm,
            try Parser.parse(SourceFile(name: "t", text: "\"\\{i\\}\""))[0].canonicalForm,
            "a hole and braces written as text are different statements")
    }

    func testBadHolesAndFormatsSayWhereAndWhy() {
        let cases: [(String, String)] = [
            ("\"{1:x}\"", "'x' is not a format"),
            ("\"{}\"", "needs a value inside"),
            ("\"{1 + 2\"", "no closing quote"),  // the last quote opens a string inside the hole
            ("\"{1 + 2", "is not closed"),
            ("\"{2.5:d}\"", "'d' writes whole numbers, and 2.5 is not one"),
            ("\"{\"a\":.2f}\"", "'f' formats numbers only"),
            ("\"{1:99999}\"", "a width is at most 1000"),
            ("\"{1:.}\"", "a '.' needs the number of digits"),
            ("\"{1 2}\"", "expected '}' to end the value"),
            ("\"{\"{\"{\"{\"{1}\"}\"}\"}\"}\"", "nest too deeply"),
            ("\"{nope}\"", "unknown name 'nope'"),
            ("\"\\q\"", "unknown escape"),
            ("format 1 \"zz\"", "'zz' is not a format"),
            ("\"{1e19:d}\"", "too large for 'd'"),
            ("\"{(}\" + \"a\"", "'}' does not close the '(' opened here"),
            ("\"{[1, 2)}\"", "')' does not close the '[' opened here"),
        ]
        for (text, expected) in cases {
            let message = error(text)
            XCTAssertTrue(message.contains(expected), "\(text): \(message)")
        }
        // An unclosed hole is shown from its '{'.
        XCTAssertTrue(error("x = \"{a").contains("t:1:6"), error("x = \"{a"))
        // The column of the bad format is where it was written.
        XCTAssertTrue(error("x = \"{1:x}\"").contains("t:1:9"), error("x = \"{1:x}\""))
    }

    func testJoinAndSplit() throws {
        XCTAssertEqual(try string("join [\"a\", 1, 0.5] \", \""), "a, 1, 0.5")
        XCTAssertEqual(try string("join []"), "")
        XCTAssertEqual(try value("split \"ED: 1\\nES: 12\" \"\\n\"").inlineText, "[\"ED: 1\", \"ES: 12\"]")
        XCTAssertEqual(try value("split \"  a b\\tc \"").inlineText, "[\"a\", \"b\", \"c\"]")
        XCTAssertEqual(try value("split \"a,,b\" \",\"").inlineText, "[\"a\", \"\", \"b\"]")
        XCTAssertTrue(error("split \"a\" \"\"").contains("empty separator"))
    }

    func testGlobFindsFilesSortedAndRelative() throws {
        for name in ["patient002/b_frame01.nii.gz", "patient001/a_frame01.nii.gz", "patient001/a_frame01_gt.nii.gz", "patient001/Info.cfg"] {
            let path = directory + "/acdc/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        }
        XCTAssertEqual(
            try value("glob \"acdc/patient*/*_frame??.nii.gz\"").inlineText,
            "[\"acdc/patient001/a_frame01.nii.gz\", \"acdc/patient002/b_frame01.nii.gz\"]")
        XCTAssertEqual(try value("glob \"acdc/*/*.cfg\"").inlineText, "[\"acdc/patient001/Info.cfg\"]")
        XCTAssertEqual(try value("glob \"\(directory)/acdc/patient00[2]\"").inlineText, "[\"\(directory)/acdc/patient002\"]")
        XCTAssertEqual(try value("glob \"none*\"").inlineText, "[]")
        XCTAssertEqual(try value("count (glob \"acdc/patient001/*\")", in: interpreter(confined: true)).inlineText, "3")
    }

    /// In a confined run, a pattern may not list a folder outside the run's folders, nor follow
    /// a link out of them.
    func testGlobStaysInsideTheRunsFolders() throws {
        let confined = interpreter(confined: true)
        XCTAssertTrue(error("glob \"../*\"", in: confined).contains("may not read"), error("glob \"../*\"", in: confined))
        XCTAssertTrue(error("glob \"/etc/*\"", in: confined).contains("may not read"))
        try FileManager.default.createDirectory(atPath: directory + "/inside", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory + "/inside/out", withDestinationPath: "/etc")
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/inside/kept.txt", contents: Data()))
        var printed: [String] = []
        confined.context.print = { printed.append($0) }
        // The link out is left out, and a note says so without naming where it leads.
        XCTAssertEqual(try value("glob \"inside/*\"", in: confined).inlineText, "[\"inside/kept.txt\"]")
        XCTAssertEqual(printed, ["note: 1 matching path left out: they lead outside the folders this run may use"])
        XCTAssertTrue(error("glob \"inside/*/../../..\"", in: confined).contains("'.' and '..' may come only before the first wildcard"))
    }

    /// Below a wildcard, a folder that is a link is not walked into: a link to its own folder
    /// does not multiply the matches.
    func testGlobDoesNotWalkThroughLinkedFolders() throws {
        try FileManager.default.createDirectory(atPath: directory + "/tree/a", withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/tree/a/x.nii", contents: Data()))
        try FileManager.default.createSymbolicLink(atPath: directory + "/tree/loop", withDestinationPath: ".")
        XCTAssertEqual(try value("glob \"tree/*/*.nii\"").inlineText, "[\"tree/a/x.nii\"]")
        XCTAssertEqual(try value("count (glob \"tree/*/*/*/*/*\")").inlineText, "0")
        XCTAssertEqual(try value("glob \"tree/*\"").inlineText, "[\"tree/a\", \"tree/loop\"]", "a link is matched, not walked into")
    }

    /// A statement that globs reads files known only when it runs: the notebook cache must not
    /// keep its result.
    func testAGlobIsNeverCached() throws {
        let source = SourceFile(name: "t", text: "files = glob \"*.png\"")
        var analyser = Analyser(registry: .standard)
        let plans = try analyser.plan(Parser.parse(source), in: source)
        XCTAssertFalse(plans[0].isCacheable)
        XCTAssertTrue(plans[0].files.computed)
    }
}
