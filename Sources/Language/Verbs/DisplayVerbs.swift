import Engine
import Diffusion
import Foundation
import Formats
import Imaging

/// Verbs that show and measure: image grids, plots, tables and metrics.
enum DisplayVerbs {
    static var all: [Verb] { [show, plot, spectrum, table] }

    static let show = Verb(
        "show", "Shows images as a grid, one row per argument, writes it as PNG, and previews it in the terminal.",
        category: .display,
        parameters: [
            .arguments("rows", .tensor, "images [H, W], [C, H, W] or batches [N, C, H, W]; one-hot masks show as labels"),
            .option("title", .string, default: .nothing, "the figure's title; also names its file"),
            .option("titles", .list, default: .nothing, "a title for each row"),
            .option("limit", .integer(1...64), default: .number(8), "at most this many images per row"),
            .option("window", .list, default: .nothing, "the grey window [low, high]; each image's own range when left out"),
            .option("columns", .list, default: .nothing, "a title for each column"),
            .option("scale", .integer(1...16), default: .nothing,
                    "screen pixels per image pixel in the report; by default enough for panels 160 pixels wide or more"),
            .option("labels", .list, default: .nothing, "the names of labels 1, 2, 3 in the legend; RV, myocardium, LV when left out"),
            .option("cmap", .choice(ColourMap.allCases.map(\.rawValue)), default: .nothing,
                    "a colour map for every image, with a colour bar: diverging (blue-white-red around 0) for differences, "
                        + "heat for magnitudes, grey; over window= or the images' range (diverging: symmetric)"),
            .option("overlay", .tensor, default: .nothing,
                    "labels [N, 1, H, W] (or one-hot [N, K, H, W]) or edges [N, 1, H, W] drawn over the first row's images, with a legend"),
        ],
        result: .figure, example: "show (phantom n=4 seed=1).image title=\"four subjects\"",
        details: "Whole-number maps with values above 1 (labels) are coloured; masks [N, K, H, W] are shown as their argmax. "
            + "The PNG file holds the images at their own size; the report shows the grid as SVG, each image scaled up "
            + "with its pixels kept sharp, the titles as text, a legend of the label colours and, with window=, a grey bar."
    ) { call in
        var window: ClosedRange<Float>?
        if call.has("window") {
            let bounds = try call.list("window")
            guard bounds.count == 2, case .number(let low) = bounds[0], case .number(let high) = bounds[1], low < high,
                Float(low).isFinite, Float(high).isFinite
            else {
                throw call.error("window", "a window is [low, high] with low < high")
            }
            window = Float(low)...Float(high)
        }
        let limit = try call.int("limit")
        let tensors = try ValueVerbs.tensors(call, "rows")
        var rows = try tensors.map { try panels(of: $0, limit: limit, window: window) }
        var colourBar: ImageGridSVG.ColourBar?
        if call.has("cmap"), let map = ColourMap(rawValue: try call.string("cmap")) {
            let range = try window ?? mappedWindow(tensors, map: map)
            rows = try tensors.map { tensor in try images(of: tensor, limit: limit).map { FigurePanel.mapped($0, window: range, map: map) } }
            colourBar = ImageGridSVG.ColourBar(map: map, window: range)
        } else if let window {
            colourBar = ImageGridSVG.ColourBar(map: .grey, window: window)
        }
        if call.has("overlay"), let first = tensors.first {
            rows[0] = try overlaid(images(of: first, limit: limit), with: try call.tensor("overlay"), window: window, call: call)
        }
        var rowTitles: [String] = []
        if call.has("titles") {
            rowTitles = try call.list("titles").map(\.displayText)
            guard rowTitles.count == rows.count else {
                throw call.error("titles", "\(rowTitles.count) titles for \(rows.count) rows")
            }
        }
        let grid = ImageGrid(rows: rows, rowTitles: rowTitles)
        let image = try grid.render()
        let title = try call.optionalString("title") ?? ""
        let columnTitles = call.has("columns") ? try call.list("columns").map(\.displayText) : []
        var labelNames = ["RV", "myocardium", "LV"]
        if call.has("labels") { labelNames = try call.list("labels").map(\.displayText) }
        let scale = try call.optionalInt("scale")
        let reportSVG = try ImageGridSVG(
            grid: grid, title: title, columnTitles: columnTitles, scale: scale, labelNames: labelNames, colourBar: colourBar
        ).svg { rgb, height, width in
            try PNGImage.encode(try Tensor(shape: [3, height, width], scalars: rgb), bitDepth: .eight, file: "figure")
        }
        let path = call.context.figurePath(named: title.isEmpty ? nil : slug(title))
        try FileManager.default.createDirectory(
            atPath: PathName.folder(of: path), withIntermediateDirectories: true)
        try PNGImage.write(image, to: path)
        if call.context.previewsInTerminal {
            call.context.print(try terminalPreview(image, width: min(96, image.shape[2])))
        }
        return .figure(Figure(.raster(image), title: title, path: path, reportSVG: reportSVG))
    }

    /// The window of a colour map over `tensors`: their range, symmetric around 0 for diverging.
    static func mappedWindow(_ tensors: [Tensor], map: ColourMap) throws -> ClosedRange<Float> {
        let values = tensors.flatMap(\.scalars).filter(\.isFinite)
        guard let low = values.min(), let high = values.max() else { return 0...1 }
        if map == .diverging {
            let reach = max(abs(low), abs(high))
            return reach > 0 ? -reach...reach : -1...1
        }
        return low < high ? low...high : (low - 0.5)...(high + 0.5)
    }

    /// The images of one row, one a panel: an image, the channels of [K, H, W], a batch's items.
    static func images(of tensor: Tensor, limit: Int) throws -> [Tensor] {
        switch tensor.rank {
        case 2: return [tensor]
        case 3 where [1, 3].contains(tensor.shape[0]): return [tensor]
        case 3: return Array(try (0..<tensor.shape[0]).map { try tensor.slice([.at($0)]) }.prefix(limit))
        case 4: return try (0..<min(limit, tensor.shape[0])).map { try tensor.slice([.at($0)]) }
        default:
            throw RuntimeError("'show' shows images", expected: "[H, W], [C, H, W] or [N, C, H, W]", found: "a tensor of shape \(tensor.shape)")
        }
    }

    /// The first row's images with `overlay` drawn over them, image by image: labels (or a
    /// one-hot mask) in the label colours, anything else as edges (nonzero pixels in yellow).
    static func overlaid(_ images: [Tensor], with overlay: Tensor, window: ClosedRange<Float>?, call: VerbCall) throws -> [FigurePanel] {
        let maps = try Self.images(of: overlay, limit: images.count).map { map in
            map.rank == 3 && map.shape[0] > 1 ? try map.argmax(axis: 0, keepDims: true) : map
        }
        guard maps.count == images.count else {
            throw call.error("overlay", "the overlay has \(maps.count) maps for \(images.count) images in the first row")
        }
        return zip(images, maps).map { image, map in
            isLabelMap(map) ? .labels(map, over: image, window: window, opacity: 0.5) : .edges(map, over: image, window: window)
        }
    }

    /// The panels of one row.
    static func panels(of tensor: Tensor, limit: Int, window: ClosedRange<Float>?) throws -> [FigurePanel] {
        var images: [Tensor]
        switch tensor.rank {
        case 2: images = [tensor]
        case 3: images = [1, 3].contains(tensor.shape[0]) ? [tensor] : try (0..<tensor.shape[0]).map { try tensor.slice([.at($0)]) }
        case 4:
            let count = min(limit, tensor.shape[0])
            images = try (0..<count).map { index in
                let image = try tensor.slice([.at(index)])
                // A one-hot mask [K, H, W] shows as the label map of its argmax.
                return image.shape[0] > 1 && image.shape[0] != 3 ? try image.argmax(axis: 0, keepDims: true) : image
            }
        default:
            throw RuntimeError("'show' shows images", expected: "[H, W], [C, H, W] or [N, C, H, W]", found: "a tensor of shape \(tensor.shape)")
        }
        images = Array(images.prefix(limit))
        return images.map { image in
            isLabelMap(image) ? .labels(image) : .image(image, window: window)
        }
    }

    /// Whole numbers with some value above 1: a label map, coloured by class.
    static func isLabelMap(_ image: Tensor) -> Bool {
        guard image.rank == 2 || image.shape[0] == 1 else { return false }
        return image.withUnsafeBufferPointer { values in
            var maximum: Float = 0
            for value in values {
                guard value == value.rounded(), value >= 0, value < 256 else { return false }
                maximum = max(maximum, value)
            }
            return maximum > 1
        }
    }

    static func slug(_ title: String) -> String {
        let allowed = title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return String(allowed).split(separator: "-").joined(separator: "-")
    }

    static func writeText(_ text: String, to path: String) throws {
        do {
            try AtomicWrite.write(text, to: path)
        } catch let error as FormatError {
            throw RuntimeError("cannot write \(path): \(error.message)")
        }
    }

    static let plot = Verb(
        "plot", "A plot (SVG) of y against x: lines, points or bars, with error bars; several series as a list of lists.", category: .display,
        parameters: [
            .argument("y", .any, "the values: a list, a tensor, or a list of those for several series; or a model's history"),
            .option("x", .any, default: .nothing, "the x values; 0, 1, 2, ... when left out"),
            .option("names", .list, default: .nothing, "a name for each series"),
            .option("title", .string, default: .string(""), "the title; also names the file"),
            .option("xlabel", .string, default: .string(""), "the x axis label"),
            .option("ylabel", .string, default: .string(""), "the y axis label"),
            .option("log", .bool, default: .bool(false), "a logarithmic y axis (a history's is, unless told, when its losses are positive)"),
            .option("logx", .bool, default: .bool(false), "a logarithmic x axis"),
            .option("style", .choice(LinePlot.Style.allCases.map(\.rawValue)), default: .string("line"),
                    "line, points, linepoints (a line with its points) or bars"),
            .option("err", .any, default: .nothing,
                    "errors: y ± err is drawn as a band around a line, as error bars otherwise; a list per series for several"),
            .option("xlim", .list, default: .nothing, "the x axis's range [low, high]; the data's when left out"),
            .option("ylim", .list, default: .nothing, "the y axis's range [low, high]"),
        ],
        result: .figure, example: "plot [1, 4, 9, 16] err=[0.5, 1, 1, 2] style=points title=\"squares\"",
        details: "A legend appears when there are several series (named by names=). Points outside the limits are cut off at the axes."
    ) { call in
        if let history = try trainingHistory(call.value("y"), call: call) { return try plotHistory(history, call: call) }
        var seriesValues: [Value]
        switch call.value("y") {
        case .list(let items) where items.allSatisfy({ $0.type == .list || $0.type == .tensor }): seriesValues = items
        default: seriesValues = [call.value("y")]
        }
        let ys = try seriesValues.map { try numbers($0, call: call, name: "y") }
        let x: [Double]? = call.has("x") ? try numbers(call.value("x"), call: call, name: "x") : nil
        let names = try call.list("names").map(\.displayText)
        // err= holds one list per series when there are several series, else the one list.
        var errors: [[Double]?] = Array(repeating: nil, count: ys.count)
        if call.has("err") {
            let given = call.value("err")
            if ys.count > 1, case .list(let items) = given, items.count == ys.count, items.allSatisfy({ $0.type == .list || $0.type == .tensor }) {
                errors = try items.map { try numbers($0, call: call, name: "err") }
            } else if ys.count == 1 {
                errors = [try numbers(given, call: call, name: "err")]
            } else {
                throw call.error("err", "with \(ys.count) series, err= is a list of \(ys.count) lists")
            }
        }
        var series: [LinePlot.Series] = []
        for (index, y) in ys.enumerated() {
            let xs = x ?? y.indices.map(Double.init)
            guard xs.count == y.count else {
                throw call.error("x", "x has \(xs.count) values but series \(index + 1) has \(y.count)")
            }
            if let error = errors[index], error.count != y.count {
                throw call.error("err", "err= has \(error.count) values but series \(index + 1) has \(y.count)")
            }
            series.append(.init(
                name: index < names.count ? names[index] : (ys.count == 1 ? "" : "series \(index + 1)"), x: xs, y: y,
                style: LinePlot.Style(rawValue: try call.string("style")) ?? .line, error: errors[index]))
        }
        return try drawn(series, call: call)
    }

    /// The plot of `series` with the call's title, labels and scale, written as SVG.
    static func drawn(
        _ series: [LinePlot.Series], call: VerbCall, title defaultTitle: String = "", xLabel: String = "", yLabel: String = "", logY: Bool = false
    ) throws -> Value {
        func given(_ name: String, else fallback: String) throws -> String {
            let text = try call.string(name)
            return text.isEmpty ? fallback : text
        }
        let title = try given("title", else: defaultTitle)
        let xLabel = try given("xlabel", else: xLabel), yLabel = try given("ylabel", else: yLabel)
        // Given, log= decides; left out, the plot's own choice does.
        let logY = call.spans["log"] != nil ? try call.bool("log") : logY
        func limits(_ name: String) throws -> ClosedRange<Double>? {
            guard call.has(name) else { return nil }
            let bounds = try numbers(call.value(name), call: call, name: name)
            guard bounds.count == 2, bounds[0] < bounds[1], bounds.allSatisfy(\.isFinite) else {
                throw call.error(name, "\(name)= is [low, high] with low < high")
            }
            return bounds[0]...bounds[1]
        }
        let plot = LinePlot(
            series: series, title: title, xLabel: xLabel, yLabel: yLabel, logY: logY, logX: try call.bool("logx"),
            xLimits: try limits("xlim"), yLimits: try limits("ylim"))
        let svg: String
        do {
            svg = try plot.svg()
        } catch let error as FigureError {
            let text = error.description
            throw call.error(text.hasPrefix("linePlot: a log x") ? "logx" : text.hasPrefix("linePlot: a log y") ? "log" : "y",
                             String(text.dropFirst("linePlot: ".count)))
        }
        var path = call.context.figurePath(named: title.isEmpty ? nil : slug(title))
        path = (path as NSString).deletingPathExtension + ".svg"
        try FileManager.default.createDirectory(atPath: PathName.folder(of: path), withIntermediateDirectories: true)
        try writeText(svg, to: path)
        return .figure(Figure(.vector(svg), title: title, path: path))
    }

    /// The training history in `value`: a model `train` made, or its `history` record; nil for
    /// anything else.
    static func trainingHistory(_ value: Value, call: VerbCall) throws -> Record? {
        switch value {
        case .model(let model):
            guard let training = model.training else {
                throw call.error("y", "this model has no training history to plot", hint: "a model made by 'train' carries one")
            }
            return training.historyRecord
        case .record(let record) where record["step"] != nil && record["loss"] != nil && record["val_loss"] != nil:
            return record
        default:
            return nil
        }
    }

    /// A training history drawn: the loss of each step, its smoothed curve (the bias-corrected
    /// average the progress line shows), and the validation loss when there is one.
    static func plotHistory(_ history: Record, call: VerbCall) throws -> Value {
        let steps = try numbers(history["step"]!, call: call, name: "y")
        let loss = try numbers(history["loss"]!, call: call, name: "y")
        guard steps.count == loss.count, !steps.isEmpty else {
            throw call.error("y", "the history has no steps to plot", found: "\(steps.count) steps and \(loss.count) losses")
        }
        let validationSteps = try history["val_step"].map { try numbers($0, call: call, name: "y") } ?? []
        let validationLoss = try history["val_loss"].map { try numbers($0, call: call, name: "y") } ?? []
        let curves = LinePlot.trainingCurves(
            steps: steps, loss: loss, validationSteps: validationSteps, validationLoss: validationLoss, smoothing: TrainingHistory.smoothing)
        return try drawn(curves.series, call: call, title: curves.title, xLabel: curves.xLabel, yLabel: curves.yLabel, logY: curves.logY)
    }

    /// A list of numbers or a tensor, flattened, as Doubles.
    static func numbers(_ value: Value, call: VerbCall, name: String) throws -> [Double] {
        switch value {
        case .tensor(let tensor): return tensor.scalars.map(Double.init)
        case .list(let items):
            return try items.map { item in
                guard case .number(let number) = item else {
                    throw call.error(name, "a series holds numbers", found: item.summary)
                }
                return number
            }
        case .number(let number): return [number]
        default: throw call.error(name, "expected numbers", expected: "a list of numbers or a tensor")
        }
    }

    static let table = Verb(
        "table", "A table: from a record of equally long columns, or a schedule's (t, beta, alpha-bar, SNR).",
        category: .display,
        parameters: [
            .argument("columns", .any, "a record {name: [values], ...}, or a schedule"),
            .option("rows", .integer(1...100_000), default: .number(11), "schedule: how many evenly spaced timesteps"),
        ],
        result: .table, example: "table {t: [0, 1], loss: [0.5, 0.25]}"
    ) { call in
        if case .schedule(let schedule) = call.value("columns") {
            let table = try schedule.table(rows: schedule.evenlySpacedTimesteps(count: min(try call.int("rows"), schedule.trainingSteps)))
            return .table(Table(
                columns: ["t", "beta", "alpha_bar", "snr"],
                rows: table.rows.map { [.number(Double($0.timestep)), .number($0.beta), .number($0.alphaBar), .number($0.signalToNoiseRatio)] }))
        }
        guard case .record(let record) = call.value("columns") else {
            throw call.error("columns", "'table' needs a record of columns or a schedule", expected: "{name: [values], ...}")
        }
        // A table is for reading: its cells are values, so a tensor column is bounded as a list
        // is (a list column was bounded when it was made).
        let tensorCells = record.fields.reduce(0) { total, field in
            if case .tensor(let tensor) = field.value { return total + tensor.count }
            return total
        }
        guard tensorCells <= ValueLimits.maximumValueCount else {
            throw call.error(
                "columns", "a table holds at most \(ValueLimits.maximumValueCount) cells", found: "tensors of \(tensorCells) values",
                hint: "show a slice of the tensor, or plot it")
        }
        let columns = try record.fields.map { field -> [Value] in
            switch field.value {
            case .list(let items): return items
            case .tensor(let tensor): return tensor.scalars.map { .number(Double($0)) }
            default: throw call.error("columns", "the column '\(field.name)' is not a list")
            }
        }
        let length = columns.first?.count ?? 0
        guard columns.allSatisfy({ $0.count == length }) else {
            throw call.error("columns", "the columns differ in length: \(columns.map(\.count))")
        }
        return .table(Table(columns: record.fields.map(\.name), rows: (0..<length).map { row in columns.map { $0[row] } }))
    }

    static let spectrum = Verb(
        "spectrum", "The radially averaged power spectrum of square images, averaged over the batch.", category: .display,
        parameters: [.argument("images", .tensor, "[N, 1, n, n] or [n, n]")],
        result: .tensor, example: "spectrum (phantom n=2 size=32 seed=1).image",
        details: """
            Bin r (r = 0 ... n/2) is the mean of |F(u, v)|^2 / n^2 over the frequencies at radius \
            round(sqrt(u^2 + v^2)), F the 2-D discrete Fourier transform; bin 0 holds the mean. \
            Plot it with log=true to compare generated and real images (Capitão et al., Figure 2).
            """
    ) { call in
        let images = try call.tensor("images")
        do {
            return .tensor(Tensor(try Metrics.radiallyAveragedPowerSpectrum(images, cancellation: call.context.cancellation).map { Float($0) }))
        } catch let error as TensorError {
            throw call.error("images", "\(error)", expected: "square images [N, 1, n, n] or [n, n]")
        }
    }
}
