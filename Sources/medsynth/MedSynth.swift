import ArgumentParser
import Engine

/// The `medsynth` command line. Each subcommand is a thin layer over the modules below it.
@main
struct MedSynth: ParsableCommand {
    static let version = "0.1.0"

    /// What --version prints: the version and the commit the binary was built from.
    static var versionWithCommit: String { "\(version) (commit \(BuildInfo.commit))" }

    static let configuration = CommandConfiguration(
        commandName: "medsynth",
        abstract: "A literate notebook environment for latent diffusion on medical images.",
        discussion: """
            medsynth runs .medsynth notebooks (Markdown with code cells) on its own Swift tensor \
            engine. Without a subcommand it starts the interactive session (repl).
            """,
        version: versionWithCommit,
        subcommands: [Repl.self, Run.self, Check.self, CourseCommand.self, Preview.self, Diff.self, Why.self, ExportCommand.self, Doctor.self, Bench.self, Demo.self, PhantomCommand.self, ExperimentCommand.self, GenerateManual.self],
        defaultSubcommand: Repl.self
    )

    /// Sets the allocator up for the engine's buffers (`HeapPolicy`), then parses the command
    /// line and runs the command.
    static func main() {
        HeapPolicy.keepFreedMemory()
        main(nil)
    }
}
