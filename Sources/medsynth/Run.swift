import ArgumentParser
import Foundation
import Language

/// `medsynth run FILE`: runs a script or a notebook's cells in one session and stops at the
/// first error; the exit status says whether every `expect` held.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a .medsynth script or notebook.",
        discussion: """
            Statements run in order; each bare expression's value is printed. An error stops the \
            run with a diagnostic (file, line, column). Figures go to --out. The exit status is 0 \
            when everything ran and every expect held, 1 otherwise.
            """)

    @Argument(help: "The script or notebook.")
    var file: String

    @Option(help: "The folder for figures.")
    var out = "medsynth-out"

    @Option(help: "The seed from which statements without a seed option derive theirs.")
    var seed: UInt64 = 0

    @Flag(help: "Preview figures in the terminal.")
    var previews = false

    func run() throws {
        let script: ScriptFile
        do {
            script = try ScriptFile(path: file)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let session = try SessionSetup.makeSession(outputDirectory: out, seed: seed, previews: previews) { print($0) }
        let interrupt = InterruptFlag.install(forwardingTo: session.context.cancellation)
        var failed = 0
        for piece in script.pieces {
            if interrupt.isCancelled { break }
            let report = session.run(piece.text, name: piece.name, firstLine: piece.firstLine) { print($0) }
            failed += report.failedExpectations.count
            if let diagnostic = report.diagnostic {
                printError("\(diagnostic)")
                throw ExitCode(1)
            }
        }
        let total = session.expectations.count
        if total > 0 {
            print("\(total - failed) of \(total) expectations held")
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
