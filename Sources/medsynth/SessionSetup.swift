import ArgumentParser
import Foundation
import Language

/// Sessions as the command line makes them: figures under an output folder, the prelude loaded.
enum SessionSetup {
    /// A session whose figures go to `outputDirectory`, with the standard library loaded.
    static func makeSession(outputDirectory: String, seed: UInt64, previews: Bool, print: @escaping (String) -> Void) throws -> Session {
        let context = RuntimeContext(outputDirectory: outputDirectory, seed: seed, previewsInTerminal: previews, print: print)
        let session = Session(context: context)
        let library = try standardLibrary()
        do {
            try session.loadLibrary(sources: library.sources)
        } catch {
            throw ValidationError("the standard library (\(library.description)) does not load:\n\(error)")
        }
        return session
    }

    /// The standard library sessions load: the one built into the binary, or MEDSYNTH_STDLIB's.
    static func standardLibrary() throws -> StandardLibrary.Selection {
        do {
            return try StandardLibrary.selected()
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
