import Diffusion
import Engine
import Imaging

/// Verbs for Med-cDiff's tasks as conditional generation (Hung et al. 2023): what degrades an
/// image (noise, hidden regions; a lower resolution is `resize ... method=area`), and the
/// classical restorations a generated image is compared with.
enum TaskVerbs {
    static var all: [Verb] { [corrupt, holes, blur, meanfill] }

    static let corrupt = Verb(
        "corrupt", "Noisy copies of images: additive Gaussian noise, or salt and pepper.", category: .tasks,
        parameters: [
            .argument("images", .tensor, "[N, 1, H, W] in -1...1"),
            .option("kind", .choice(["gaussian", "salt"]), default: .string("gaussian"), "Gaussian noise, or salt and pepper"),
            .option("amount", .number, default: .number(0.2), "gaussian: the noise's sigma; salt: the fraction of pixels hit"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the noise's seed"),
        ],
        result: .tensor, example: "noisy = corrupt (phantom n=2 seed=1).image kind=gaussian amount=0.2 seed=1",
        details: """
            gaussian adds sigma z, z ~ N(0, 1), unclipped; salt sets each pixel, with probability \
            amount, to -1 or 1 with equal chances. Image i's noise depends on the seed and i only.
            """,
        randomness: .seeded(by: "seed")
    ) { call in
        let amount = Float(try call.double("amount"))
        let noise: DenoisingTask.Noise = try call.string("kind") == "salt" ? .saltAndPepper(amount: amount) : .gaussian(sigma: amount)
        let task: DenoisingTask
        do {
            task = try DenoisingTask(noise: noise, random: try call.randomKey())
        } catch let error as TensorError {
            throw call.error("amount", "corrupt: \(error.message)")
        }
        return .tensor(try task.degrade(try imagesArgument(call), cancellation: call.context.cancellation))
    }

    static let holes = Verb(
        "holes", "Random inpainting masks: 1 on the hidden pixels, 0 on the known ones.", category: .tasks,
        parameters: [
            .option("n", .integer(1...100_000), default: .number(8), "how many masks"),
            .option("size", .integer(8...4096), default: .number(64), "their side"),
            .option("coverage", .number, default: .number(0.25), "the fraction of pixels hidden, 0...1"),
            .option("shapes", .choice(["mixed", "rectangles", "strokes"]), default: .string("mixed"), "rectangles, free-form brush strokes, or both"),
            .option("first", .integer(0...Int.max), default: .number(0), "the index of the first mask (mask i depends on the seed and i only)"),
            .option("seed", .integer(0...Int.max), default: .nothing, "the masks' seed"),
        ],
        result: .tensor, example: "m = holes n=2 size=64 coverage=0.25 seed=1",
        details: """
            [n, 1, size, size]. Shapes are added until the hidden fraction reaches the coverage: \
            rectangles with sides S/8 ... S/2, strokes of 2 to 6 segments with a round brush \
            (Yu et al. 2019's free-form masks). Hide pixels with 'x * (1 - m)'.
            """,
        randomness: .seeded(by: "seed")
    ) { call in
        let shapes: InpaintingTask.MaskShapes = switch try call.string("shapes") {
        case "rectangles": .rectangles
        case "strokes": .strokes
        default: .mixed
        }
        let coverage = try call.double("coverage")
        guard (0...1).contains(coverage) else { throw call.error("coverage", "the coverage is a fraction in 0...1") }
        try ValueVerbs.requireSize(call, "n", [try call.int("n"), 1, try call.int("size"), try call.int("size")])
        let task = try InpaintingTask(coverage: coverage, shapes: shapes, random: try call.randomKey())
        return .tensor(try task.masks(
            count: try call.int("n"), size: try call.int("size"), firstSample: try call.int("first"),
            cancellation: call.context.cancellation))
    }

    static let blur = Verb(
        "blur", "Gaussian filtering: the classical denoiser a generated image must beat.", category: .tasks,
        parameters: [
            .argument("images", .tensor, "[H, W], [1, H, W] or [N, 1, H, W]"),
            .option("sigma", .number, default: .number(1), "the filter's sigma, in pixels, 0...1024"),
        ],
        result: .tensor, example: "smooth = blur (phantom n=2 seed=1).image sigma=1",
        details: "Truncated at 4 sigma; near the border it averages the pixels inside only (Canny's smoothing stage)."
    ) { call in
        let sigma = try call.double("sigma", in: ImagingVerbs.sigmas)
        return .tensor(try DenoisingTask.baseline(try call.tensor("images"), sigma: sigma, cancellation: call.context.cancellation))
    }

    static let meanfill = Verb(
        "meanfill", "Fills hidden pixels with the mean of each image's known pixels: the classical inpainting baseline.",
        category: .tasks,
        parameters: [
            .argument("images", .tensor, "[N, 1, H, W]"),
            .argument("mask", .tensor, "[N, 1, H, W], 1 on the hidden pixels"),
        ],
        result: .tensor, example: "filled = meanfill (phantom n=2 seed=1).image (holes n=2 seed=1)"
    ) { call in
        let images = try imagesArgument(call)
        let mask = try call.tensor("mask")
        guard mask.shape == images.shape else {
            throw call.error("mask", "one mask per image, of the images' shape \(images.shape)", found: "a tensor of shape \(mask.shape)")
        }
        return .tensor(try InpaintingTask.baseline(images, mask: mask))
    }

    static func imagesArgument(_ call: VerbCall) throws -> Tensor {
        let images = try call.tensor("images")
        guard images.rank == 4, images.shape[1] == 1 else {
            throw call.error("images", "'\(call.verb.name)' takes grey images [N, 1, H, W]", found: "a tensor of shape \(images.shape)")
        }
        return images
    }
}
