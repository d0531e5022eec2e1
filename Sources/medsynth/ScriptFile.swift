import Foundation
import Language

/// A file the language runs: a plain script, or a notebook whose ```medsynth fenced cells run in
/// order (prose is skipped here; the notebook runner renders it).
struct ScriptFile {
    struct Piece {
        /// "notes.medsynth" or "notes.medsynth, cell intro".
        var name: String
        var text: String
        /// The line of the piece's first line in the file.
        var firstLine: Int
        var label: String?
    }

    var path: String
    var pieces: [Piece]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScriptFileError(message: "cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScriptFileError(message: "\(path) is not UTF-8 text")
        }
        self.path = path
        pieces = try Self.pieces(of: text, path: path)
    }

    /// Cells when the text has ```medsynth fences, otherwise the whole text.
    static func pieces(of text: String, path: String) throws -> [Piece] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.contains(where: { $0.hasPrefix("```medsynth") }) else {
            return [Piece(name: path, text: text, firstLine: 1)]
        }
        var pieces: [Piece] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```medsynth") else {
                index += 1
                continue
            }
            let label = line.firstMatch(of: /\{#([A-Za-z0-9_-]+)/).map { String($0.1) }
            let start = index + 1
            var end = start
            while end < lines.count, !lines[end].hasPrefix("```") { end += 1 }
            guard end < lines.count else {
                throw ScriptFileError(message: "\(path):\(index + 1): the ```medsynth cell opened here is never closed")
            }
            let name = label.map { "\(path), cell \($0)" } ?? path
            pieces.append(Piece(name: name, text: lines[start..<end].joined(separator: "\n"), firstLine: start + 1, label: label))
            index = end + 1
        }
        return pieces
    }
}

struct ScriptFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Sessions as the command line makes them: figures under an output folder, the prelude loaded.
enum SessionSetup {
    /// A session whose figures go to `outputDirectory`, with stdlib/*.medsynth loaded.
    static func makeSession(outputDirectory: String, seed: UInt64, previews: Bool, print: @escaping (String) -> Void) throws -> Session {
        let context = RuntimeContext(outputDirectory: outputDirectory, seed: seed, previewsInTerminal: previews, print: print)
        let session = Session(context: context)
        do {
            try session.loadLibrary(stdlibFiles())
        } catch {
            throw ScriptFileError(message: "the standard library does not load:\n\(error)")
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
