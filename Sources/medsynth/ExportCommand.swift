import ArgumentParser
import Diffusion
import Foundation
import Language
import Notebook

/// `medsynth export NOTEBOOK LABEL FOLDER`: a notebook's training statement handed over to
/// PyTorch, to train where one CPU is not enough (see docs/interop.md).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Hand a notebook's training statement over to PyTorch: its data, model, hyperparameters and a train.py for torchrun.",
        discussion: """
            Runs the notebook's cells before the labelled cell (from the cache where it can), then \
            evaluates that cell's 'm = train ...' of a denoiser without training: the model as \
            training starts, its latents and conditions, and its hyperparameters go to FOLDER with \
            a train.py that trains the same objective with PyTorch on any number of processes \
            (python3 train.py, or torchrun --nproc_per_node=N train.py). The result, \
            FOLDER/result.safetensors, loads back into a notebook with load.
            """)

    @Argument(help: "The notebook.", completion: .file(extensions: ["medsynth"]))
    var notebook: String

    @Argument(help: "The label of the cell whose training statement to hand over ({#label}).")
    var label: String

    @Argument(help: "The folder to write.", completion: .directory)
    var folder: String

    @Option(help: "The folder for the report of the cells that run first (default: medsynth-out beside the notebook).")
    var report: String?

    @OptionGroup var cache: CacheOptions

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        do {
            let document = try NotebookDocument.load(path: notebook)
            guard let cell = document.cells.first(where: { $0.label == label && $0.isLabelled }) else {
                let labels = document.cells.filter(\.isLabelled).map(\.label)
                throw ValidationError("\(notebook) has no cell labelled '\(label)'"
                    + (labels.isEmpty ? "" : "; its labelled cells are \(labels.joined(separator: ", "))"))
            }
            let options = try NotebookCommands.consoleOptions(
                cache, for: notebook, report: NotebookCommands.reportFolder(report, for: notebook), echo: true)
            var handOver: TrainingHandOver?
            let result = try NotebookRunner(options: options).run(document, before: cell.label) { session in
                handOver = try TrainingExport.handOver(
                    cell: cell.code, label: cell.label, sourceName: "\(document.path), cell \(cell.label)", firstLine: cell.firstLine,
                    in: session)
            }
            if let diagnostic = result.diagnostic {
                printError("\(diagnostic)")
                throw ExitCode(1)
            }
            guard let handOver else { throw ExitCode(1) }
            let files = try handOver.write(to: folder)
            let h = handOver.hyperparameters
            print("wrote \(files.count) files to \(folder): \(h.steps) steps of batch \(h.batchSize) on \(handOver.latents.shape[0]) latents")
            print("train: cd \(folder) && torchrun --nproc_per_node=N train.py   (or python3 train.py)")
            print("then, in a notebook: m = load \"\((folder as NSString).appendingPathComponent("result.safetensors"))\"")
        } catch let exit as ExitCode {
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch {
            printError(describe(error))
            throw ExitCode(1)
        }
    }
}
