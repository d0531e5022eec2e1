import ArgumentParser
import Foundation
import Language

/// Sessions as the command line makes them: figures under an output folder, the prelude loaded.
enum SessionSetup {
    /// A session whose figures go to `outputDirectory`, with stdlib/*.medsynth loaded.
    static func makeSession(outputDirectory: String, seed: UInt64, previews: Bool, print: @escaping (String) -> Void) throws -> Session {
        let context = RuntimeContext(outputDirectory: outputDirectory, seed: seed, previewsInTerminal: previews, print: print)
        let session = Session(context: context)
        do {
            try session.loadLibrary(stdlibFiles())
        } catch {
            throw ValidationError("the standard library does not load:\n\(error)")
        }
        return session
    }

    /// stdlib/*.medsynth, prelude first: from MEDSYNTH_STDLIB, or the stdlib folder of the
    /// checkout the binary was built in (found by walking up from the executable).
    static func stdlibFiles() -> [String] {
        let manager = FileManager.default
        var folders: [String] = []
        if let folder = ProcessInfo.processInfo.environment["MEDSYNTH_STDLIB"] {
            folders.append(folder)
        } else {
            var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<6 {
                folders.append(directory.appendingPathComponent("stdlib").path)
                directory.deleteLastPathComponent()
            }
        }
        for folder in folders where manager.fileExists(atPath: (folder as NSString).appendingPathComponent("prelude.medsynth")) {
            let names = ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".medsynth") }
            let ordered = names.sorted { ($0 == "prelude.medsynth" ? 0 : 1, $0) < ($1 == "prelude.medsynth" ? 0 : 1, $1) }
            return ordered.map { (folder as NSString).appendingPathComponent($0) }
        }
        return []
    }
}
