import Diffusion
import Engine
import Formats
import Imaging
import XCTest
@testable import Language

/// Each verb, evaluated, against the engine computing the same thing directly.
final class VerbTests: XCTestCase {
    var directory = ""
    var interpreter: Interpreter!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-verbs-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        interpreter = Interpreter(context: RuntimeContext(outputDirectory: directory, seed: 1) { _ in })
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    func run(_ text: String) throws -> Value {
        try interpreter.lastValue(text) ?? .nothing
    }

    func tensor(_ name: String) throws -> Tensor {
        guard case .tensor(let tensor) = interpreter.globals[name] else {
            XCTFail("\(name) is \(interpreter.globals[name]?.summary ?? "unbound")")
            return Tensor(0)
        }
        return tensor
    }

    func number(_ text: String) throws -> Double {
        guard case .number(let number) = try run(text) else { XCTFail("\(text) gave no number"); return .nan }
        return number
    }

    func testPhantomIsTheImagingPhantom() throws {
        try run("p = phantom n=3 size=48 seed=7 first=2 noise=0.01\nimage = p.image\nlabel = p.label")
        let (images, labels) = try Phantom(seed: 7, size: 48, noiseSigma: 0.01).batch(count: 3, first: 2)
        XCTAssertEqual(try tensor("image"), images)
        XCTAssertEqual(try tensor("label"), labels)
    }

    func testEdgesOnehotResizeNormalize() throws {
        try run("""
            p = phantom n=2 size=64 seed=3
            e = edges p.image sigma=1.5 low=0.05 high=0.15
            m = onehot p.label classes=4
            small = resize p.image size=16 method=area
            z = normalize p.image method=zscore
            """)
        let (images, labels) = try Phantom(seed: 3, size: 64).batch(count: 2)
        XCTAssertEqual(try tensor("e"), try canny(images, sigma: 1.5, thresholds: .absolute(low: 0.05, high: 0.15)))
        XCTAssertEqual(try tensor("m"), try oneHot(labels, classes: 4))
        XCTAssertEqual(try tensor("small"), try resize(images, height: 16, width: 16, method: .area))
        let z = try tensor("z")
        XCTAssertEqual(try z.slice([.at(0)]).mean().item(), 0, accuracy: 1e-5)
        XCTAssertEqual(Double(try z.slice([.at(1)]).variance().item()), 1, accuracy: 1e-4)
    }

    func testMetricsAgreeWithImaging() throws {
        try run("a = (phantom n=2 seed=1).image\nb = (phantom n=2 seed=2).image")
        let a = try tensor("a"), b = try tensor("b")
        XCTAssertEqual(try number("metric ssim a b"), try Metrics.structuralSimilarity(a, b, dataRange: 1))
        // Summed image by image, then pooled: the batch function's number to round-off.
        XCTAssertEqual(try number("metric psnr a b range=2"), try Metrics.peakSignalToNoiseRatio(a, b, dataRange: 2), accuracy: 1e-9)
        // NMSE by hand: ||a - b||² / ||b||².
        let difference = zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let reference = b.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(try number("metric nmse a b"), difference / reference, accuracy: 1e-9)
        // Dice of a label map with itself is 1; against all background it is 0 for every class.
        XCTAssertEqual(try number("l = (phantom n=2 seed=1).label\nmetric dice l l"), 1)
        XCTAssertEqual(try number("metric dice (l * 0) l"), 0)
    }

    /// The spectrum of a constant image c on n x n is |F(0,0)|² / n² = (c n²)² / n² = c² n² in
    /// bin 0 and 0 elsewhere; a cosine of k cycles along x puts all its power in bin k.
    func testSpectrumByHand() throws {
        let constant = try tensor(for: "s = spectrum (ones [1, 1, 8, 8] * 0.5)", name: "s")
        XCTAssertEqual(constant.shape, [5])
        XCTAssertEqual(Double(constant.scalars[0]), 0.25 * 64, accuracy: 1e-4)
        XCTAssertTrue(constant.scalars.dropFirst().allSatisfy { abs($0) < 1e-12 }, "\(constant.scalars)")
        // A cosine along x at frequency 2 cycles per 8 pixels: its power lies in bin 2 only.
        let wave = (0..<64).map { Float(cos(2 * Double.pi * 2 * Double($0 % 8) / 8)) }
        interpreter.define("w", .tensor(try Tensor(wave).reshaped([1, 1, 8, 8])))
        let spectrum = try tensor(for: "t = spectrum w", name: "t")
        XCTAssertEqual(try Metrics.radiallyAveragedPowerSpectrum(try tensor("w")).map { Float($0) }, spectrum.scalars)
        XCTAssertEqual(spectrum.scalars.enumerated().filter { abs($0.element) > 1e-3 }.map(\.offset), [2])
        XCTAssertThrowsError(try run("spectrum (ones [1, 1, 4, 6])"))
    }

    func tensor(for text: String, name: String) throws -> Tensor {
        try run(text)
        return try tensor(name)
    }

    /// `end` is a keyword (it closes blocks), yet `end=` names schedule's option, also inside a
    /// loop's body and in the REPL's test for an unfinished entry.
    func testScheduleEndOptionIsWritableThoughEndIsAKeyword() throws {
        try run("s = schedule kind=linear steps=100 start=0.0002 end=0.03")
        guard case .schedule(let schedule) = interpreter.globals["s"] else { return XCTFail("s is not a schedule") }
        XCTAssertEqual(schedule.betas, try NoiseSchedule(.linear(betaStart: 2e-4, betaEnd: 0.03), trainingSteps: 100).betas)
        try run("for e in [0.01, 0.04] do\n  last = schedule steps=10 end=e\nend")
        guard case .schedule(let last) = interpreter.globals["last"] else { return XCTFail("last is not a schedule") }
        XCTAssertEqual(last.betas.last ?? 0, 0.04, accuracy: 1e-12)
        XCTAssertFalse(Parser.needsMoreInput("s = schedule end=0.03"))
        XCTAssertTrue(Parser.needsMoreInput("for e in [0.01] do\n  s = schedule end=e"))
        XCTAssertFalse(Parser.needsMoreInput("for e in [0.01] do\n  s = schedule end=e\nend"))
        XCTAssertFalse(Parser.needsMoreInput("f do=1"), "an option named like a keyword opens no block")
        // `end` on its own is still the keyword.
        XCTAssertThrowsError(try run("end = 3"))
    }

    func testScheduleNoiseAndItsTable() throws {
        try run("s = schedule kind=linear steps=1000\nx = (phantom n=2 seed=1).image\nxt = noise x s t=[10, 900] seed=4")
        let schedule = try NoiseSchedule(.linear(betaStart: 1e-4, betaEnd: 0.02), trainingSteps: 1000)
        let x = try tensor("x")
        let expected = try schedule.addNoise(to: x, noise: Tensor.randn(x.shape, seed: 4), timesteps: [10, 900])
        XCTAssertEqual(try tensor("xt"), expected)
        guard case .table(let table) = try run("table s rows=3") else { return XCTFail() }
        XCTAssertEqual(table.columns, ["t", "beta", "alpha_bar", "snr"])
        XCTAssertEqual(table.rows.count, 3)
        guard case .number(let firstBeta) = table.rows[0][1] else { return XCTFail() }
        XCTAssertEqual(firstBeta, 1e-4, accuracy: 1e-12)
    }

    func testShowWritesAPNGAndPlotAnSVG() throws {
        guard case .figure(let figure) = try run("show (phantom n=2 seed=1).image (phantom n=2 seed=1).label title=\"Two subjects\"") else {
            return XCTFail()
        }
        XCTAssertEqual(figure.path, "\(directory)/two-subjects.png")
        let image = try PNGImage(reading: figure.path!).pixels
        XCTAssertEqual(image.shape[0], 3)
        guard case .figure(let plot) = try run("plot [[1, 2, 3], [3, 2, 1]] names=[\"up\", \"down\"] title=\"lines\"") else { return XCTFail() }
        let svg = try String(contentsOfFile: plot.path!, encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), String(svg.prefix(80)))
        XCTAssertTrue(svg.contains("up") && svg.contains("down"))
    }

    func testLoadAndSaveRoundTrip() throws {
        try run("""
            x = (phantom n=1 size=32 seed=1).image
            save x "\(directory)/x.nii.gz"
            y = load "\(directory)/x.nii.gz"
            save x "\(directory)/x.h5" dataset="/images"
            h = load "\(directory)/x.h5" dataset="/images"
            slab = load "\(directory)/x.h5" dataset="/images" first=0 count=1
            save x[0] "\(directory)/x.png"
            png = load "\(directory)/x.png"
            """)
        let x = try tensor("x")
        XCTAssertEqual(try tensor("y"), x)
        XCTAssertEqual(try tensor("h"), x)
        XCTAssertEqual(try tensor("slab"), x)
        let png = try tensor("png")
        XCTAssertEqual(png.shape, [1, 32, 32])
        // 8-bit quantisation: within half a level.
        for (a, b) in zip(png.scalars, x.scalars) { XCTAssertEqual(a, b, accuracy: 0.5 / 255 + 1e-6) }
    }

    /// `load` gives what the Formats readers give (which their own tests check against
    /// nibabel, pydicom and PNG fixtures), with PNG samples scaled to 0...1.
    func testLoadsTheRealScansAsFormatsReadsThem() throws {
        let scans = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scans")
        func path(_ name: String) throws -> String {
            scans.appendingPathComponent(name).path
        }
        let nifti = try path("S0_10slices.nii.gz"), dicom = try path("MR_small.dcm"), png = try path("FatMRISlice.png")
        try run("v = load \"\(nifti)\"\nd = load \"\(dicom)\"\ng = load \"\(png)\"")
        XCTAssertEqual(try tensor("v"), try NIfTIImage(reading: nifti).voxels)
        XCTAssertEqual(try tensor("d"), try DICOMImage(reading: dicom).pixels)
        let raw = try PNGImage(reading: png).pixels
        let g = try tensor("g")
        XCTAssertEqual(g.shape, raw.shape)
        XCTAssertLessThanOrEqual(g.scalars.max() ?? 2, 1)
        let maximum: Float = raw.scalars.max()! > 255 ? 65535 : 255
        XCTAssertEqual(g.scalars, raw.scalars.map { $0 / maximum })
    }

    func testAutoencoderTrainEncodeDecodeAndCheckpoint() throws {
        try run("""
            images = (phantom n=4 size=32 seed=1).image * 2 - 1
            ae = autoencoder kind=kl latent=4 widths=[8, 16] groups=4 seed=2
            trained = train ae data=images steps=3 batch=2 lr=1e-3 seed=5 log=1000
            z = encode trained images
            back = decode trained z
            save trained "\(directory)/ae.h5"
            again = load "\(directory)/ae.h5"
            z2 = encode again images
            """)
        XCTAssertEqual(try tensor("z").shape, [4, 4, 8, 8])
        XCTAssertEqual(try tensor("back").shape, [4, 1, 32, 32])
        XCTAssertEqual(try tensor("z2"), try tensor("z"), "a saved model loads with the same weights and scale factor")
        guard case .model(let given) = interpreter.globals["ae"], case .model(let trained) = interpreter.globals["trained"],
              let before = given.as(Autoencoder.self), let after = trained.as(Autoencoder.self) else { return XCTFail() }
        XCTAssertNotEqual(before.parameters[0].value, after.parameters[0].value, "training changed the copy")
        XCTAssertEqual(before.latentScaleFactor, 1, "the model given is left as it was")
        XCTAssertNotEqual(after.latentScaleFactor, 1)
        // Training is reproducible from its seed.
        try run("trained2 = train ae data=images steps=3 batch=2 lr=1e-3 seed=5 log=1000")
        guard case .model(let twice) = interpreter.globals["trained2"], let repeated = twice.as(Autoencoder.self) else { return XCTFail() }
        XCTAssertEqual(repeated.parameters.map(\.value), after.parameters.map(\.value))
    }

    /// A segmenter learns the phantom's labels: its loss falls, `segment` is the argmax of its
    /// logits, and it survives a checkpoint.
    func testSegmenterTrainSegmentAndCheckpoint() throws {
        try run("""
            p = phantom n=8 size=32 seed=1 noise=0.01
            x = p.image * 2 - 1
            s = segmenter classes=4 widths=[8, 16] groups=4 heads=2 seed=3
            t = train s data=x labels=p.label steps=40 batch=4 lr=0.003 seed=1 log=1000
            found = segment t x
            save t "\(directory)/seg.h5"
            again = segment (load "\(directory)/seg.h5") x
            """)
        guard case .model(let before) = interpreter.globals["s"], let fresh = before.as(Segmenter.self),
              case .model(let after) = interpreter.globals["t"], let trained = after.as(Segmenter.self) else { return XCTFail() }
        let x = try tensor("x"), labels = try tensor("label", in: "p")
        let classes = try labels.reshaped([8, 32, 32])
        let lossBefore = try Loss.crossEntropy(try fresh.logits(Variable(x)), classes: classes).value.item()
        let lossAfter = try Loss.crossEntropy(try trained.logits(Variable(x)), classes: classes).value.item()
        XCTAssertLessThan(lossAfter, lossBefore * 0.6, "training lowers the cross-entropy")
        let found = try tensor("found")
        XCTAssertEqual(found.shape, [8, 1, 32, 32])
        XCTAssertEqual(found, try trained.logits(Variable(x)).value.argmax(axis: 1, keepDims: true))
        XCTAssertEqual(try tensor("again"), found, "a saved segmenter loads with the same weights")
        XCTAssertThrowsError(try run("train s data=x steps=1"))
        XCTAssertThrowsError(try run("train s data=x labels=(p.label * 2) steps=1"))
        XCTAssertThrowsError(try run("segment s (zeros [1, 2, 32, 32])"))
    }

    /// The task verbs are Diffusion's tasks; mean fill is checked by hand.
    func testTaskVerbsAgainstTheTasks() throws {
        try run("""
            x = (phantom n=3 size=32 seed=1).image * 2 - 1
            g = corrupt x kind=gaussian amount=0.3 seed=4
            s = corrupt x kind=salt amount=0.2 seed=4
            m = holes n=3 size=32 coverage=0.3 first=5 seed=9
            b = blur x sigma=1.5
            f = meanfill (x * (1 - m)) m
            """)
        let x = try tensor("x")
        XCTAssertEqual(try tensor("g"), try DenoisingTask(noise: .gaussian(sigma: 0.3), random: RandomKey(seed: 4)).degrade(x))
        XCTAssertEqual(try tensor("s"), try DenoisingTask(noise: .saltAndPepper(amount: 0.2), random: RandomKey(seed: 4)).degrade(x))
        let masks = try tensor("m")
        XCTAssertEqual(masks, try InpaintingTask(coverage: 0.3, random: RandomKey(seed: 9)).masks(count: 3, size: 32, firstSample: 5))
        XCTAssertEqual(Double(masks.scalars.reduce(0, +)) / Double(masks.count), 0.3, accuracy: 0.03)
        XCTAssertEqual(try tensor("b"), try DenoisingTask.baseline(x, sigma: 1.5))
        // Mean fill by hand: each image's hidden pixels take the mean of its visible ones.
        let filled = try tensor("f")
        for k in 0..<3 {
            let pixels = k * 1024 ..< (k + 1) * 1024
            let visible = pixels.filter { masks.scalars[$0] == 0 }
            let mean = visible.reduce(0.0) { $0 + Double(x.scalars[$1]) } / Double(visible.count)
            for i in pixels {
                XCTAssertEqual(Double(filled.scalars[i]), masks.scalars[i] == 0 ? Double(x.scalars[i]) : mean, accuracy: 1e-5)
            }
        }
        XCTAssertThrowsError(try run("corrupt x kind=salt amount=2"))
        XCTAssertThrowsError(try run("holes coverage=1.5"))
        XCTAssertThrowsError(try run("meanfill x (zeros [1, 1, 32, 32])"))
    }

    func tensor(_ field: String, in record: String) throws -> Tensor {
        guard case .record(let fields) = interpreter.globals[record], case .tensor(let tensor) = fields[field] ?? .nothing else {
            XCTFail("\(record).\(field) is not a tensor")
            return Tensor(0)
        }
        return tensor
    }

    func testUNetTrainDiffuseDenoise() throws {
        try run("""
            p = phantom n=4 size=32 seed=1
            m = onehot p.label classes=4
            e = edges p.image
            z = randn [4, 4, 8, 8] seed=1
            net = unet latent=4 cond={mask: 4, edges: 1} widths=[8, 16] heads=2 groups=4 seed=3
            net = train net data=z cond=[m, e] steps=2 batch=2 log=1000 seed=4
            x = diffuse net cond=[m, e] steps=3 seed=9
            again = diffuse net cond=[m, e] steps=3 seed=9
            path = diffuse net cond=[m, e] steps=3 seed=9 keep=[0, 2]
            guided = diffuse net cond=[m, e] steps=3 seed=9 guidance=2 unconditional=["edges"]
            step = denoise net x t=500 cond=[m, e] seed=1
            save net "\(directory)/net.h5"
            loaded = load "\(directory)/net.h5"
            y = diffuse loaded cond=[m, e] steps=3 seed=9
            """)
        XCTAssertEqual(try tensor("x").shape, [4, 4, 8, 8])
        XCTAssertEqual(try tensor("x"), try tensor("again"))
        XCTAssertEqual(try tensor("y"), try tensor("x"), "the checkpoint keeps weights, schedule and layout")
        guard case .record(let path) = interpreter.globals["path"], case .tensor(let frames) = path["x"],
              case .list(let timesteps) = path["t"] else { return XCTFail() }
        XCTAssertEqual(frames.shape, [2, 4, 4, 8, 8])
        XCTAssertEqual(timesteps.count, 2)
        guard case .record(let step) = interpreter.globals["step"], case .tensor(let previous) = step["sample"] else { return XCTFail() }
        XCTAssertEqual(previous.shape, [4, 4, 8, 8])
    }

    /// `resize size=` keeps the aspect ratio (the longer side becomes size) and says so;
    /// keep_aspect=false stretches; height= or width= alone scale the other side.
    func testResizeKeepsTheAspectRatioUnlessToldOtherwise() throws {
        var printed: [String] = []
        interpreter = Interpreter(context: RuntimeContext(outputDirectory: directory) { printed.append($0) })
        try run("""
            wide = randn [96, 128] seed=1
            kept = resize wide size=64
            stretched = resize wide size=64 keep_aspect=false
            by_height = resize wide height=48
            by_width = resize (randn [2, 1, 96, 128] seed=1) width=32
            planes = resize (randn [3, 96, 128] seed=1) size=32
            square = resize (randn [8, 8] seed=1) size=4
            """)
        XCTAssertEqual(try tensor("kept").shape, [48, 64])
        XCTAssertEqual(try tensor("stretched").shape, [64, 64])
        XCTAssertEqual(try tensor("by_height").shape, [48, 64])
        XCTAssertEqual(try tensor("by_width").shape, [2, 1, 24, 32])
        XCTAssertEqual(try tensor("planes").shape, [3, 24, 32])
        XCTAssertEqual(try tensor("square").shape, [4, 4])
        XCTAssertEqual(printed, [
            "resize: kept the aspect ratio, 96 x 128 became 48 x 64 (keep_aspect=false for 64 x 64)",
            "resize: kept the aspect ratio, 96 x 128 became 24 x 32 (keep_aspect=false for 32 x 32)",
        ])
        XCTAssertThrowsError(try run("resize wide size=64 height=10")) {
            XCTAssertTrue("\($0)".contains("give size= alone, or height= and width= without it"), "\($0)")
        }
        XCTAssertThrowsError(try run("resize wide")) { XCTAssertTrue("\($0)".contains("'resize' needs a size"), "\($0)") }
        XCTAssertThrowsError(try run("resize wide height=10 keep_aspect=false")) {
            XCTAssertTrue("\($0)".contains("keep_aspect= goes with size="), "\($0)")
        }
        // No pixels, or a rank no image has: an error, never a crash or a note.
        for statement in ["resize (zeros [2, 8])[0:0] width=8192", "resize (zeros [8, 2])[:, 0:0] height=8192",
                          "resize (zeros [2, 2, 2, 4, 4]) size=2"] {
            XCTAssertThrowsError(try run(statement), statement) {
                XCTAssertTrue("\($0)".contains("'resize' takes images of at least one pixel"), "\(statement): \($0)")
            }
        }
        XCTAssertEqual(printed.count, 2, "\(printed)")
    }

    /// Images as a DICOM or a PNG load them, [1, H, W], go through every imaging verb, and a
    /// shape no verb takes gets a message in the language's words, not a Swift function's name.
    func testImagingVerbsTakeASingleImageWithAChannelAxis() throws {
        try run("""
            scan = (phantom n=1 size=32 seed=1).image[0]
            label = (phantom n=1 size=32 seed=1).label[0]
            n = normalize scan
            e = edges scan
            m = onehot label classes=4
            r = resize scan size=16
            s = metric ssim scan scan
            b = blur scan sigma=1
            """)
        XCTAssertEqual(try tensor("n").shape, [1, 32, 32])
        XCTAssertEqual(try tensor("e").shape, [1, 32, 32])
        XCTAssertEqual(try tensor("m").shape, [1, 4, 32, 32])
        XCTAssertEqual(try tensor("r").shape, [1, 16, 16])
        XCTAssertEqual(try tensor("b").shape, [1, 32, 32])
        XCTAssertEqual(try number("s"), 1, accuracy: 1e-12)
        let swiftNames = ["normaliseMinMax", "normaliseZScore", "cropOrPad", "oneHot", "cannyStages", "connectedComponents", "structuralSimilarity"]
        for statement in ["normalize (zeros [2, 2, 2, 2, 2])", "edges (zeros [2, 8, 8])", "onehot (zeros [2, 8, 8]) classes=2",
                          "normalize (zeros [2, 2, 2, 2, 2]) method=zscore", "metric ssim (zeros [3, 16, 16]) (zeros [3, 16, 16])"] {
            XCTAssertThrowsError(try run(statement), statement) { error in
                let message = "\(error)"
                XCTAssertFalse(swiftNames.contains { message.contains($0) }, "\(statement): \(message)")
            }
        }
    }

    /// Sampling and batched encoding show how far they have come: at each quarter where lines
    /// cannot be redrawn, in place (at most five times a second, and at the end) where they can.
    /// SSIM over more than 64 images shows its progress and gives the same number, to the
    /// bit, as Imaging computes at once.
    func testMetricsOverLargeSetsShowProgressAndKeepTheirValue() throws {
        var printed: [String] = []
        interpreter = Interpreter(context: RuntimeContext(outputDirectory: directory) { printed.append($0) })
        try run("a = (phantom n=130 size=32 seed=1).image\nb = (phantom n=130 size=32 seed=2).image\ns = metric ssim a b")
        guard case .number(let s) = interpreter.globals["s"], case .tensor(let a) = interpreter.globals["a"],
              case .tensor(let b) = interpreter.globals["b"] else { return XCTFail() }
        XCTAssertEqual(s.bitPattern, try Metrics.structuralSimilarity(a, b, dataRange: 1).bitPattern)
        XCTAssertEqual(printed.map { String($0.prefix(46)) }.last, "measuring SSIM [####################] 3/3 100%")
    }

    func testDiffuseAndBatchesShowProgress() throws {
        var printed: [String] = []
        interpreter = Interpreter(context: RuntimeContext(outputDirectory: directory) { printed.append($0) })
        try run("""
            p = phantom n=2 size=32 seed=1
            m = onehot p.label classes=4
            net = unet latent=4 cond={mask: 4} widths=[8, 16] heads=2 groups=4 seed=3
            x = diffuse net cond=[m] steps=8 seed=9
            """)
        XCTAssertEqual(printed.map { $0.prefix(40) }, [
            "sampling [#####...............] 2/8  25%",
            "sampling [##########..........] 4/8  50%",
            "sampling [###############.....] 6/8  75%",
            "sampling [####################] 8/8 100%",
        ])
        XCTAssertTrue(printed.allSatisfy { $0.contains(" step/s  ETA ") }, "\(printed)")

        printed = []
        var drawn = ""
        interpreter.context.writeInPlace = { drawn += $0 }
        try run("""
            ae = autoencoder kind=kl latent=4 widths=[8, 16] groups=4 seed=2
            z = encode ae (zeros [130, 1, 32, 32])
            """)
        XCTAssertEqual(printed, [])
        // Three batches of at most 64: the first line at once, the last at the end, then a line break.
        XCTAssertTrue(drawn.hasPrefix("\rencoding [######..............] 1/3  33%"), drawn)
        XCTAssertTrue(drawn.contains("\rencoding [####################] 3/3 100%"), drawn)
        XCTAssertTrue(drawn.contains(" batch/s  ETA "), drawn)
        XCTAssertTrue(drawn.hasSuffix("\n"), drawn)
    }

    func testValueVerbsAgainstHandComputedValues() throws {
        func scalars(_ text: String) throws -> [Float] {
            switch try run(text) {
            case .tensor(let tensor): return tensor.scalars
            case .number(let number): return [Float(number)]
            default: XCTFail("\(text) gave no tensor"); return []
            }
        }
        XCTAssertEqual(try scalars("abs [-2, 3]"), [2, 3])
        XCTAssertEqual(try scalars("sqrt [4, 9]"), [2, 3])
        XCTAssertEqual(try scalars("exp 0"), [1])
        XCTAssertEqual(try scalars("log [1]"), [0])
        XCTAssertEqual(try scalars("clamp [-1, 0.5, 2] low=0 high=1"), [0, 0.5, 1])
        XCTAssertEqual(try scalars("ones [2, 2]"), [1, 1, 1, 1])
        XCTAssertEqual(try scalars("concat [1, 2] [3]"), [1, 2, 3])
        XCTAssertEqual(try scalars("stack [1, 2] [3, 4] axis=1"), [1, 3, 2, 4])
        // Population standard deviation of 2, 4, 4, 4, 5, 5, 7, 9 is 2.
        XCTAssertEqual(try scalars("std [2, 4, 4, 4, 5, 5, 7, 9]"), [2])
        XCTAssertEqual(try scalars("sum (ones [2, 3]) axes=[1]"), [3, 3])
        XCTAssertEqual(try scalars("max [1, 5, 2]"), [5])
        var printed: [String] = []
        interpreter = Interpreter(context: RuntimeContext(outputDirectory: directory) { printed.append($0) })
        try run("print \"loss\" 0.25 [1, 2]")
        XCTAssertEqual(printed, ["loss 0.25 [1, 2]"])
    }

    /// `diffuse` offers every sampler of the registry, with each one's own options; an option of
    /// another sampler is refused with a message that says whose it is.
    func testDiffuseTakesEverySamplerOfTheRegistry() throws {
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(directory)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try run(VerbExamples.setup)
        for sampler in ["ddim eta=0.5", "ddpm", "dpm2m", "dpm2m karras=true spacing=trailing"] {
            try run("z = diffuse net cond=[m, e] steps=4 seed=3 sampler=\(sampler)")
            XCTAssertEqual(try tensor("z").shape, [2, 4, 8, 8], sampler)
            XCTAssertTrue(try tensor("z").scalars.allSatisfy(\.isFinite), sampler)
        }
        // One step from t = 999 (trailing): both return the model's x_0, from the same noise.
        let one = try run("diffuse net cond=[m, e] steps=1 seed=3 sampler=dpm2m spacing=trailing")
        let ddim = try run("diffuse net cond=[m, e] steps=1 seed=3 sampler=ddim spacing=trailing")
        guard case .tensor(let a) = one, case .tensor(let b) = ddim else { return XCTFail("tensors") }
        for (p, q) in zip(a.scalars, b.scalars) { XCTAssertEqual(p, q, accuracy: 1e-4) }
        XCTAssertThrowsError(try run("diffuse net cond=[m, e] steps=4 sampler=dpm2m eta=0.5")) { error in
            XCTAssertTrue("\(error)".contains("dpm2m: eta is an option of ddim, not of dpm2m"), "\(error)")
        }
        // The flow-matching sampler does not run a diffusion model.
        XCTAssertThrowsError(try run("diffuse net cond=[m, e] steps=4 sampler=euler")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("euler: it samples flow models, but this is a diffusion model")
                          && message.contains("use ddim, ddpm, dpm2m"), message)
        }
    }

    /// A flow-matching UNet: made with process=flow, trained on the velocity, sampled by euler
    /// (the default for it), saved and loaded as such; the diffusion-only verbs and options refuse it.
    func testFlowMatchingModelsTrainSampleAndRoundTrip() throws {
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(directory)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try run(VerbExamples.setup)
        try run("""
            flow = unet latent=4 cond={mask: 4, edges: 1} widths=[8, 16] heads=2 groups=4 process=flow seed=2
            flow = train flow data=xt cond=[m, e] steps=2 batch=2 log=1000 seed=4
            a = diffuse flow cond=[m, e] steps=4 seed=3
            b = diffuse flow cond=[m, e] steps=4 seed=3 sampler=euler shift=1
            c = diffuse flow cond=[m, e] steps=4 seed=3 shift=3
            save flow "flow.h5"
            back = load "flow.h5"
            d = diffuse back cond=[m, e] steps=4 seed=3
            """)
        XCTAssertEqual(try tensor("a").shape, [2, 4, 8, 8])
        XCTAssertTrue(try tensor("a").scalars.allSatisfy(\.isFinite))
        XCTAssertEqual(try tensor("a"), try tensor("b"), "euler with shift 1 is the default for a flow model")
        XCTAssertNotEqual(try tensor("a"), try tensor("c"))
        XCTAssertEqual(try tensor("d"), try tensor("a"), "the checkpoint keeps the process")
        let refusals: [(String, String)] = [
            ("diffuse flow cond=[m, e] steps=4 sampler=ddim", "ddim: it samples diffusion models, but this is a flow model (use euler)"),
            ("diffuse flow cond=[m, e] steps=4 spacing=trailing", "euler takes no spacing"),
            ("denoise flow xt t=500 cond=[m, e]", "denoise takes one DDPM step of a diffusion model"),
            ("unet latent=4 cond={mask: 4, edges: 1} process=flow prediction=velocity", "a flow-matching model has no prediction"),
        ]
        for (source, expected) in refusals {
            XCTAssertThrowsError(try run(source), source) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(source): \(error)")
            }
        }
    }

    func testEveryVerbsExampleRuns() throws {
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(directory)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try VerbExamples.writeFiles(in: directory)
        try run(VerbExamples.setup)
        for verb in VerbRegistry.standard.verbs {
            XCTAssertNoThrow(try run(verb.example), "the example of '\(verb.name)': \(verb.example)")
        }
    }

    func testEveryVerbsExampleIsChecked() throws {
        // Each example parses and passes the analyser with the names it uses bound.
        let context: [String: ValueType] = [
            "net": .model, "xt": .tensor, "m": .tensor, "e": .tensor, "x": .tensor,
        ]
        for verb in VerbRegistry.standard.verbs {
            var analyser = Analyser(registry: .standard, globals: context)
            let source = SourceFile(name: "example of \(verb.name)", text: verb.example)
            XCTAssertNoThrow(try analyser.check(try Parser.parse(source), in: source), verb.name)
        }
    }

    func testVerbReferenceIsUpToDate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("docs/verbs.md").path
        let stdlib = root.appendingPathComponent("stdlib")
        let files = try FileManager.default.contentsOfDirectory(atPath: stdlib.path).filter { $0.hasSuffix(".medsynth") }
            .sorted { ($0 == "prelude.medsynth" ? "" : $0) < ($1 == "prelude.medsynth" ? "" : $1) }
        let functions = LibraryFunction.documented(inFiles: files.map { stdlib.appendingPathComponent($0).path })
        XCTAssertEqual(functions.first.map { [$0.name, $0.usage] }, ["signed", "def signed x"])
        XCTAssertTrue(functions.allSatisfy { !$0.documentation.isEmpty }, "every library function has a comment: \(functions.filter { $0.documentation.isEmpty }.map(\.name))")
        let generated = VerbReference.markdown(.standard, functions: functions)
        if ProcessInfo.processInfo.environment["MEDSYNTH_UPDATE_DOCS"] == "1" {
            try generated.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(committed, generated, "docs/verbs.md is stale: run MEDSYNTH_UPDATE_DOCS=1 scripts/test.sh")
    }
}
