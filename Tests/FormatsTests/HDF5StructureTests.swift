import XCTest
@testable import Engine
@testable import Formats

/// Groups, attributes and hyperslabs of files medsynth writes.
final class HDF5StructureTests: XCTestCase {
    func testNestedGroupsAndListing() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("tree.h5")
        try HDF5File.write(to: path) { file in
            try file.createGroup("model/down/0")
            try file.createGroup("model/down/0")  // already there: nothing to do
            try file.createGroup("/model/up/")
            try file.write(Tensor([1, 2]), to: "model/down/1/weight")
            try file.write(Tensor([3]), to: "model/bias")
        }
        let file = try HDF5File(reading: path)
        XCTAssertEqual(try file.children(), ["model"])
        XCTAssertEqual(try file.children(of: "model"), ["bias", "down", "up"])
        XCTAssertEqual(try file.children(of: "/model/down"), ["0", "1"])
        XCTAssertEqual(try file.children(of: "model/down/0"), [])
        XCTAssertEqual(try file.kind(of: "model/down/1/weight"), .dataset)
        XCTAssertEqual(try file.kind(of: "model/up"), .group)
        XCTAssertEqual(try file.kind(of: "/"), .group)
        XCTAssertNil(try file.kind(of: "model/sideways/0"))
        XCTAssertNil(try file.kind(of: "model/bias/below"), "nothing is below a dataset")
        XCTAssertEqual(try file.readTensor("model/down/1/weight").scalars, [1, 2])
        assertFormatError(mentions: ["tree.h5", "/model/bias", "is a dataset, not a group"]) { try file.children(of: "model/bias") }
        assertFormatError(mentions: ["/nowhere", "does not exist"]) { try file.children(of: "nowhere") }
    }

    func testTheSameContentsWrittenLaterGiveTheSameBytes() throws {
        let directory = try TemporaryDirectory()
        func writeFile(_ name: String) throws -> Data {
            let path = directory.file(name)
            try HDF5File.write(to: path) { file in
                try file.setAttribute("kind", to: .string("unet"), on: "/")
                try file.write(Tensor([1, 2, 3]), to: "model/bias")  // compact
                try file.write(try Tensor(shape: [300, 1000], scalars: (0..<300_000).map { Float($0) }), to: "model/down/0/weight")  // chunked
                try file.write(try Tensor(shape: [0], scalars: []), to: "model/empty")  // contiguous
                try file.createGroup("model/up")
            }
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let first = try writeFile("first.h5")
        Thread.sleep(forTimeInterval: 1.1)  // HDF5 stores times in whole seconds
        let second = try writeFile("second.h5")
        XCTAssertGreaterThan(first.count, 1_200_000)
        XCTAssertEqual(first, second, "the files differ in \(zip(first, second).filter { $0 != $1 }.count) bytes")
    }

    func testAttributesRoundTripOnFileGroupAndDataset() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("attributes.h5")
        let values: [String: HDF5AttributeValue] = [
            "text": .string("Capitão et al., 2024 — ünïcode"),
            "empty text": .string(""),
            "step": .integer(-9_007_199_254_740_993),  // beyond 2^53: a Double would round it
            "learning rate": .double(1e-4),
            "tiny": .double(.leastNonzeroMagnitude),
            "widths": .integers([32, 64, 128]),
            "one width": .integers([32]),
            "no widths": .integers([]),
            "betas": .doubles([1e-4, 0.02, -.infinity]),
        ]
        try HDF5File.write(to: path) { file in
            try file.write(Tensor([1]), to: "group/data")
            for target in ["/", "group", "group/data"] {
                for (name, value) in values { try file.setAttribute(name, to: value, on: target) }
            }
            try file.setAttribute("step", to: .integer(7), on: "/")  // replaced, with another type below
            try file.setAttribute("text", to: .double(2.5), on: "group")
        }
        let file = try HDF5File(reading: path)
        for target in ["/", "group", "group/data"] {
            XCTAssertEqual(try file.attributeNames(of: target), values.keys.sorted(), target)
            for (name, value) in values where !(target == "/" && name == "step") && !(target == "group" && name == "text") {
                XCTAssertEqual(try file.attribute(name, of: target), value, "\(target) \(name)")
            }
        }
        XCTAssertEqual(try file.attribute("step"), .integer(7))
        XCTAssertEqual(try file.attribute("text", of: "group"), .double(2.5))
        guard case .double(let nan) = try {
            try HDF5File.write(to: path) { try $0.setAttribute("nan", to: .double(-.nan), on: "/") }
            return try HDF5File(reading: path).attribute("nan")
        }() else { return XCTFail("a double attribute must read back as a double") }
        XCTAssertTrue(nan.isNaN && nan.sign == .minus)
    }

    func testAttributeErrors() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("attributes.h5")
        try HDF5File.write(to: path) { file in
            try file.setAttribute("a", to: .integer(1))
            try file.setAttribute("b", to: .integer(2))
            assertFormatError(mentions: ["/missing", "does not exist"]) { try file.setAttribute("x", to: .integer(1), on: "missing") }
            assertFormatError(mentions: ["NUL"]) { try file.setAttribute("x", to: .string("a\0b")) }
            assertFormatError(mentions: ["not a valid attribute name"]) { try file.setAttribute("", to: .integer(1)) }
        }
        let file = try HDF5File(reading: path)
        assertFormatError(mentions: ["attributes.h5", "attribute \"c\"", "does not exist", "present: a, b"]) { try file.attribute("c") }
        assertFormatError(mentions: ["reading only"]) { try file.setAttribute("c", to: .integer(3)) }
    }

    func testHyperslabsReadTheValuesWorkedOutByHand() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("volume.h5")
        // volume[i, j, k] = 100 i + 10 j + k for a 4 x 5 x 6 volume.
        var values: [Float] = []
        for i in 0..<4 { for j in 0..<5 { for k in 0..<6 { values.append(Float(100 * i + 10 * j + k)) } } }
        let volume = try Tensor(shape: [4, 5, 6], scalars: values)
        try HDF5File.write(to: path) { file in
            try file.write(volume, to: "volume")
            try file.write(volume, to: "volume16", as: .int16)
        }
        let file = try HDF5File(reading: path)
        for name in ["volume", "volume16"] {
            // Slice 2 of the first axis, rows 1..2, every other column from 1.
            let slab = try file.readTensor(name, hyperslab: HDF5Hyperslab(start: [2, 1, 1], count: [1, 2, 3], stride: [1, 1, 2]))
            XCTAssertEqual(slab.shape, [1, 2, 3])
            XCTAssertEqual(slab.scalars, [211, 213, 215, 221, 223, 225], name)
            // A column through all slices: volume[:, 4, 5], strided by 3 along the first axis.
            let column = try file.readTensor(name, hyperslab: HDF5Hyperslab(start: [0, 4, 5], count: [2, 1, 1], stride: [3, 1, 1]))
            XCTAssertEqual(column.scalars, [45, 345], name)
        }
        let everything = try file.readTensor("volume", hyperslab: HDF5Hyperslab(start: [0, 0, 0], count: [4, 5, 6]))
        assertBitIdentical(everything, volume)
        let nothing = try file.readTensor("volume", hyperslab: HDF5Hyperslab(start: [3, 0, 0], count: [0, 5, 6]))
        XCTAssertEqual(nothing.shape, [0, 5, 6])

        assertFormatError(mentions: ["volume.h5", "/volume", "axis 2", "extent 6"]) {
            try file.readTensor("volume", hyperslab: HDF5Hyperslab(start: [0, 0, 1], count: [1, 1, 3], stride: [1, 1, 3]))
        }
        assertFormatError(mentions: ["3 entries"]) { try file.readTensor("volume", hyperslab: HDF5Hyperslab(start: [0, 0], count: [1, 1])) }
        assertFormatError(mentions: ["axis 0", "stride 0"]) {
            try file.readTensor("volume", hyperslab: HDF5Hyperslab(start: [0, 0, 0], count: [1, 1, 1], stride: [0, 1, 1]))
        }
        assertFormatError(mentions: ["axis 1"]) {
            try file.readTensor("volume", hyperslab: HDF5Hyperslab(start: [0, Int.max, 0], count: [1, 2, 1]))
        }
    }

    func testHyperslabOfALargeChunkedDataset() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("stack.h5")
        // 40 images of 128 x 128 (2.5 MiB, in four chunks of 10 images); image n holds n + pixel / 2^20.
        var pixels: [Float] = []
        for n in 0..<40 { for pixel in 0..<(128 * 128) { pixels.append(Float(n) + Float(pixel) / 1_048_576) } }
        let images = try Tensor(shape: [40, 1, 128, 128], scalars: pixels)
        try HDF5File.write(to: path) { file in try file.write(images, to: "images") }
        let file = try HDF5File(reading: path)
        XCTAssertEqual(HDF5File.chunkShape([40, 1, 128, 128], byteCount: 4), [10, 1, 128, 128])
        let two = try file.readTensor("images", hyperslab: HDF5Hyperslab(start: [19, 0, 0, 0], count: [2, 1, 128, 128]))
        XCTAssertEqual(two.shape, [2, 1, 128, 128])
        // Images 19 and 20 lie in different chunks; check first and last pixels of each.
        XCTAssertEqual(two.scalars[0], 19)
        XCTAssertEqual(two.scalars[16383], 19 + Float(16383) / 1_048_576)
        XCTAssertEqual(two.scalars[16384], 20)
        XCTAssertEqual(two.scalars[32767], 20 + Float(16383) / 1_048_576)
    }

    /// A hyperslab reads only the chunks it needs: with one byte of the last chunk damaged, a
    /// slice from the first chunk still reads, while the whole dataset fails its checksum.
    func testAHyperslabReadsOnlyItsChunks() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("stack.h5")
        var pixels: [Float] = []
        for n in 0..<40 { for pixel in 0..<(128 * 128) { pixels.append(Float(n) + Float(pixel) / 1_048_576) } }
        try HDF5File.write(to: path) { file in try file.write(try Tensor(shape: [40, 1, 128, 128], scalars: pixels), to: "images") }
        var bytes = try bytes(of: path)
        // Find pixel 1000 of image 35 (in the last chunk, images 30-39) and flip a bit of it.
        let marker = withUnsafeBytes(of: (Float(35) + Float(1000) / 1_048_576).bitPattern.littleEndian, Array.init)
        let position = try XCTUnwrap((0..<(bytes.count - 4)).first { Array(bytes[$0..<$0 + 4]) == marker })
        bytes[position] ^= 0x01
        try writeBytes(bytes, to: path)
        let file = try HDF5File(reading: path)
        let first = try file.readTensor("images", hyperslab: HDF5Hyperslab(start: [0, 0, 0, 0], count: [10, 1, 128, 128]))
        XCTAssertEqual(first.scalars[16384 * 9 + 5], 9 + Float(5) / 1_048_576)
        assertFormatError(mentions: ["stack.h5", "/images", "cannot read the dataset's values"]) {
            try file.readTensor("images", hyperslab: HDF5Hyperslab(start: [35, 0, 0, 0], count: [1, 1, 128, 128]))
        }
        assertFormatError(mentions: ["/images"]) { try file.readTensor("images") }
    }
}
