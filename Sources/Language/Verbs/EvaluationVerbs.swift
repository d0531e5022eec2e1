import Diffusion
import Engine
import Foundation
import Imaging

/// Verbs that evaluate: metrics, with bootstrap intervals when asked; the paired comparison of
/// two models scored on the same subjects; the memorisation check. Their conventions are in
/// docs/metrics.md.
enum EvaluationVerbs {
    static var all: [Verb] { [featureNetwork, features, metric, compare, memorisation, codebookUsage] }

    /// The options `metric` and `compare` share.
    static let metricOptions: [Parameter] = [
        .option("range", .number, default: .number(1), "ssim, msssim, psnr: the data range"),
        .option("reduce", .choice(MetricReduction.allCases.map(\.rawValue)), default: .nothing,
            "psnr, nmse, mse, mae, dice, edgef1: the mean of per-image values, or one value of sums pooled over the batch "
                + "(pooled when left out; ssim and msssim are means)"),
        .option("convention", .choice(SSIMConvention.allCases.map(\.rawValue)), default: .string(SSIMConvention.scikitImage.rawValue),
            "ssim, msssim: scikit-image's (the border cropped) or torchmetrics' (the whole map, mirrored padding)"),
        .option("classes", .list, default: .nothing, "dice: the classes to average over; every class above 0 present when left out"),
        .option("tolerance", .integer(0...16), default: .number(1), "edgef1: how far, in pixels, a match may be"),
        .option("k", .integer(1...1000), default: .nothing,
            "precision, recall, density, coverage: the k-th nearest neighbour's distance is a ball's radius "
                + "(3 for precision and recall, 5 for density and coverage when left out)"),
        .option("features", .model, default: .nothing,
            "frechet, kid, precision, recall, density, coverage: a feature network (feature_network, a segmenter) the images "
                + "are compared through; the result then names it and the SHA-256 of its weights"),
        .option("resamples", .integer(100...100_000), default: .number(2000), "the bootstrap's replicates (and the permutation test's)"),
        .option("seed", .integer(0...Int.max), default: .nothing, "the resampling's seed; derived from the statement when left out"),
    ]

    static let featureNetwork = Verb(
        "feature_network", "A standard feature network (Inception-v3 for FID, ResNet-50) with weights you bring.",
        category: .evaluation,
        parameters: [
            .argument("architecture", .choice(PretrainedFeatureNetwork.Architecture.allCases.map(\.rawValue)), "which network"),
            .argument("weights", .any, "its state dict, as load reads it from a safetensors or HDF5 file (a record of tensors)"),
        ],
        result: .model, returns: "a feature network, for features and metric ... features=",
        example: "net = feature_network resnet50 (load \"resnet50.safetensors\")",
        details: """
            inception-v3 is pytorch-fid's network (the FID Inception, pt_inception-2015-12-05 converted to \
            safetensors): images in 0...1 are resized to 299 x 299 and scaled to -1...1; its 2048 pool features \
            give the standard FID. resnet50 is torchvision's (RadImageNet's backbone.N names too): images are \
            resized to 224 x 224 and normalised with ImageNet's means and deviations. Grey images are repeated \
            into three channels. The classifier's tensors are ignored; a tensor missing, of another shape or \
            unknown is named. No weights ship with medsynth; the file's SHA-256 is in the report's files read, \
            and the weights' own SHA-256 in every result computed through the network.
            """
    ) { call in
        guard let architecture = PretrainedFeatureNetwork.Architecture(rawValue: try call.string("architecture")) else {
            throw call.error("architecture", "unknown architecture",
                expected: PretrainedFeatureNetwork.Architecture.allCases.map(\.rawValue).joined(separator: " or "))
        }
        guard case .record(let record) = call.value("weights") else {
            throw call.error("weights", "'feature_network' needs the network's state dict", expected: "a record of tensors (load \"weights.safetensors\")",
                found: call.value("weights").summary)
        }
        var stateDict: [(path: String, tensor: Tensor)] = []
        for (name, value) in record.fields {
            guard case .tensor(let tensor) = value else {
                throw call.error("weights", "the state dict's \(name) is not a tensor", found: value.summary)
            }
            stateDict.append((name, tensor))
        }
        do {
            return .model(Model(try PretrainedFeatureNetwork(architecture: architecture, stateDict: stateDict, source: "the weights")))
        } catch let error as ModuleError {
            throw call.error("weights", "these are not \(architecture.summary)'s weights: \(error.message)")
        }
    }

    static let features = Verb(
        "features", "Features of images from a feature network or a trained segmenter, for Fréchet distances, KID, precision and recall.",
        category: .evaluation,
        parameters: [
            .argument("model", .model, "a feature network (feature_network) or a segmenter trained on images like these"),
            .argument("images", .tensor, "[N, C, H, W], in the range the network takes (a segmenter: signed, in -1...1; feature_network: 0...1)"),
        ],
        result: .tensor, returns: "feature rows [N, D]",
        example: "features (segmenter classes=4 seed=1) (phantom n=2 seed=1).image",
        details: """
            A segmenter's features are the mean and standard deviation over positions of each channel \
            of its UNet's bottleneck (2 x its deepest width: 128 for the default). A network trained on \
            the domain sees its anatomy; distances on its features compare image sets with each other, \
            not with Inception-based FIDs. feature_network's give 2048 per image. To keep the network's \
            name and weights with a distance, pass it to metric as features= instead.
            """
    ) { call in
        let network = try featureNetwork(call, "model")
        return .tensor(try networkFeatures(call, network, "images"))
    }

    static let metric = Verb(
        "metric", "Compares images, masks, edge maps or feature sets; with ci=, gives a bootstrap interval.", category: .evaluation,
        parameters: [
            .argument("kind", .choice(MetricKind.allCases.map(\.rawValue)), "which metric"),
            .argument("x", .tensor, "the generated or predicted values"),
            .argument("y", .tensor, "the reference"),
            .option("ci", .number, default: .nothing, "the level of a bootstrap interval (0.95 for 95%): the result is then an estimate"),
        ] + metricOptions,
        result: .any, returns: "a number, or an estimate (value, lower, upper) with ci=; with features=, an estimate naming the network",
        example: "metric ssim (phantom n=8 seed=1).image (phantom n=8 seed=2).image ci=0.95",
        details: """
            ssim and msssim as scikit-image (Gaussian window, sigma 1.5) or torchmetrics, psnr in dB, \
            nmse = ||x - y||^2 / ||y||^2, dice averaged over classes, edgef1 with the given tolerance; \
            frechet, kid, precision, recall, density and coverage compare feature rows [N, D] (images are \
            flattened; an unequal number of rows is fine). An image metric pairs image i of x with image i of y. \
            With ci=, images (pairs) are resampled with replacement, the reference set of a feature metric \
            independently, and the interval is the bootstrap's percentile interval (for a feature metric, \
            centred on the value: a resample's repeats bias it): read it with .lower, .upper and .value. A Fréchet distance from fewer rows than features warns: its covariance is singular. \
            With features=NETWORK, x and y are images, compared through the network's features, and the result \
            is an estimate whose .features names the network and the SHA-256 of its weights (without ci=, it has \
            a value and no interval).
            """,
        randomness: .seeded(by: "seed")
    ) { call in
        let kind = try metricKind(call)
        let network = try featureNetworkOption(call, kind)
        let x = try network.map { try networkFeatures(call, $0, "x") } ?? call.tensor("x")
        let y = try network.map { try networkFeatures(call, $0, "y") } ?? call.tensor("y")
        let statistic = try metricStatistic(call, kind, generated: [x], reference: y)
        guard call.has("ci") else {
            let value = try statistic.compute(Array(0..<statistic.subjects), Array(0..<statistic.references))
            return network.map { .estimate(.point(value, count: statistic.subjects, features: $0.featureSource)) } ?? .number(value)
        }
        let plan = try resamplingPlan(call, level: try call.double("ci"))
        var estimate = try resampled(call) { try Resampling.estimate(statistic, plan: plan, cancellation: call.context.cancellation) }
        estimate.features = network?.featureSource
        return .estimate(estimate)
    }

    static let compare = Verb(
        "compare", "The difference of a metric between two models scored on the same subjects, with its interval and p-value.",
        category: .evaluation,
        parameters: [
            .argument("kind", .choice(MetricKind.allCases.map(\.rawValue)), "which metric"),
            .argument("a", .tensor, "model A's images (or feature rows), one per subject"),
            .argument("b", .tensor, "model B's, the same subjects in the same order"),
            .argument("y", .tensor, "the reference: the subjects' real images, or a real feature set"),
            .option("ci", .number, default: .number(0.95), "the level of the interval"),
        ] + metricOptions,
        result: .estimate, returns: "an estimate of metric(a, y) - metric(b, y): value, lower, upper and p",
        example: "compare ssim (phantom n=8 seed=1).image (phantom n=8 seed=3).image (phantom n=8 seed=2).image",
        details: """
            Paired: a bootstrap replicate draws subjects with replacement and scores both models on the \
            same ones (and, for a feature metric, on one draw of the reference set); the interval is the \
            percentile interval of the differences. The p-value is a paired permutation test of "the \
            models score the same": each subject's two images swap models with probability 1/2, and p is \
            (1 + #{|swapped difference| >= |observed|}) / (1 + resamples). For a metric where lower is \
            better (nmse, frechet), A beats B when the upper bound is below 0.
            """,
        randomness: .seeded(by: "seed")
    ) { call in
        let kind = try metricKind(call)
        let network = try featureNetworkOption(call, kind)
        let (aShape, bShape) = (try call.tensor("a").shape, try call.tensor("b").shape)
        guard aShape == bShape else {
            throw call.error("b", "'compare' needs both models' outputs for the same subjects: a has shape \(aShape)", found: "shape \(bShape)")
        }
        let (a, b, y) = try network.map { network in
            (try networkFeatures(call, network, "a"), try networkFeatures(call, network, "b"), try networkFeatures(call, network, "y"))
        } ?? (call.tensor("a"), call.tensor("b"), call.tensor("y"))
        let pooled = try metricStatistic(call, kind, generated: [a, b], reference: y)
        let plan = try resamplingPlan(call, level: try call.double("ci"))
        var estimate = try resampled(call) { try Resampling.difference(pooled, plan: plan, cancellation: call.context.cancellation) }
        estimate.features = network?.featureSource
        return .estimate(estimate)
    }

    static let memorisation = Verb(
        "memorisation", "Which generated images lie suspiciously close to a training image.", category: .evaluation,
        parameters: [
            .argument("generated", .tensor, "features of the generated images [N, D] (images are flattened)"),
            .argument("training", .tensor, "features of the training images [T, D]"),
            .argument("held_out", .tensor, "features of real images the model never saw [M, D]"),
            .option("quantile", .number, default: .number(0.01), "the threshold: this quantile of the held-out images' distances"),
            .option("ci", .number, default: .nothing, "the level of a bootstrap interval for the share"),
            .option("resamples", .integer(100...100_000), default: .number(2000), "the bootstrap's replicates"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the resampling's seed; derived from the statement when left out"),
        ],
        result: .record, returns: "a record: share (a number, or an estimate with ci=), threshold, suspects, nearest, distances",
        example: """
            memorisation (phantom n=8 first=500 seed=1).image (phantom n=32 seed=1).image (phantom n=16 first=900 seed=1).image
            """,
        details: """
            Each held-out image's distance to its nearest training image is what a new subject's looks \
            like; a generated image nearer to a training image than the given quantile of those distances \
            is a suspected copy. A model that draws new subjects flags about that share (0.01), as the \
            held-out images would; a share well above it means it reproduces training images. suspects \
            lists the flagged images (0-based), nearest each image's nearest training image, distances \
            its distance. Use features that ignore what a copy may change (a domain feature network's).
            """,
        randomness: .seeded(by: "seed")
    ) { call in
        let quantile = try call.double("quantile", in: 1e-6...0.5)
        let check: MemorisationCheck
        do {
            let features = try ["generated", "training", "held_out"].map { try Metrics.flattenedRows(try call.tensor($0)) }
            check = try MemorisationCheck(generated: features[0], training: features[1], heldOut: features[2], quantile: quantile)
        } catch let error as TensorError {
            throw call.error("generated", error.message)
        }
        var share = Value.number(check.share)
        if call.has("ci") {
            let plan = try resamplingPlan(call, level: try call.double("ci"))
            let statistic = ResampledStatistic(subjects: check.distances.count, references: check.heldOutDistances.count) {
                check.share(generatedRows: $0, heldOutRows: $1)
            }
            share = .estimate(try resampled(call) { try Resampling.estimate(statistic, plan: plan, cancellation: call.context.cancellation) })
        }
        return .record(Record([
            ("share", share), ("threshold", .number(check.threshold)),
            ("suspects", .list(check.suspects.map { .number(Double($0)) })),
            ("nearest", .list(check.nearestTrainingImages.map { .number(Double($0)) })),
            ("distances", .tensor(Tensor(check.distances.map(Float.init)))),
        ]))
    }

    static let codebookUsage = Verb(
        "codebook_usage", "How much of a VQ autoencoder's codebook images use: the check for codebook collapse.",
        category: .evaluation,
        parameters: [
            .argument("model", .model, "a VQ autoencoder"),
            .argument("images", .tensor, "[N, C, H, W], signed as the autoencoder was trained on"),
        ],
        result: .record, returns: "a record: codes, used, share (used / codes), perplexity, positions",
        example: "codebook_usage (autoencoder kind=vq codes=16 widths=[8, 16] groups=4 seed=1) x",
        details: """
            used counts the codes chosen at least once over every latent position of the images; perplexity \
            is exp(entropy) of the codes' frequencies, the number of equally used codes that would carry the \
            same information (codes at best, 1 when the codebook has collapsed to one code).
            """
    ) { call in
        guard let autoencoder = try call.model("model").as(Autoencoder.self), autoencoder.quantizer != nil else {
            throw call.error("model", "'codebook_usage' needs a VQ autoencoder", expected: "autoencoder kind=vq",
                found: call.value("model").summary)
        }
        let images = try call.tensor("images")
        guard images.rank == 4, images.shape[0] > 0, images.shape[1] == autoencoder.configuration.imageChannels else {
            throw call.error("images", "the autoencoder takes images [N, \(autoencoder.configuration.imageChannels), H, W]",
                found: "a tensor of shape \(images.shape)")
        }
        // Counted 64 images at a time, with progress; there is at least one part.
        let parts = try ModelVerbs.inBatches(count: images.shape[0], "codebook usage", call.context) { rows in
            try autoencoder.codebookUsage(images: try images.samples(at: rows))
        }
        let usage = parts.dropFirst().reduce(into: parts[0]) { $0.add($1) }
        return .record(Record([
            ("codes", .number(Double(usage.counts.count))),
            ("used", .number(Double(usage.counts.filter { $0 > 0 }.count))),
            ("share", .number(usage.usedFraction)),
            ("perplexity", .number(usage.perplexity)),
            ("positions", .number(Double(usage.positions))),
        ]))
    }

    // MARK: Pieces

    /// The feature network an argument holds.
    static func featureNetwork(_ call: VerbCall, _ name: String) throws -> any FeatureNetwork {
        guard let network = try call.model(name).wrapped as? any FeatureNetwork else {
            throw call.error(name, "'\(call.verb.name)' needs a feature network", expected: "a feature network (feature_network) or a segmenter",
                found: call.value(name).summary)
        }
        return network
    }

    /// The network of features=, for the metrics of feature sets only.
    static func featureNetworkOption(_ call: VerbCall, _ kind: MetricKind) throws -> (any FeatureNetwork)? {
        guard call.has("features") else { return nil }
        guard kind.comparesSets else {
            throw call.error("features", "\(kind.rawValue) compares images directly; features= is for the metrics of feature sets",
                expected: MetricKind.allCases.filter(\.comparesSets).map(\.rawValue).joined(separator: ", "))
        }
        return try featureNetwork(call, "features")
    }

    /// The features of the images an argument holds, in batches with progress.
    static func networkFeatures(_ call: VerbCall, _ network: any FeatureNetwork, _ name: String) throws -> Tensor {
        let images = try call.tensor(name)
        guard images.rank == 4, images.shape[0] > 0, network.acceptedChannels.contains(images.shape[1]) else {
            let channels = network.acceptedChannels.map(String.init).joined(separator: " or ")
            throw call.error(name, "\(network.featureNetworkName) takes images [N, \(channels), H, W] in \(network.imageRange)",
                found: "a tensor of shape \(images.shape)")
        }
        let features: Tensor
        do {
            features = try ModelVerbs.inBatches(images, "features", call.context) { try network.features($0) }
        } catch let error as ModuleError {
            throw call.error(name, error.message)
        }
        if let bad = features.scalars.firstIndex(where: { !$0.isFinite }) {
            let imagesAreFinite = images.scalars.allSatisfy(\.isFinite)
            throw call.error(imagesAreFinite ? (call.verb.name == "features" ? "model" : "features") : name,
                "\(network.featureNetworkName) gave a feature that is not a number (image \(bad / features.shape[1]))",
                found: imagesAreFinite ? "finite images: the network's weights hold NaN or infinity (or overflow)" : "images that hold NaN or infinity")
        }
        return features
    }

    static func metricKind(_ call: VerbCall) throws -> MetricKind {
        guard let kind = MetricKind(rawValue: try call.string("kind")) else {
            throw call.error("kind", "unknown metric", expected: MetricKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return kind
    }

    /// The level, replicates and key of a bootstrap.
    static func resamplingPlan(_ call: VerbCall, level: Double) throws -> Resampling.Plan {
        guard level > 0, level < 1 else {
            throw call.error("ci", "an interval's level lies between 0 and 1", expected: "a number such as 0.95 for 95%")
        }
        return Resampling.Plan(level: level, resamples: try call.int("resamples"), key: try call.randomKey())
    }

    /// Resampling's errors (too few images) reported at the statement, its progress as one line.
    static func resampled(_ call: VerbCall, _ body: () throws -> Estimate) throws -> Estimate {
        do {
            return try body()
        } catch let error as TensorError {
            throw RuntimeError(error.message, span: call.span)
        }
    }

    /// The statistic of `kind` for each of `generated` against `reference`, with the language's
    /// checks: label maps for dice, the classes present, SSIM in batches of 64 with progress, a
    /// warning for a Fréchet distance from fewer rows than features.
    static func metricStatistic(_ call: VerbCall, _ kind: MetricKind, generated: [Tensor], reference: Tensor) throws -> ResampledStatistic {
        var settings = MetricSettings()
        settings.dataRange = try call.double("range")
        settings.tolerance = try call.int("tolerance")
        settings.neighbours = try call.optionalInt("k")
        if call.has("reduce") { settings.reduction = MetricReduction(rawValue: try call.string("reduce")) }
        settings.convention = SSIMConvention(rawValue: try call.string("convention")) ?? .scikitImage
        let cancellation = call.context.cancellation
        let generatedName = call.verb.name == "compare" ? "a" : "x"
        // How many times the statistic is recomputed: none without an interval; a bootstrap, and
        // for compare a permutation test too.
        let replicates = call.has("ci") || call.verb.name == "compare"
            ? Double(try call.int("resamples")) * (call.verb.name == "compare" ? 2 : 1) : 0
        do {
            switch kind {
            case .dice:
                var classes = try call.integers("classes", in: classNumbers)
                for set in generated { _ = try labelMap(call, generatedName, set) }
                let present = try labelMap(call, "y", reference)
                if classes.isEmpty { classes = present.filter { $0 > 0 }.sorted() }
                settings.classes = classes
            case .frechet:
                if let rows = try generated.first.map(Metrics.flattenedRows), replicates > 0 {
                    let real = try Metrics.flattenedRows(reference)
                    try requireAffordable(
                        call, generatedName,
                        Metrics.frechetOperations(n: rows.shape[0], m: real.shape[0], d: rows.shape[1]) * replicates * Double(generated.count),
                        "an interval of a Fréchet distance of \(rows.shape[0]) against \(real.shape[0]) rows of \(rows.shape[1]) features",
                        hint: "use fewer features per image (features NETWORK images), fewer reference rows, or fewer resamples=")
                }
                if let rows = try generated.first.map(Metrics.flattenedRows), rows.shape[0] <= rows.shape[1] {
                    call.context.print(
                        "warning: a Fréchet distance from \(rows.shape[0]) rows of \(rows.shape[1]) features: the covariance is "
                            + "singular and the distance unreliable; use more images or fewer features")
                }
            case .kid, .precision, .recall, .density, .coverage:
                let rows = try generated.map(Metrics.flattenedRows), real = try Metrics.flattenedRows(reference)
                if kind == .kid {
                    for (set, name) in zip(rows + [real], Array(repeating: generatedName, count: rows.count) + ["y"]) where set.shape[0] < 2 {
                        throw call.error(name, "a KID needs at least two rows in each set (it is an unbiased estimate)",
                            found: "\(set.shape[0]) row")
                    }
                }
                // The n x n kernel or distance tables once, then per replicate a pass over them.
                let n = Double(rows.reduce(0) { $0 + $1.shape[0] }), m = Double(real.shape[0]), d = Double(real.shape[1])
                try requireAffordable(
                    call, generatedName, (n + m) * (n + m) * (d + replicates),
                    "\(kind.rawValue) of \(Int(n)) against \(Int(m)) rows of \(Int(d)) features"
                        + (replicates > 0 ? " with \(try call.int("resamples")) resamples" : ""),
                    hint: "use fewer rows or features, or fewer resamples=")
            case .ssim where settings.reduction == .pooled, .msssim where settings.reduction == .pooled:
                throw call.error("reduce", "\(kind.rawValue) is a mean of per-image scores; it has no pooled form")
            case .ssim where generated.allSatisfy({ $0.shape == reference.shape }),
                 .msssim where generated.allSatisfy({ $0.shape == reference.shape }):
                // Scored 64 images at a time with a progress line, then resampled as a mean.
                var scores: [Double] = []
                for set in generated {
                    scores += try inBatches(set, reference, kind == .ssim ? "measuring SSIM" : "measuring MS-SSIM", call.context) { x, y in
                        kind == .ssim
                            ? try Metrics.structuralSimilarityPerImage(
                                x, y, dataRange: settings.dataRange, convention: settings.convention, cancellation: cancellation)
                            : try Metrics.multiScaleStructuralSimilarityPerImage(
                                x, y, dataRange: settings.dataRange, convention: settings.convention, cancellation: cancellation)
                    }
                }
                return .mean(scores)
            default:
                break
            }
            return try Metrics.statistic(kind, generated: generated, reference: reference, settings: settings, cancellation: cancellation)
        } catch let error as TensorError {
            throw call.error(generatedName, error.message)
        }
    }

    /// A per-image metric of a batch, 64 images at a time with a progress line when there are
    /// more: the same scores as at once.
    static func inBatches(
        _ x: Tensor, _ y: Tensor, _ label: String, _ context: RuntimeContext, _ perImage: (Tensor, Tensor) throws -> [Double]
    ) throws -> [Double] {
        guard x.rank == 4, x.shape == y.shape, x.shape[0] > 64 else { return try perImage(x, y) }
        return try ModelVerbs.inBatches(count: x.shape[0], label, context) { rows in
            try perImage(try x.samples(at: rows), try y.samples(at: rows))
        }.flatMap { $0 }
    }

    /// The most floating-point operations a feature-set metric and its interval may take (about
    /// `assumedOperationsPerSecond`, one core's double-precision BLAS and LAPACK, for 10 minutes).
    static let maximumResamplingOperations = 600 * assumedOperationsPerSecond
    static let assumedOperationsPerSecond = 5e9

    /// Refuses work of `operations` floating-point operations that would take more than about 10 minutes.
    static func requireAffordable(_ call: VerbCall, _ name: String, _ operations: Double, _ what: String, hint: String) throws {
        guard operations > maximumResamplingOperations else { return }
        throw call.error(name, "\(what) would take \(roughDuration(operations / assumedOperationsPerSecond))", hint: hint)
    }

    /// "about 40 minutes", "about 3 hours".
    static func roughDuration(_ seconds: Double) -> String {
        seconds < 7200 ? "about \(Int((seconds / 60).rounded())) minutes" : "about \(Int((seconds / 3600).rounded())) hours"
    }

    /// The class numbers a label map may hold.
    static let classNumbers = 0...65535

    /// The classes present in a label map, which must hold whole numbers in `classNumbers` only
    /// (NaN, or a label beyond an Int, would trap where the classes are counted).
    static func labelMap(_ call: VerbCall, _ name: String, _ map: Tensor) throws -> Set<Int> {
        var classes: Set<Int> = []
        for value in map.scalars {
            guard let label = Int(wholeNumber: Double(value), in: classNumbers) else {
                throw call.error(
                    name, "'\(call.verb.name) dice' needs label maps of whole numbers in 0...\(classNumbers.upperBound) for \(name)",
                    found: "the label \(Value.format(Double(value)))")
            }
            classes.insert(label)
        }
        return classes
    }
}
