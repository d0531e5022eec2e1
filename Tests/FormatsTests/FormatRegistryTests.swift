import Foundation
import XCTest
@testable import Engine
@testable import Formats

/// The format registry: which format an extension names, which format a file's first bytes
/// are, how `detect` weighs the two (FormatRegistry's documentation states the rule), round
/// trips through each writable format, and the text that tells people what is supported.
final class FormatRegistryTests: XCTestCase {
    /// Committed files of every readable format, written by other tools (Pillow, nibabel,
    /// pydicom, h5py, numpy's safetensors), with the format each is.
    let samples: [(path: String, format: String)] = [
        (fixture("pillow-rgb8.png"), "PNG"),
        (fixture("pillow-grey16.png"), "PNG"),
        (fixture("pillow-grey1.png"), "PNG"),
        (realScan("FatMRISlice.png"), "PNG"),
        (fixture("nibabel-bigendian-scaled.nii"), "NIfTI-1"),
        (realScan("S0_10slices.nii.gz"), "NIfTI-1"),
        (fixture("pydicom-implicit-mr.dcm"), "DICOM"),
        (realScan("MR_small.dcm"), "DICOM"),
        (fixture("h5py-types.h5"), "HDF5"),
        (fixture("cyclic-checkpoint.h5"), "HDF5"),
        (fixture("numpy.safetensors"), "safetensors"),
    ]

    func testTheRegistryListsEachFormatOnce() {
        XCTAssertEqual(FormatRegistry.all.map(\.name), ["PNG", "NIfTI-1", "DICOM", "HDF5", "safetensors", "SVG"])
        let extensions = FormatRegistry.all.flatMap(\.extensions)
        XCTAssertEqual(extensions, ["png", "nii", "nii.gz", "dcm", "dicom", "h5", "hdf5", "safetensors", "svg"])
        XCTAssertEqual(Set(extensions).count, extensions.count, "no extension names two formats")
    }

    func testExtensionsNameTheirFormats() {
        let cases: [(String, String?)] = [
            ("scan.png", "PNG"), ("data/SCAN.PNG", "PNG"), ("x.nii", "NIfTI-1"), ("x.nii.gz", "NIfTI-1"),
            ("/tmp/X.Nii.Gz", "NIfTI-1"), ("a.dcm", "DICOM"), ("a.DICOM", "DICOM"), ("m.h5", "HDF5"), ("m.hdf5", "HDF5"),
            ("w.safetensors", "safetensors"), ("plot.svg", "SVG"),
            ("x.gz", nil), ("x.txt", nil), ("x.png.txt", nil), ("png", nil), ("folder.png/scan", nil), ("", nil), ("x.", nil),
        ]
        for (path, expected) in cases {
            XCTAssertEqual(FormatRegistry.format(forPath: path)?.name, expected, path)
        }
        XCTAssertEqual(NIfTIFormat().extension(naming: "a/b.NII.GZ"), "nii.gz", "the longer extension is the one that names it")
        XCTAssertEqual(NIfTIFormat().extension(naming: "a/b.nii"), "nii")
        XCTAssertNil(PNGFormat().extension(naming: "a/b.nii"))
    }

    /// Each sample's first bytes are its format's and no other's.
    func testEachFormatsSignatureRecognisesItsFilesAndNoOthers() throws {
        let directory = try TemporaryDirectory()
        try NIfTIImage.write(try Tensor.zeros([2, 3]), to: directory.file("little.nii"))
        try SVGFormat().write(.text("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), to: directory.file("drawing.svg"))
        try AtomicWrite.write("\u{FEFF}\n<?xml version=\"1.0\"?>\n<svg/>", to: directory.file("declared.svg"))
        let all = samples + [(directory.file("little.nii"), "NIfTI-1"), (directory.file("drawing.svg"), "SVG"),
                             (directory.file("declared.svg"), "SVG")]
        for (path, expected) in all {
            let header = try FormatRegistry.header(of: path)
            XCTAssertEqual(FormatRegistry.all.filter { $0.matches(header: header) }.map(\.name), [expected], path)
            XCTAssertEqual(FormatRegistry.format(forHeader: header)?.name, expected, path)
        }
        XCTAssertEqual(try FormatRegistry.header(of: fixture("h5py-types.h5")).count, FormatRegistry.headerLength)
        XCTAssertEqual(try FormatRegistry.header(of: fixture("pillow-grey1.png")).count, 71, "a short file is read whole")
    }

    /// The signatures as the brief and the specifications give them, on headers built by hand.
    func testSignaturesOnHandMadeHeaders() {
        var nifti = [UInt8](repeating: 0, count: 348)
        nifti.replaceSubrange(0..<4, with: [0x5C, 0x01, 0, 0])
        nifti.replaceSubrange(344..<348, with: Array("n+1\0".utf8))
        XCTAssertTrue(NIfTIFormat().matches(header: nifti), "little-endian, one file")
        nifti.replaceSubrange(0..<4, with: [0, 0, 0x01, 0x5C])
        XCTAssertTrue(NIfTIFormat().matches(header: nifti), "big-endian")
        nifti.replaceSubrange(344..<348, with: Array("ni1\0".utf8))
        XCTAssertTrue(NIfTIFormat().matches(header: nifti), "a .hdr of a pair: recognised, then refused by the reader by name")
        nifti.replaceSubrange(344..<348, with: Array("n+2\0".utf8))
        XCTAssertFalse(NIfTIFormat().matches(header: nifti), "NIfTI-2's magic")
        XCTAssertTrue(NIfTIFormat().matches(header: [0x1F, 0x8B]), "gzip")

        let userBlock = [UInt8](repeating: 0, count: 512) + HDF5File.signature
        XCTAssertTrue(HDF5Format().matches(header: userBlock), "a superblock after a 512-byte user block")
        XCTAssertFalse(HDF5Format().matches(header: [UInt8](repeating: 0, count: 100) + HDF5File.signature), "only at 0, 512, 1024, 2048")

        let json = Array("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}".utf8)
        let lengthBytes = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init)
        XCTAssertTrue(SafetensorsFormat().matches(header: lengthBytes + json))
        XCTAssertFalse(SafetensorsFormat().matches(header: lengthBytes + Array(" {}".utf8)), "the header opens with {")
        XCTAssertFalse(SafetensorsFormat().matches(header: [1, 0, 0, 0, 0, 0, 0, 0] + Array("{".utf8)), "no JSON object is 1 byte")

        XCTAssertTrue(DICOMFormat().matches(header: [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)))
        XCTAssertFalse(DICOMFormat().matches(header: Array("DICM".utf8) + [UInt8](repeating: 0, count: 128)), "DICM belongs at 128")
        XCTAssertFalse(SVGFormat().matches(header: Array("<?xml version=\"1.0\"?><html/>".utf8)), "XML that is no SVG")
    }

    /// An empty file, and every prefix of each sample that is shorter than its format's
    /// signature, match no format; longer prefixes match their own format only.
    func testShortFilesMatchNothing() throws {
        for format in FormatRegistry.all {
            XCTAssertFalse(format.matches(header: []), "\(format.name) on no bytes")
        }
        let signatureEnd = ["PNG": 8, "NIfTI-1": 348, "DICOM": 132, "HDF5": 8, "safetensors": 9]
        for (path, expected) in samples {
            let header = try FormatRegistry.header(of: path)
            let gzip = header.starts(with: [0x1F, 0x8B])
            let needed = gzip ? 2 : signatureEnd[expected]!
            for length in 0..<min(header.count, needed + 16) {
                let prefix = Array(header.prefix(length))
                let matching = FormatRegistry.all.filter { $0.matches(header: prefix) }.map(\.name)
                XCTAssertEqual(matching, length < needed ? [] : [expected], "\(path), \(length) bytes")
            }
        }
    }

    /// A file whose extension names no format is read by its first bytes, and gives what the
    /// same file gives under its own name.
    func testAFileWithoutAKnownExtensionIsReadByItsFirstBytes() throws {
        let directory = try TemporaryDirectory()
        for (index, (path, expected)) in samples.enumerated() {
            for name in ["file\(index)", "file\(index).ima", "file\(index).bin"] {
                let renamed = directory.file(name)
                try writeBytes(try bytes(of: path), to: renamed)
                let format = try FormatRegistry.detect(path: renamed)
                XCTAssertEqual(format.name, expected, name)
                if expected != "HDF5" {  // HDF5 read whole is a checkpoint, which these are not
                    XCTAssertEqual(try tensors(format.read(renamed)), try tensors(format.read(path)), name)
                }
            }
        }
        let h5 = directory.file("volume")
        try HDF5Format().write(.tensor(try ramp([2, 3])), to: h5, options: .dataset("/v"))
        XCTAssertEqual(try tensors(FormatRegistry.detect(path: h5).read(h5, options: .dataset("/v"))), [try ramp([2, 3])])
    }

    /// A known extension is a claim: contents of another format are refused, saying what they
    /// are and what to do.
    func testAPNGNamedDCMIsRefusedWithAClearMessage() throws {
        let directory = try TemporaryDirectory()
        let disguised = directory.file("scan.dcm")
        try writeBytes(try bytes(of: fixture("pillow-rgb8.png")), to: disguised)
        XCTAssertThrowsError(try FormatRegistry.detect(path: disguised)) { error in
            XCTAssertEqual(error as? FormatDetectionError, FormatDetectionError(
                file: disguised, "'\(disguised)' is PNG by its first bytes, but its extension .dcm names DICOM",
                hint: "rename it to end in .png"))
        }
        let dicomAsPNG = directory.file("scan.PNG")
        try writeBytes(try bytes(of: realScan("MR_small.dcm")), to: dicomAsPNG)
        XCTAssertThrowsError(try FormatRegistry.detect(path: dicomAsPNG)) { error in
            XCTAssertEqual((error as? FormatDetectionError)?.message, "'\(dicomAsPNG)' is DICOM by its first bytes, but its extension .png names PNG")
            XCTAssertEqual((error as? FormatDetectionError)?.hint, "rename it to end in .dcm")
        }
        let gzipAsH5 = directory.file("model.h5")
        try writeBytes(try bytes(of: realScan("S0_10slices.nii.gz")), to: gzipAsH5)
        XCTAssertThrowsError(try FormatRegistry.detect(path: gzipAsH5)) { error in
            XCTAssertEqual((error as? FormatDetectionError)?.message, "'\(gzipAsH5)' is NIfTI-1 by its first bytes, but its extension .h5 names HDF5")
        }
    }

    /// First bytes that are no format's leave a known extension's file to its reader, whose
    /// message says what is wrong; without a known extension, they are an error listing what
    /// medsynth reads.
    func testEmptyShortAndUnknownFiles() throws {
        let directory = try TemporaryDirectory()
        let emptyPNG = directory.file("empty.png")
        try writeBytes([], to: emptyPNG)
        XCTAssertEqual(try FormatRegistry.detect(path: emptyPNG).name, "PNG")
        assertFormatError(mentions: ["empty.png", "not a PNG file", "PNG signature"]) { try PNGFormat().read(emptyPNG) }

        let shortDICOM = directory.file("cut.dcm")
        try writeBytes(Array(try bytes(of: realScan("MR_small.dcm")).prefix(100)), to: shortDICOM)
        XCTAssertEqual(try FormatRegistry.detect(path: shortDICOM).name, "DICOM")
        assertFormatError(mentions: ["cut.dcm", "no \"DICM\" after the 128-byte preamble"]) { try DICOMFormat().read(shortDICOM) }

        let shortNIfTI = directory.file("cut.nii")
        try writeBytes(Array(try bytes(of: fixture("nibabel-bigendian-scaled.nii")).prefix(300)), to: shortNIfTI)
        XCTAssertEqual(try FormatRegistry.detect(path: shortNIfTI).name, "NIfTI-1")
        assertFormatError(mentions: ["cut.nii", "a NIfTI-1 header needs 348 bytes, the file has 300"]) { try NIfTIFormat().read(shortNIfTI) }

        let readable = "a .png, .nii, .nii.gz, .dcm, .dicom, .h5, .hdf5 or .safetensors file"
        XCTAssertEqual(FormatRegistry.readableFiles, readable)
        let empty = directory.file("empty")
        try writeBytes([], to: empty)
        XCTAssertThrowsError(try FormatRegistry.detect(path: empty)) { error in
            XCTAssertEqual(error as? FormatDetectionError, FormatDetectionError(
                file: empty, "cannot tell the format of '\(empty)' from its first bytes (it has no extension)", expected: readable))
        }
        let notes = directory.file("notes.txt")
        try AtomicWrite.write("PNG is not the first thing here", to: notes)
        XCTAssertThrowsError(try FormatRegistry.detect(path: notes)) { error in
            XCTAssertEqual(error as? FormatDetectionError, FormatDetectionError(
                file: notes, "cannot tell the format of '\(notes)' from .txt or from its first bytes", expected: readable))
            XCTAssertEqual("\(error)", "cannot tell the format of '\(notes)' from .txt or from its first bytes (expected \(readable))")
        }
        assertFormatError(mentions: ["missing.png", "no such file"]) { try FormatRegistry.detect(path: directory.file("missing.png")) }
        assertFormatError(mentions: ["is a directory"]) { try FormatRegistry.detect(path: directory.path) }
    }

    func testSVGIsWrittenButNotRead() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("plot.svg"), drawing = "<svg xmlns=\"http://www.w3.org/2000/svg\"><line/></svg>"
        try FormatRegistry.format(forPath: path)!.write(.text(drawing), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), drawing)
        XCTAssertThrowsError(try FormatRegistry.detect(path: path)) { error in
            XCTAssertEqual(error as? FormatDetectionError, FormatDetectionError(
                file: path, "cannot read '\(path)': medsynth writes SVG files but does not read them", expected: FormatRegistry.readableFiles))
        }
        assertFormatError(mentions: ["plot.svg", "is SVG, which medsynth writes but does not read"]) { try SVGFormat().read(path) }
    }

    /// PNG scales by the file's own bit depth: 8-bit and widened 1- and 2-bit files by 255, a
    /// 16-bit file by 65535 (values from Fixtures/make_low_depth_fixtures.py and
    /// make_image_fixtures.py).
    func testPNGReadsIntensitiesInZeroToOne() throws {
        XCTAssertEqual(try tensors(PNGFormat().read(fixture("pillow-grey1.png"))),
                       [try Tensor(shape: [1, 3, 5], scalars: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])])
        let levels: [Float] = [0, 85, 170, 255, 0, 255, 170, 85, 0, 85, 170, 170, 255, 255, 0]
        XCTAssertEqual(try tensors(PNGFormat().read(fixture("pillow-palette2.png"))),
                       [try Tensor(shape: [1, 3, 5], scalars: levels.map { $0 / 255 })])
        let sixteen = try PNGImage(reading: fixture("pillow-grey16.png"))
        XCTAssertEqual(try tensors(PNGFormat().read(fixture("pillow-grey16.png"))), [sixteen.pixels / Float(65535)])
    }

    func testRoundTripsThroughEachWritableFormat() throws {
        let directory = try TemporaryDirectory()
        // PNG: values on the 8-bit grid come back exactly; a batch of one is one image.
        let grey = try Tensor(shape: [1, 1, 3, 4], scalars: (0..<12).map { Float($0 * 23) / 255 })
        try PNGFormat().write(.tensor(grey), to: directory.file("grey.png"))
        XCTAssertEqual(try tensors(PNGFormat().read(directory.file("grey.png"))), [try grey.reshaped([1, 3, 4])])
        let colour = try Tensor(shape: [3, 2, 2], scalars: (0..<12).map { Float($0 * 20) / 255 })
        try PNGFormat().write(.tensor(colour), to: directory.file("colour.png"))
        XCTAssertEqual(try tensors(PNGFormat().read(directory.file("colour.png"))), [colour])

        // NIfTI-1, plain and compressed (also when the name says so in capitals): bit for bit.
        let volume = try Tensor(shape: [2, 3, 4], scalars: (0..<24).map { Float($0) * 0.37 - 4 })
        for name in ["v.nii", "v.nii.gz", "V.NII.GZ"] {
            try NIfTIFormat().write(.tensor(volume), to: directory.file(name))
            assertBitIdentical(try tensors(NIfTIFormat().read(directory.file(name)))[0], volume, name)
        }
        XCTAssertEqual(try bytes(of: directory.file("V.NII.GZ")).prefix(2), [0x1F, 0x8B], "compressed by its name in any case")

        // HDF5: a tensor at the dataset named, read whole and as a slab.
        let images = try ramp([4, 1, 2, 2])
        try HDF5Format().write(.tensor(images), to: directory.file("x.h5"), options: .dataset("/images"))
        XCTAssertEqual(try tensors(HDF5Format().read(directory.file("x.h5"), options: .dataset("/images"))), [images])
        XCTAssertEqual(try tensors(HDF5Format().read(directory.file("x.h5"), options: .dataset("/images", first: 1, count: 2))),
                       [try images.slice([.range(1..<3)])])
        XCTAssertEqual(try tensors(HDF5Format().read(directory.file("x.h5"), options: .dataset("/images", first: 3))),
                       [try images.slice([.range(3..<4)])])
        XCTAssertEqual(try tensors(HDF5Format().read(directory.file("x.h5"), options: .dataset("/images", count: 1))),
                       [try images.slice([.range(0..<1)])])
        try HDF5Format().write(.tensor(images), to: directory.file("standard.h5"))
        XCTAssertEqual(try HDF5File(reading: directory.file("standard.h5")).readTensor(WriteOptions.standardDataset), images)

        // safetensors: a tensor is named "data"; tensors by name keep their names and order.
        try SafetensorsFormat().write(.tensor(images), to: directory.file("one.safetensors"))
        XCTAssertEqual(try named(SafetensorsFormat().read(directory.file("one.safetensors"))).map(\.name), ["data"])
        let pairs: [(name: String, tensor: Tensor)] = [("zeta", images), ("alpha", Tensor([-0.0, 2])), ("mid", try ramp([3]))]
        try SafetensorsFormat().write(.tensors(pairs), to: directory.file("many.safetensors"))
        let back = try named(SafetensorsFormat().read(directory.file("many.safetensors")))
        XCTAssertEqual(back.map(\.name), ["zeta", "alpha", "mid"])
        for (read, written) in zip(back, pairs) { assertBitIdentical(read.tensor, written.tensor, read.name) }

        // A checkpoint, through HDF5 and safetensors: parameters, configuration and metadata.
        let checkpoint = try Checkpoint(
            parameters: [("down.0.weight", try ramp([2, 3])), ("down.0.bias", Tensor([0.5, -0.0]))],
            configuration: ["model": "autoencoder", "widths": "[8, 16]"], metadata: ["step": .integer(12), "loss": .double(0.25)])
        try HDF5Format().write(.checkpoint(checkpoint), to: directory.file("c.h5"))
        try SafetensorsFormat().write(.checkpoint(checkpoint), to: directory.file("c.safetensors"))
        guard case .checkpoint(let fromHDF5) = try HDF5Format().read(directory.file("c.h5")) else {
            return XCTFail("an HDF5 file read whole is a checkpoint")
        }
        for (read, name) in [(fromHDF5, "c.h5"), (try Checkpoint(reading: directory.file("c.safetensors")), "c.safetensors")] {
            XCTAssertEqual(read.parameters.map(\.path), ["down.0.weight", "down.0.bias"], name)
            for (a, b) in zip(read.parameters, checkpoint.parameters) { assertBitIdentical(a.tensor, b.tensor, name) }
            XCTAssertEqual(read.configuration, checkpoint.configuration, name)
            XCTAssertEqual(read.metadata, checkpoint.metadata, name)
        }
        // A safetensors file whose metadata names no model is its tensors by name.
        guard case .checkpoint(let fromSafetensors) = try SafetensorsFormat().read(directory.file("c.safetensors")) else {
            return XCTFail("a safetensors checkpoint that names its model reads back as a checkpoint")
        }
        XCTAssertEqual(fromSafetensors.configuration, checkpoint.configuration)
        try SafetensorsFormat().write(.tensors(checkpoint.parameters.map { ($0.path, $0.tensor) }), to: directory.file("plain.safetensors"))
        XCTAssertEqual(try named(SafetensorsFormat().read(directory.file("plain.safetensors"))).map(\.name), ["down.0.weight", "down.0.bias"],
                       "tensors without a model kind read back as tensors by name")
        XCTAssertEqual(try directory.contents().filter { $0.hasSuffix(".tmp") }, [], "no temporary left behind")
    }

    /// A slab that does not fit its dataset names the option at fault and what was found.
    func testHDF5SlabsOutsideTheDatasetNameTheOption() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("x.h5")
        try HDF5File.write(to: path) { file in
            try file.write(try ramp([4, 2]), to: "/images")
            try file.write(Tensor(3), to: "/scalar")
        }
        func optionError(_ options: ReadOptions) -> FormatOptionError? {
            do {
                _ = try HDF5Format().read(path, options: options)
            } catch let error as FormatOptionError {
                return error
            } catch {
                XCTFail("expected a FormatOptionError, got \(error)")
            }
            return nil
        }
        XCTAssertEqual(optionError(.dataset("/images", first: 3, count: 2)), FormatOptionError(
            file: path, option: "count", "the slab 3..<5 lies outside the first axis of 4", found: "a dataset of shape [4, 2]"))
        XCTAssertEqual(optionError(.dataset("/images", first: 4)), FormatOptionError(
            file: path, option: "first", "the slab 4..<4 lies outside the first axis of 4", found: "a dataset of shape [4, 2]"))
        XCTAssertEqual(optionError(.dataset("/images", first: 1, count: .max))?.message,
                       "the slab 1..<1 + \(Int.max) lies outside the first axis of 4", "no overflow")
        XCTAssertEqual(optionError(.dataset("/scalar", count: 1)), FormatOptionError(
            file: path, option: "first", "the dataset is a scalar; it has no first axis"))
        XCTAssertEqual(try tensors(HDF5Format().read(path, options: .dataset("/scalar"))), [Tensor(3)], "read whole, a scalar is fine")
        XCTAssertEqual("\(optionError(.dataset("/images", first: 3, count: 2))!)",
                       "\(path): count: the slab 3..<5 lies outside the first axis of 4 (found a dataset of shape [4, 2])")
        assertFormatError(mentions: ["x.h5", "has no /parameters group"]) { try HDF5Format().read(path) }
    }

    func testAValueAFormatCannotHoldIsAnError() throws {
        let directory = try TemporaryDirectory()
        assertFormatError(mentions: ["x.dcm", "cannot write a tensor as DICOM, which holds nothing medsynth writes"]) {
            try DICOMFormat().write(.tensor(Tensor([1])), to: directory.file("x.dcm"))
        }
        assertFormatError(mentions: ["x.svg", "cannot write a tensor as SVG, which holds a vector drawing"]) {
            try SVGFormat().write(.tensor(Tensor([1])), to: directory.file("x.svg"))
        }
        assertFormatError(mentions: ["x.png", "cannot write tensors by name as PNG, which holds a tensor"]) {
            try PNGFormat().write(.tensors([("a", Tensor([1]))]), to: directory.file("x.png"))
        }
        assertFormatError(mentions: ["x.h5", "cannot write a vector drawing as HDF5, which holds a tensor or a model checkpoint"]) {
            try HDF5Format().write(.text("<svg/>"), to: directory.file("x.h5"))
        }
        assertFormatError(mentions: ["batch.png", "a PNG holds one image", "not a tensor of shape [2, 1, 3, 3]"]) {
            try PNGFormat().write(.tensor(try Tensor.zeros([2, 1, 3, 3])), to: directory.file("batch.png"))
        }
        XCTAssertEqual(try directory.contents(), [], "nothing written")
    }

    func testWhatIsSupportedComesFromTheFormats() {
        XCTAssertEqual(FormatRegistry.supported, """
            PNG (.png): reads a tensor; writes a tensor
            NIfTI-1 (.nii or .nii.gz): reads a tensor; writes a tensor
            DICOM (.dcm or .dicom): reads a tensor
            HDF5 (.h5 or .hdf5): reads a tensor or a model checkpoint; writes a tensor or a model checkpoint
            safetensors (.safetensors): reads tensors by name or a model checkpoint; writes a tensor, tensors by name or a model checkpoint
            SVG (.svg): writes a vector drawing
            """)
        XCTAssertEqual(FormatRegistry.extensions(of: FormatRegistry.formats(writing: .tensor)), ".png, .nii, .nii.gz, .h5, .hdf5 or .safetensors")
        XCTAssertEqual(FormatRegistry.extensions(of: FormatRegistry.formats(writing: .checkpoint), conjunction: "and"), ".h5, .hdf5 and .safetensors")
        XCTAssertEqual(FormatRegistry.extensions(of: FormatRegistry.formats(reading: .tensors)), ".safetensors")
        XCTAssertEqual(FormatRegistry.formats(writing: .text).map(\.name), ["SVG"])
        XCTAssertEqual(NIfTIFormat().extensionList, ".nii or .nii.gz")
        XCTAssertEqual(FormatRegistry.list([], conjunction: "or"), "")
        for format in FormatRegistry.all {
            XCTAssertEqual(format.reading.isEmpty, format.capabilities.reads.isEmpty, "\(format.name) describes what it reads")
            XCTAssertEqual(format.writing.isEmpty, format.capabilities.writes.isEmpty, "\(format.name) describes what it writes")
        }
    }

    // MARK: - Helpers

    /// The tensor of a value read, in a list (empty for another kind), so that values compare.
    private func tensors(_ value: FormatValue) throws -> [Tensor] {
        switch value {
        case .tensor(let tensor): [tensor]
        case .tensors(let named): named.map(\.tensor)
        case .checkpoint, .text: []
        }
    }

    /// The tensors by name of a value read.
    private func named(_ value: FormatValue) throws -> [(name: String, tensor: Tensor)] {
        guard case .tensors(let named) = value else {
            XCTFail("expected tensors by name, got \(value.kind)")
            return []
        }
        return named
    }

    /// 0, 1, 2, ... in `shape`.
    private func ramp(_ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map(Float.init))
    }
}
