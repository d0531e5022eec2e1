import Diffusion
import Engine
import Foundation
import Imaging
@testable import Language
import XCTest

/// metric with intervals, compare and memorisation as a notebook uses them.
final class EvaluationVerbTests: XCTestCase {
    var interpreter: Interpreter!
    var printed: [String] = []

    override func setUp() {
        printed = []
        interpreter = Interpreter(context: RuntimeContext(outputDirectory: NSTemporaryDirectory(), seed: 1) { [unowned self] in printed.append($0) })
    }

    @discardableResult
    func run(_ text: String) throws -> Value {
        try interpreter.lastValue(text) ?? .nothing
    }

    func estimate(_ text: String) throws -> Estimate {
        guard case .estimate(let estimate) = try run(text) else {
            XCTFail("\(text) gave no estimate")
            return Estimate(value: .nan, lower: .nan, upper: .nan, level: 0, count: 0, resamples: 0)
        }
        return estimate
    }

    /// Each statement is refused with a message that contains its words.
    func assertRefused(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (statement, words) in cases {
            XCTAssertThrowsError(try run(statement), statement, file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(words), "\(statement): \(error)", file: file, line: line)
            }
        }
    }

    func number(_ text: String) throws -> Double {
        guard case .number(let number) = try run(text) else { XCTFail("\(text) gave no number"); return .nan }
        return number
    }

    func testAnIntervalSurroundsTheMetricAndIsReproducible() throws {
        try run("a = (phantom n=24 seed=1).image\nb = (phantom n=24 seed=2).image")
        let plain = try number("metric ssim a b")
        let interval = try estimate("metric ssim a b ci=0.95")
        XCTAssertEqual(interval.value, plain)
        XCTAssertLessThan(interval.lower, plain)
        XCTAssertGreaterThan(interval.upper, plain)
        XCTAssertEqual(interval.count, 24)
        XCTAssertEqual(interval.resamples, 2000)
        XCTAssertNil(interval.pValue)
        // A seed draws the same resamples wherever it is written; another seed others; a wider
        // level gives a wider interval.
        let seeded = try estimate("metric ssim a b ci=0.95 seed=5")
        XCTAssertEqual(try estimate("e = metric ssim a b ci=0.95 seed=5"), seeded)
        XCTAssertNotEqual(try estimate("metric ssim a b ci=0.95 seed=9").lower, seeded.lower)
        XCTAssertLessThan(try estimate("metric ssim a b ci=0.99 seed=5").lower, seeded.lower)
        XCTAssertEqual(try number("e.lower"), seeded.lower)
        XCTAssertEqual(try number("e.n"), 24)
        XCTAssertEqual(Value.estimate(interval).displayText.filter { $0 == "[" }.count, 1)
    }

    func testAnEstimateRefusesToCompareAsANumber() throws {
        try run("a = (phantom n=8 seed=1).image\ne = metric mse a (a * 0.9) ci=0.9")
        for statement in ["e > 0", "e + 1", "expect e ~ 0.1", "e.p", "e.middle"] {
            XCTAssertThrowsError(try run(statement), statement) { error in
                let message = "\(error)"
                if statement == "e.p" {
                    XCTAssertTrue(message.contains("no p-value") && message.contains("compare"), message)
                } else if statement == "e.middle" {
                    XCTAssertTrue(message.contains("value, lower, upper"), message)
                } else {
                    XCTAssertTrue(message.contains("e.lower") || message.contains("x.lower"), message)
                }
            }
        }
        XCTAssertEqual(try run("e.upper > 0").displayText, "true")
        XCTAssertTrue(try estimate("e").text.hasSuffix("(90%)"))
    }

    /// compare: a model identical to the reference beats a noisy one on every image; two
    /// identical models differ by exactly 0 with p = 1.
    func testComparePairsTheSubjects() throws {
        try run("""
            real = (phantom n=16 seed=1).image
            noisy = real + 0.05 * (randn [16, 1, 64, 64] seed=3)
            """)
        let better = try estimate("compare nmse real noisy real")
        XCTAssertLessThan(better.value, 0)
        XCTAssertLessThan(better.upper, 0)
        XCTAssertLessThan(try XCTUnwrap(better.pValue), 0.001)
        XCTAssertEqual(better.count, 16)
        XCTAssertEqual(better.value, try number("metric nmse real real") - number("metric nmse noisy real"), accuracy: 1e-12)
        let same = try estimate("compare ssim noisy noisy real range=2")
        XCTAssertEqual(same.value, 0)
        XCTAssertEqual(same.pValue, 1)
        XCTAssertTrue(try estimate("compare ssim real noisy real range=2").text.hasPrefix("+"))
        XCTAssertThrowsError(try run("compare ssim real (real[0:8]) real range=2")) { error in
            XCTAssertTrue("\(error)".contains("same subjects"), "\(error)")
        }
    }

    /// reduce=: pooled NMSE weighs bright images more; the per-image mean weighs each alike.
    func testReductionsAreSelectable() throws {
        try run("""
            y = [[[[0.1, 0.1]]], [[[1.0, 1.0]]]]
            x = [[[[0.2, 0.1]]], [[[1.0, 0.9]]]]
            """)
        XCTAssertEqual(try number("metric nmse x y"), 0.02 / 2.02, accuracy: 1e-6)
        XCTAssertEqual(try number("metric nmse x y reduce=pooled"), 0.02 / 2.02, accuracy: 1e-6)
        XCTAssertEqual(try number("metric nmse x y reduce=mean"), (0.5 + 0.005) / 2, accuracy: 1e-6)
        XCTAssertThrowsError(try run("metric ssim x y reduce=pooled"))
    }

    func testFeatureSetMetricsAndTheirWarnings() throws {
        try run("f = randn [40, 3] seed=1\ng = randn [30, 3] seed=2")
        XCTAssertEqual(try number("metric precision f f"), 1)
        XCTAssertEqual(try number("metric coverage f f"), 1)
        XCTAssertEqual(try number("metric density f f"), 1, accuracy: 0.3)
        let recall = try estimate("metric recall g f ci=0.95")
        XCTAssertTrue((0...1).contains(recall.lower) && (0...1).contains(recall.upper), "\(recall)")
        XCTAssertThrowsError(try run("metric precision f f k=40"))
        // A Fréchet distance of fewer rows than features warns that it is unreliable.
        printed = []
        _ = try number("metric frechet (randn [5, 8] seed=1) (randn [20, 8] seed=2)")
        XCTAssertTrue(printed.contains { $0.contains("warning") && $0.contains("singular") }, "\(printed)")
        let fd = try estimate("metric frechet g f ci=0.95")
        XCTAssertLessThanOrEqual(fd.lower, fd.value)
        XCTAssertGreaterThanOrEqual(fd.upper, fd.value)
    }

    /// What a careless user gives is refused with a reason: pooled SSIM, NaN images, an
    /// interval of a metric with nothing to score, a held-out set inside the training set, too
    /// few images; a share's centred interval stays inside 0...1.
    func testUndefinedOrMisleadingIntervalsAreRefused() throws {
        try run("x = (phantom n=8 seed=1).image\ny = (phantom n=8 seed=2).image\nf = randn [30, 2] seed=3\nr = randn [30, 2] seed=6")
        let cases = [
            ("metric ssim x y reduce=pooled", "no pooled form"),
            ("metric ssim (sqrt (x - 2)) y", "NaN"),
            ("metric nmse (sqrt (x - 2)) y ci=0.95", "NaN"),
            ("metric edgef1 (x * 0) (y * 0) ci=0.95", "not a number on the whole set"),
            ("memorisation f r r", "overlaps the training set"),
            ("metric ssim x[0:4] y[0:4] ci=0.95", "at least 5"),
        ]
        assertRefused(cases)
        for kind in ["precision", "recall", "coverage"] {
            let share = try estimate("metric \(kind) f r ci=0.95 resamples=500")
            XCTAssertTrue(0 <= share.lower && share.upper <= 1, "\(kind): \(share)")
        }
    }

    /// A segmenter's features: the mean and spread of each bottleneck channel, one row per image,
    /// the same (to rounding) for an image whether it comes alone or in a batch.
    func testSegmenterFeatures() throws {
        try run("seg = segmenter classes=4 seed=1\nimages = (phantom n=3 seed=1).image * 2 - 1\nf = features seg images\nalone = features seg images[1:2]")
        guard case .tensor(let f) = try run("f"), case .tensor(let alone) = try run("alone") else { return XCTFail("features give tensors") }
        XCTAssertEqual(f.shape, [3, 128])
        XCTAssertTrue(f.scalars[64..<128].allSatisfy { $0 >= 0 }, "the spreads are not negative")
        // Batching changes only the rounding of the convolutions' sums.
        for (a, b) in zip(f.scalars[128..<256], alone.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertNotEqual(Array(f.scalars[0..<128]), Array(f.scalars[128..<256]))
        XCTAssertThrowsError(try run("features seg (zeros [2, 2, 64, 64])"))
        XCTAssertThrowsError(try run("features (autoencoder) images"))
    }

    func testMemorisationFindsCopies() throws {
        try run("""
            training = randn [50, 4] seed=1
            held = randn [40, 4] seed=2
            copies = training[0:5] + 0.0001
            fresh = randn [15, 4] seed=3
            check = memorisation (concat copies fresh) training held quantile=0.05 ci=0.95
            """)
        guard case .record(let check) = try run("check") else { return XCTFail("memorisation gives a record") }
        XCTAssertEqual(check.fields.map(\.name), ["share", "threshold", "suspects", "nearest", "distances"])
        guard case .list(let suspects) = try XCTUnwrap(check["suspects"]) else { return XCTFail("suspects is a list") }
        XCTAssertEqual(suspects.prefix(5).map(\.inlineText), ["0", "1", "2", "3", "4"])
        guard case .estimate(let share) = try XCTUnwrap(check["share"]) else { return XCTFail("share has an interval with ci=") }
        XCTAssertGreaterThanOrEqual(share.value, 0.25)
        XCTAssertGreaterThan(share.lower, 0.05)
        XCTAssertThrowsError(try run("memorisation fresh training held quantile=0.9"))
        XCTAssertThrowsError(try run("memorisation fresh (randn [5, 3] seed=1) held"))
    }

    /// A ResNet-50 with the parity fixture's deterministic weights, written as a user's
    /// safetensors file (the file `feature_network`'s example reads); its path.
    func resnetWeightsFile() throws -> String {
        let directory = NSTemporaryDirectory() + "medsynth-resnet50-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        try VerbExamples.writeFiles(in: directory)
        return directory + "/resnet50.safetensors"
    }

    /// feature_network from a state dict as load reads it; a distance through it names it.
    /// (Intervals and compare through a network: `testASegmenterThroughFeaturesIsNamed`.)
    func testAFeatureNetworksDistancesNameItsWeights() throws {
        try run("""
            net = feature_network resnet50 (load "\(try resnetWeightsFile())")
            x = (phantom n=3 seed=1 size=32).image
            y = (phantom n=3 seed=2 size=32).image
            fx = features net x
            fy = features net y
            point = metric frechet x y features=net
            """)
        guard case .tensor(let fx) = try run("fx"), case .model(let model) = try run("net") else { return XCTFail("features, a model") }
        XCTAssertEqual(fx.shape, [3, 2048])
        let source = (model.wrapped as! any FeatureNetwork).featureSource
        XCTAssertEqual(source, "resnet50, weights sha256:\(model.wrapped.weightsSHA256)")

        // Through features=, the same number as on the features, and the network with it.
        let point = try estimate("point")
        XCTAssertEqual(point.value, try number("metric frechet fx fy"), accuracy: 1e-9)
        XCTAssertEqual(point.features, source)
        XCTAssertFalse(point.hasInterval)
        XCTAssertTrue(Value.estimate(point).displayText.hasSuffix(" · resnet50"), Value.estimate(point).displayText)
        guard case .string(let named) = try run("point.features") else { return XCTFail("a string") }
        XCTAssertEqual(named, source)
        XCTAssertThrowsError(try run("point.lower")) { error in
            XCTAssertTrue("\(error)".contains("no interval"), "\(error)")
        }
    }

    func testAFeatureNetworkRefusesWhatItCannotTake() throws {
        let path = try resnetWeightsFile()
        try run("net = feature_network resnet50 (load \"\(path)\")\nx = (phantom n=6 seed=1 size=32).image")
        let refusals = [
            ("metric ssim x x features=net", "compares images directly"),
            ("features net (zeros [2, 2, 8, 8])", "takes images [N, 1 or 3, H, W]"),
            ("metric frechet x x features=(autoencoder)", "needs a feature network"),
            ("feature_network inception_v3 (load \"\(path)\")", "Conv2d_1a_3x3.conv.weight"),
            ("feature_network resnet50 (zeros [3])", "state dict"),
        ]
        assertRefused(refusals)
    }

    /// An interval of a Fréchet distance is refused only when its replicates would take too
    /// long: Inception's 2048 features of a few images resample in sample space, quickly.
    func testFrechetIntervalsAreRefusedOnlyWhenTooSlow() throws {
        let wide = try estimate("metric frechet (randn [8, 2048] seed=1) (randn [10, 2048] seed=2) ci=0.95 resamples=200")
        XCTAssertLessThan(wide.lower, wide.value)
        XCTAssertThrowsError(try run("metric frechet (randn [600, 1200] seed=1) (randn [3000, 1200] seed=2) ci=0.95")) { error in
            XCTAssertTrue("\(error)".contains("would take about"), "\(error)")
        }
    }

    /// A KID of one row, features that are not numbers, and resampling that would take hours are
    /// refused with the reason.
    func testHostileFeatureSetsAreRefused() throws {
        let refusals = [
            ("metric kid (randn [1, 4] seed=1) (randn [5, 4] seed=2)", "at least two rows"),
            ("metric kid (randn [5, 4] seed=1) (randn [1, 4] seed=2)", "at least two rows"),
            ("metric kid (randn [3000, 2048] seed=1) (randn [3000, 2048] seed=2) ci=0.95 resamples=100000", "would take about"),
            ("features (segmenter classes=4 seed=1) ((zeros [2, 1, 32, 32]) / 0)", "images that hold NaN or infinity"),
        ]
        assertRefused(refusals)
    }

    /// codebook_usage counts the codes a VQ autoencoder's latents use.
    func testCodebookUsage() throws {
        try run("""
            vq = autoencoder kind=vq codes=16 widths=[8, 16] groups=4 seed=1
            x = (phantom n=3 size=32 seed=1).image * 2 - 1
            u = codebook_usage vq x
            """)
        guard case .record(let usage) = try run("u"), case .number(let used)? = usage["used"], case .number(let share)? = usage["share"],
              case .number(let perplexity)? = usage["perplexity"], case .number(let positions)? = usage["positions"] else {
            return XCTFail("a record of numbers")
        }
        XCTAssertEqual(positions, 3 * 8 * 8)
        XCTAssertEqual(share, used / 16)
        XCTAssertGreaterThanOrEqual(perplexity, 1)
        XCTAssertLessThanOrEqual(perplexity, used + 1e-9)
        XCTAssertThrowsError(try run("codebook_usage (autoencoder kind=kl widths=[8, 16] groups=4) x")) { error in
            XCTAssertTrue("\(error)".contains("needs a VQ autoencoder"), "\(error)")
        }
        XCTAssertThrowsError(try run("codebook_usage vq (zeros [2, 3, 32, 32])"))
    }

    /// spade makes a generator, train trains it against its discriminator, synthesise applies
    /// it; the checkpoint brings back the same generator.
    func testSPADETrainsAndSynthesises() throws {
        let path = NSTemporaryDirectory() + "medsynth-spade-\(UUID().uuidString).h5"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        try run("""
            p = phantom n=4 size=32 seed=1
            m = onehot p.label classes=4
            e = edges p.image
            g = train (spade cond={mask: 4, edges: 1} widths=[16, 8, 8] hidden=8 seed=1) data=(p.image * 2 - 1) cond=[m, e] steps=3 batch=2 seed=1 log=1
            y = synthesise g cond=[m, e]
            again = load (save g "\(path)")
            z = synthesise again cond=[m, e]
            """)
        guard case .tensor(let y) = try run("y"), case .tensor(let z) = try run("z") else { return XCTFail("images") }
        XCTAssertEqual(y.shape, [4, 1, 32, 32])
        XCTAssertEqual(y, z)
        guard case .tensor(let losses) = try run("g.history.loss") else { return XCTFail("a history") }
        XCTAssertEqual(losses.count, 3)
        let refusals = [
            ("synthesise g cond=[m]", "2 condition groups, given 1"),
            ("synthesise (autoencoder) cond=[m, e]", "needs a conditional image generator"),
            ("train g data=(p.image * 2 - 1) steps=2", "conditions"),
            ("synthesise g cond=[m[:, :, 0:30, 0:30], e[:, :, 0:30, 0:30]]", "multiples of 4"),
        ]
        assertRefused(refusals)
    }

    /// A segmenter is a feature network too: features= names it and its weights.
    func testASegmenterThroughFeaturesIsNamed() throws {
        try run("seg = segmenter classes=4 seed=1\na = (phantom n=6 seed=1).image * 2 - 1\nb = (phantom n=6 seed=2).image * 2 - 1")
        let e = try estimate("metric frechet a b features=seg ci=0.95 resamples=200")
        XCTAssertEqual(e.value, try number("metric frechet (features seg a) (features seg b)"), accuracy: 1e-9)
        XCTAssertLessThanOrEqual(e.lower, e.value)
        XCTAssertTrue(e.features?.hasPrefix("segmenter of 4 classes, weights sha256:") == true, "\(e.features ?? "none")")
        let kid = try estimate("metric kid a b features=seg ci=0.9 resamples=200")
        XCTAssertEqual(kid.value, try number("metric kid (features seg a) (features seg b)"), accuracy: 1e-9)
        XCTAssertEqual(kid.features, e.features)
        XCTAssertEqual(try estimate("compare kid a b a features=seg resamples=200").features, e.features)
    }
}
