import Foundation
import TestSupport
import XCTest
@testable import Engine
@testable import Formats

final class CheckpointTests: XCTestCase {
    /// Parameters in a model's (not alphabetical) order: awkward values, a scalar, an empty
    /// tensor, a conv weight and one large enough to be stored in chunks.
    func sampleCheckpoint() throws -> Checkpoint {
        let parameters: [(path: String, tensor: Tensor)] = [
            ("time.linear.weight", try Tensor(shape: [3, 6], scalars: awkwardFloats)),
            ("down.0.res.1.conv1.weight", try ramp([4, 2, 3, 3]) * Tensor(0.1)),
            ("down.0.res.1.conv1.bias", Tensor([-0.0, Float(bitPattern: 0x3E8), -3])),
            ("down.10.norm.scale", Tensor(1.5)),
            ("mid.attention.empty", try Tensor.zeros([0, 8])),
            ("up.0.weight", try ramp([64, 80]) - Tensor(1000)),
            ("a", Tensor([7])),
        ]
        return try Checkpoint(
            parameters: parameters,
            configuration: ["widths": "[32, 64, 128]", "kind": "unet", "ünïcode key": "line\nbreak \"quoted\""],
            metadata: [
                "step": .integer(9_007_199_254_740_993), "seed": .integer(-7), "loss": .double(0.012345678901234567),
                "lr": .double(1e-4), "nan": .double(-.nan), "zero": .double(-0.0), "tiny": .double(.leastNonzeroMagnitude),
                "huge": .double(-.infinity), "note": .string("trained on phantom n=512"), "number-like": .string("42"),
                "double-like": .string("1e-05"), "empty": .string(""),
            ])
    }

    func assertSame(_ loaded: Checkpoint, _ saved: Checkpoint, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(loaded.parameters.map(\.path), saved.parameters.map(\.path), "\(label): order", file: file, line: line)
        for ((path, actual), (_, expected)) in zip(loaded.parameters, saved.parameters) {
            assertBitIdentical(actual, expected, "\(label) \(path)", file: file, line: line)
        }
        XCTAssertEqual(loaded.configuration, saved.configuration, "\(label): configuration", file: file, line: line)
        XCTAssertEqual(loaded.metadata, saved.metadata, "\(label): metadata", file: file, line: line)
    }

    func testRoundTripsBitExactlyThroughBothFormats() throws {
        let directory = try TemporaryDirectory()
        let checkpoint = try sampleCheckpoint()
        XCTAssertEqual(checkpoint.parameterCount, 18 + 72 + 3 + 1 + 0 + 5120 + 1)
        for name in ["model.h5", "model.hdf5", "MODEL.H5", "model.safetensors"] {
            try Checkpoint.write(checkpoint, to: directory.file(name))
            assertSame(try Checkpoint(reading: directory.file(name)), checkpoint, name)
        }
        // Across formats too: HDF5 -> safetensors -> HDF5.
        try Checkpoint.write(Checkpoint(reading: directory.file("model.h5")), to: directory.file("again.safetensors"))
        try Checkpoint.write(Checkpoint(reading: directory.file("again.safetensors")), to: directory.file("again.h5"))
        assertSame(try Checkpoint(reading: directory.file("again.h5")), checkpoint, "HDF5 -> safetensors -> HDF5")
        guard case .double(let nan)? = try Checkpoint(reading: directory.file("again.h5")).metadata["nan"] else {
            return XCTFail("nan must stay a double")
        }
        XCTAssertTrue(nan.isNaN)
    }

    func testHDF5Layout() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("layout.h5")
        try Checkpoint.write(sampleCheckpoint(), to: path)
        let file = try HDF5File(reading: path)
        XCTAssertEqual(try file.attribute("format"), .string("medsynth checkpoint"))
        XCTAssertEqual(try file.attribute("version"), .integer(1))
        XCTAssertEqual(try file.children(), ["configuration", "metadata", "parameters"])
        XCTAssertEqual(try file.children(of: "parameters"), ["a", "down", "mid", "time", "up"])
        XCTAssertEqual(try file.children(of: "parameters/down"), ["0", "10"])
        let weight = "/parameters/down/0/res/1/conv1/weight"
        XCTAssertEqual(try file.datasetInfo(weight), HDF5DatasetInfo(shape: [4, 2, 3, 3], elementType: .float32))
        XCTAssertEqual(try file.attribute("index", of: weight), .integer(1))
        XCTAssertEqual(try file.attribute("index", of: "parameters/a"), .integer(6))
        XCTAssertEqual(try file.attribute("kind", of: "configuration"), .string("unet"))
        XCTAssertEqual(try file.attribute("step", of: "metadata"), .integer(9_007_199_254_740_993))
        XCTAssertEqual(try file.attribute("lr", of: "metadata"), .double(1e-4))
    }

    func testSafetensorsLayout() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("layout.safetensors")
        try Checkpoint.write(sampleCheckpoint(), to: path)
        let file = try SafetensorsFile(reading: path)
        XCTAssertEqual(file.names, try sampleCheckpoint().parameters.map(\.path))
        XCTAssertEqual(file.metadata["config.kind"], "unet")
        XCTAssertEqual(file.metadata["meta.step"], "9007199254740993")
        XCTAssertEqual(file.metadata["meta.lr"], "0.0001")
        XCTAssertEqual(file.metadata["meta.zero"], "-0.0")
        XCTAssertEqual(file.metadata["meta.number-like"], "\"42\"")
        XCTAssertEqual(file.metadata["meta.note"], "\"trained on phantom n=512\"")
        XCTAssertEqual(file.metadata.count, 3 + 12)
    }

    func testMetadataTextDecoding() {
        XCTAssertEqual(Checkpoint.decode("42"), .integer(42))
        XCTAssertEqual(Checkpoint.decode("-1e-05"), .double(-1e-5))
        XCTAssertEqual(Checkpoint.decode("inf"), .double(.infinity))
        XCTAssertEqual(Checkpoint.decode("\"a \\\"b\\\"\""), .string("a \"b\""))
        XCTAssertNil(Checkpoint.decode("99999999999999999999"), "an integer beyond Int must not become a double")
        XCTAssertNil(Checkpoint.decode("hello"))
        XCTAssertNil(Checkpoint.decode("\"unclosed"))
    }

    func testAFileWrittenByPythonLoadsAsACheckpoint() throws {
        let checkpoint = try Checkpoint(reading: fixture("numpy.safetensors"))
        XCTAssertEqual(checkpoint.parameters.count, 10)
        XCTAssertEqual(checkpoint.tensor(at: "f16")?.scalars, [1, -2, 0.5, 65504, 0x1p-24])
        XCTAssertEqual(checkpoint.configuration, ["source": "numpy", "note": "fixture"])
        XCTAssertEqual(checkpoint.metadata, [:])
    }

    func testTheExtensionChoosesTheFormat() throws {
        let directory = try TemporaryDirectory()
        let checkpoint = try sampleCheckpoint()
        assertFormatError(mentions: ["model.pt", "extension .pt", "use .h5, .hdf5 or .safetensors"]) { try Checkpoint.write(checkpoint, to: directory.file("model.pt")) }
        assertFormatError(mentions: ["has no extension"]) { try Checkpoint.write(checkpoint, to: directory.file("model")) }
        assertFormatError(mentions: ["has no extension"]) { try Checkpoint(reading: directory.file("run.d/model")) }
        XCTAssertEqual(try directory.contents(), [])
    }

    func testParameterPathsAreChecked() {
        func refused(_ paths: [String], _ parameter: String?, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try Checkpoint(parameters: paths.map { ($0, Tensor([1])) }), line: line) { error in
                guard let error = error as? CheckpointError else { return XCTFail("\(error)", line: line) }
                XCTAssertEqual(error.parameter, parameter, line: line)
                XCTAssertTrue(error.message.contains(fragment), "\(error)", line: line)
            }
        }
        refused(["a.b", "a.b"], "a.b", "appears twice")
        refused(["a..b"], "a..b", "not a parameter path")
        refused([".a"], ".a", "not a parameter path")
        refused(["a/b"], "a/b", "not a parameter path")
        refused([""], "", "not a parameter path")
        refused(["a.b.c", "a.b"], "a.b.c", "lies under parameter a.b")
        XCTAssertThrowsError(try Checkpoint(parameters: [], configuration: ["": "x"]))
        XCTAssertNoThrow(try Checkpoint(parameters: [("a.b", Tensor([1])), ("a.bc", Tensor([1])), ("ab", Tensor([1]))]))
    }

    func testFilesThatAreNotCheckpoints() throws {
        let directory = try TemporaryDirectory()
        let plain = directory.file("plain.h5")
        try HDF5File.write(to: plain) { try $0.write(Tensor([1]), to: "x") }
        assertFormatError(mentions: ["plain.h5", "no /parameters group"]) { try Checkpoint(reading: plain) }

        let unindexed = directory.file("unindexed.h5")
        try HDF5File.write(to: unindexed) { try $0.write(Tensor([1]), to: "parameters/w") }
        assertFormatError(mentions: ["unindexed.h5", "/parameters/w attribute \"index\"", "does not exist"]) { try Checkpoint(reading: unindexed) }

        let repeated = directory.file("repeated.h5")
        try HDF5File.write(to: repeated) { file in
            for name in ["a", "b"] {
                try file.write(Tensor([1]), to: "parameters/" + name)
                try file.setAttribute("index", to: .integer(0), on: "parameters/" + name)
            }
        }
        assertFormatError(mentions: ["repeated.h5", "/parameters/b", "has index 0", "numbered 0 to 1"]) { try Checkpoint(reading: repeated) }

        let future = directory.file("future.h5")
        try HDF5File.write(to: future) { file in
            try file.createGroup("parameters")
            try file.setAttribute("version", to: .integer(2))
        }
        assertFormatError(mentions: ["future.h5", "format version 2", "reads version 1"]) { try Checkpoint(reading: future) }

        let foreign = directory.file("foreign.h5")
        try HDF5File.write(to: foreign) { file in
            try file.createGroup("parameters")
            try file.setAttribute("format", to: .string("someone else's weights"))
        }
        assertFormatError(mentions: ["foreign.h5", "declares format", "someone else's weights"]) { try Checkpoint(reading: foreign) }

        let odd = directory.file("odd.safetensors")
        try SafetensorsFile.write([("w", Tensor([1]))], metadata: ["meta.step": "many", "x": "1", "config.x": "2"], to: odd)
        assertFormatError(mentions: ["odd.safetensors", "meta.step", "not an integer, a double or a quoted string"]) { try Checkpoint(reading: odd) }
        try SafetensorsFile.write([("w", Tensor([1]))], metadata: ["x": "1", "config.x": "2"], to: odd)
        assertFormatError(mentions: ["appears both as \"x\" and as \"config.x\""]) { try Checkpoint(reading: odd) }
        try SafetensorsFile.write([("a.b", Tensor([1])), ("a.b.c", Tensor([1]))], to: odd)
        assertFormatError(mentions: ["odd.safetensors", "parameter a.b.c", "lies under parameter a.b"]) { try Checkpoint(reading: odd) }
    }

    func testAGroupLinkedIntoItselfEndsTheWalk() throws {
        // Fixtures/cyclic-checkpoint.h5: /parameters/deeper/again is /parameters itself.
        let file = try HDF5File(reading: fixture("cyclic-checkpoint.h5"))
        XCTAssertEqual(try file.children(of: "parameters/deeper/again/deeper/again"), ["deeper", "w"])
        assertFormatError(mentions: ["cyclic-checkpoint.h5", "/parameters/deeper/again", "is reached twice"]) {
            try Checkpoint(reading: fixture("cyclic-checkpoint.h5"))
        }
    }

    func testDamagedCheckpointsAreErrors() throws {
        let directory = try TemporaryDirectory()
        let checkpoint = try sampleCheckpoint()
        for name in ["model.h5", "model.safetensors"] {
            let path = directory.file(name)
            try Checkpoint.write(checkpoint, to: path)
            let whole = try bytes(of: path)
            let damaged = directory.file("damaged-" + name)
            for length in [0, 7, 8, 100, whole.count / 2, whole.count - 1] {
                try writeBytes(Array(whole.prefix(length)), to: damaged)
                assertFormatError(mentions: ["damaged-" + name]) { try Checkpoint(reading: damaged) }
            }
        }
        // A failed save leaves the checkpoint that was there.
        let path = directory.file("model.h5")
        let before = try bytes(of: path)
        try FileManager.default.createDirectory(atPath: directory.file("blocked.h5"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: directory.file("blocked.h5/inside"), withIntermediateDirectories: false)
        assertFormatError(mentions: ["blocked.h5", "cannot replace"]) { try Checkpoint.write(checkpoint, to: directory.file("blocked.h5")) }
        XCTAssertEqual(try bytes(of: path), before)
    }
}
