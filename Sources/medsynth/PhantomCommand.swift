import ArgumentParser
import Engine
import Formats
import Imaging
import Language

/// `medsynth phantom`: the built-in cardiac phantom as pictures, a preview or an ACDC folder.
struct PhantomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Draw the built-in cardiac MRI phantom: preview it, save figures, or write an ACDC-style folder.",
        discussion: """
            Without a file option it previews the first subject in the terminal. --grid saves COUNT \
            subjects as a square grid (PNG); --anatomy saves, for the first four subjects, the image, \
            its labels (RV red, myocardium green, LV blue) and its Canny edges; --acdc writes \
            patientNNN folders with end-diastolic and end-systolic frames and labels (NIfTI), as \
            scanners do: each patient's pixel spacing differs (1.2 to 1.8 mm, with the pixels to \
            cover the same field of view, SIZE x 1.5 mm), slices are 8 mm thick, and Info.cfg \
            gives the frames, a group, a height and a weight.
            """
    )

    @Option(help: "Seed of the phantom: the same seed draws the same subjects.")
    var seed: UInt64 = 1
    @Option(help: "Image size in pixels (32 to 256).")
    var size = 128
    @Option(help: "Number of subjects.")
    var count = 16
    @Option(help: "Save a grid of COUNT subjects to this PNG file.")
    var grid: String?
    @Option(help: "Save images, labels and edges of four subjects to this PNG file.")
    var anatomy: String?
    @Option(help: "Write an ACDC-style folder of COUNT patients here.")
    var acdc: String?

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
    }

    func run() throws {
        let phantom = try Phantom(seed: seed, size: size)
        if grid == nil && anatomy == nil && acdc == nil {
            let subject = try phantom.batch(count: 1).images[.at(0), .at(0)]
            print(try terminalPreview(subject, width: min(size, 64), window: 0...1))
            return
        }
        if let grid {
            try PNGImage.write(try PhantomFigures.grid(phantom, count: count).render(), to: grid)
            print("wrote \(grid)")
        }
        if let anatomy {
            try PNGImage.write(try PhantomFigures.anatomy(phantom, count: min(count, 4)).render(), to: anatomy)
            print("wrote \(anatomy)")
        }
        if let acdc {
            try ACDCFolder.write(try ACDCPhantom.patients(random: RandomKey(seed: seed), size: size, count: count), to: acdc)
            print("wrote \(count) patients under \(acdc)")
        }
    }
}

/// The phantom's figures and folders, shared by the command and its tests.
enum PhantomFigures {
    /// Subjects in a square grid, each titled by its number.
    static func grid(_ phantom: Phantom, count: Int) throws -> ImageGrid {
        let images = try phantom.batch(count: count).images
        let columns = Int(Double(count).squareRoot().rounded(.up))
        let panels = try (0..<count).map { i in
            FigurePanel.image(try images[.at(i), .at(0)], window: 0...1, title: "subject \(i)")
        }
        let rows = stride(from: 0, to: count, by: columns).map { Array(panels[$0..<min(count, $0 + columns)]) }
        return ImageGrid(rows: rows)
    }

    /// For each subject a row: the image, its labels over it, and its Canny edges over it.
    static func anatomy(_ phantom: Phantom, count: Int) throws -> ImageGrid {
        let batch = try phantom.batch(count: count)
        let edges = try canny(batch.images, sigma: 1.5, thresholds: .quantiles(low: 0.85, high: 0.95))
        let rows = try (0..<count).map { i -> [FigurePanel] in
            let image = try batch.images[.at(i), .at(0)]
            return [.image(image, window: 0...1, title: "image"),
                    .labels(try batch.labels[.at(i), .at(0)], over: image, window: 0...1, title: "labels"),
                    .edges(try edges[.at(i), .at(0)], over: image, window: 0...1, title: "edges")]
        }
        return ImageGrid(rows: rows)
    }
}
