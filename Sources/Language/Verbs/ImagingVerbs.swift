import Engine
import Imaging

/// Verbs on images: edges, masks, sizes and intensities.
enum ImagingVerbs {
    static var all: [Verb] { [edges, onehot, resize, normalize] }

    /// The Gaussian sigmas `edges` and `blur` take: the kernel reaches 4 sigma each side, so
    /// 1024 already spans the largest image; beyond, its radius in pixels overflows an Int.
    static let sigmas = 0.0...1024.0

    static let edges = Verb(
        "edges", "Canny edges (as scikit-image's feature.canny): 1 on edge pixels, 0 elsewhere.",
        category: .imaging,
        parameters: [
            .argument("image", .tensor, "[H, W], [1, H, W] or a batch [N, 1, H, W]"),
            .option("sigma", .number, default: .number(1), "the Gaussian smoothing, in pixels, 0...1024"),
            .option("low", .number, default: .number(0.1), "the low hysteresis threshold"),
            .option("high", .number, default: .number(0.2), "the high hysteresis threshold"),
            .option("quantiles", .bool, default: .bool(false), "read low and high as quantiles of the gradient magnitude"),
            .option("stages", .bool, default: .bool(false), "return every stage: {smoothed, magnitude, suppressed, edges}"),
        ],
        result: .any, returns: "a tensor of 0 and 1 of the image's shape; with stages=true a record {smoothed, magnitude, suppressed, edges}", example: "e = edges (phantom n=2 seed=1).image sigma=1 low=0.1 high=0.2",
        details: """
            The stages are Canny's: Gaussian smoothing, the Sobel gradient magnitude, non-maximum \
            suppression along the gradient direction, and hysteresis between the two thresholds.
            """
    ) { call in
        let sigma = try call.double("sigma", in: sigmas)
        let low = try call.double("low")
        let high = try call.double("high")
        guard low >= 0, low <= high else {
            throw call.error("low", "the thresholds need 0 <= low <= high", found: "low \(Value.format(low)), high \(Value.format(high))")
        }
        let quantiles = try call.bool("quantiles")
        if quantiles, high > 1 { throw call.error("high", "quantiles lie in 0...1") }
        let thresholds: CannyThresholds = quantiles ? .quantiles(low: low, high: high) : .absolute(low: low, high: high)
        guard try call.bool("stages") else {
            return .tensor(try canny(try call.tensor("image"), sigma: sigma, thresholds: thresholds, cancellation: call.context.cancellation))
        }
        let stages = try cannyStages(
            try call.tensor("image"), sigma: sigma, thresholds: thresholds, cancellation: call.context.cancellation)
        return .record(Record([
            ("smoothed", .tensor(stages.smoothed)), ("magnitude", .tensor(stages.magnitude)),
            ("suppressed", .tensor(stages.suppressed)), ("edges", .tensor(stages.edges)),
        ]))
    }

    static let onehot = Verb(
        "onehot", "One channel per class: [N, 1, H, W] labels become [N, classes, H, W] of 0 and 1.",
        category: .imaging,
        parameters: [
            .argument("labels", .tensor, "a label map [H, W], [1, H, W] or [N, 1, H, W] of whole numbers"),
            .option("classes", .integer(1...256), default: .number(4), "how many classes (0 ..< classes)"),
        ],
        result: .tensor, example: "m = onehot (phantom n=2 seed=1).label classes=4"
    ) { call in
        .tensor(try oneHot(try call.tensor("labels"), classes: try call.int("classes")))
    }

    static let resize = Verb(
        "resize", "Resizes images, keeping their aspect ratio unless told otherwise.", category: .imaging,
        parameters: [
            .argument("image", .tensor, "[H, W], [C, H, W] or [N, C, H, W]"),
            .option("size", .integer(1...8192), default: .nothing,
                    "the longer side of the result (the shorter follows the aspect ratio), or both sides with keep_aspect=false"),
            .option("height", .integer(1...8192), default: .nothing, "the height; alone, the width follows the aspect ratio"),
            .option("width", .integer(1...8192), default: .nothing, "the width; alone, the height follows the aspect ratio"),
            .option("keep_aspect", .bool, default: .nothing,
                    "with size=: true (when left out) keeps the aspect ratio, false makes the result size x size whatever the image's shape"),
            .option("method", .choice(["bilinear", "nearest", "area"]), default: .string("bilinear"),
                "bilinear (as PyTorch, align_corners=false), nearest (labels) or area (block means)"),
        ],
        result: .tensor, example: "small = resize (phantom n=1 seed=1).image size=16 method=area",
        details: "An image that is not square keeps its shape: size=64 makes a 96 x 128 image 48 x 64 and says so; "
            + "crop or pad it to a square afterwards, or give keep_aspect=false to stretch it to 64 x 64. "
            + "A side that follows the aspect ratio is rounded, so it need not be a multiple of 8, as an autoencoder wants."
    ) { call in
        let image = try call.tensor("image")
        let (height, width) = (image.shape.dropLast().last ?? 0, image.shape.last ?? 0)
        guard (2...4).contains(image.rank), height > 0, width > 0 else {
            throw call.error("image", "'resize' takes images of at least one pixel",
                             expected: "[H, W], [C, H, W] or [N, C, H, W]", found: "a tensor of shape \(image.shape)")
        }
        /// `side` scaled by `target / reference`, rounded, at least 1 (and at most the largest
        /// side `size=` takes, which the memory check then weighs).
        func scaled(_ side: Int, _ target: Int, _ reference: Int) -> Int {
            let exact: Double = Double(side) * Double(target) / Double(reference)
            return Int(Swift.min(Swift.max(1.0, exact.rounded()), 1_048_576.0))
        }
        let size = try call.optionalInt("size")
        if call.has("keep_aspect") && size == nil {
            throw call.error("keep_aspect", "keep_aspect= goes with size=", hint: "height= or width= alone keeps the aspect ratio; both set the size exactly")
        }
        let keepAspect = call.has("keep_aspect") ? try call.bool("keep_aspect") : true
        let target: (height: Int, width: Int)
        switch (size, try call.optionalInt("height"), try call.optionalInt("width")) {
        case (let size?, nil, nil):
            let longer = Swift.max(height, width)
            target = keepAspect ? (scaled(height, size, longer), scaled(width, size, longer)) : (size, size)
        case (nil, let h?, let w?): target = (h, w)
        case (nil, let h?, nil): target = (h, scaled(width, h, height))
        case (nil, nil, let w?): target = (scaled(height, w, width), w)
        case (nil, nil, nil): throw call.error("size", "'resize' needs a size", expected: "size=, height=, width=, or height= and width=")
        default: throw call.error("size", "give size= alone, or height= and width= without it")
        }
        let method: ResizeMethod
        switch try call.string("method") {
        case "nearest": method = .nearest
        case "area": method = .area
        default: method = .bilinear
        }
        try ValueVerbs.requireSize(call, call.has("size") ? "size" : call.has("height") ? "height" : "width",
                                   image.shape.dropLast(2) + [target.height, target.width])
        let resized = try Imaging.resize(image, height: target.height, width: target.width, method: method,
                                         cancellation: call.context.cancellation)
        if let size, keepAspect, height != width, (target.height, target.width) != (size, size) {
            call.context.print("resize: kept the aspect ratio, \(height) x \(width) became \(target.height) x \(target.width) "
                + "(keep_aspect=false for \(size) x \(size))")
        }
        return .tensor(resized)
    }

    static let normalize = Verb(
        "normalize", "Rescales each image's intensities.", category: .imaging,
        parameters: [
            .argument("image", .tensor, "[H, W], [C, H, W] or [N, C, H, W]; each image (all its channels) is normalised alone"),
            .option("method", .choice(["minmax", "zscore", "percentiles", "window"]), default: .string("minmax"),
                "minmax to [-1, 1], zscore to mean 0 and std 1, percentiles to clip at lower/upper, window for CT"),
            .option("lower", .number, default: .number(1), "percentiles: the lower percentile"),
            .option("upper", .number, default: .number(99), "percentiles: the upper percentile"),
            .option("level", .number, default: .number(40), "window: the centre, in the image's units (HU)"),
            .option("width", .number, default: .number(400), "window: the width"),
        ],
        result: .tensor, example: "x = normalize (phantom n=1 seed=1).image method=zscore"
    ) { call in
        let image = try call.tensor("image")
        switch try call.string("method") {
        case "zscore": return .tensor(try normaliseZScore(image, cancellation: call.context.cancellation))
        case "percentiles":
            let lower = try call.double("lower")
            let upper = try call.double("upper")
            guard 0 <= lower, lower < upper, upper <= 100 else {
                throw call.error("upper", "percentiles need 0 <= lower < upper <= 100")
            }
            return .tensor(try clipToPercentiles(image, lower: lower, upper: upper, cancellation: call.context.cancellation))
        case "window":
            let width = try call.double("width")
            guard width > 0 else { throw call.error("width", "a window's width must be positive") }
            return .tensor(try ctWindow(image, level: try call.double("level"), width: width))
        default: return .tensor(try normaliseMinMax(image, cancellation: call.context.cancellation))
        }
    }
}
