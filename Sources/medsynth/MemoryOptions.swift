import ArgumentParser
import Engine

/// `--max-memory`, shared by run, check and repl: the memory budget for the command's process
/// (see `MemoryBudget`), overriding MEDSYNTH_MAX_MEMORY and the default of 3/4 of physical memory.
struct MemoryOptions: ParsableArguments {
    @Option(name: .customLong("max-memory"), help: ArgumentHelp(
        "The most memory medsynth may use, e.g. 8G or 512M (default: MEDSYNTH_MAX_MEMORY, or 3/4 of physical memory).",
        valueName: "size"))
    var maxMemory: String?

    func validate() throws {
        if let maxMemory, MemoryBudget.parseSize(maxMemory) == nil {
            throw ValidationError("--max-memory takes a size such as 8G, 512M or a number of bytes, not '\(maxMemory)'")
        }
    }

    /// Sets the budget when --max-memory was given; warns about an invalid MEDSYNTH_MAX_MEMORY.
    func apply() {
        if let maxMemory, let bytes = MemoryBudget.parseSize(maxMemory) {
            MemoryBudget.limit = bytes
        } else if let warning = MemoryBudget.environmentWarning {
            printError("warning: \(warning)")
        }
    }
}
