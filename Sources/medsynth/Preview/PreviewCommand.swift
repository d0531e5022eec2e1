import ArgumentParser
import CReadline
import Foundation
import Notebook

/// `medsynth preview NOTEBOOK`: serves the notebook's report on localhost and runs the notebook
/// again (with the cache, so only what changed) each time it is saved; the page reloads itself.
struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a notebook's report on localhost, run again on every save, the page reloading itself.",
        discussion: """
            The report is served at http://127.0.0.1:PORT/ (loopback only). The notebook is looked \
            at ten times a second; when its text changes it runs again with the cache, so that only \
            the cells that changed and what depends on them run, and the open page reloads when the \
            new report is written. Ctrl-C stops the preview.
            """)

    @Argument(help: "The notebook.", completion: .file(extensions: ["medsynth"]))
    var file: String

    @Option(help: "The port (0: any free one, printed).")
    var port: UInt16 = 8765

    @Option(help: "The folder for the report and figures (default: medsynth-out beside the notebook).")
    var report: String?

    @OptionGroup var cache: CacheOptions

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        let folder = NotebookCommands.reportFolder(report, for: file)
        let name = NotebookReport.defaultName(of: file)
        let state = PreviewState(folder: folder, page: name + ".html")
        state.runNotebook(file, cache: cache, report: folder)
        let server: LocalHTTPServer
        do {
            server = try LocalHTTPServer(port: port)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        server.start { state.respond(to: $0) }
        print("serving \(file) at http://127.0.0.1:\(server.port)/ (Ctrl-C stops)")
        medsynth_flush_stdout()

        let interruptions = Interrupts.count
        var seen = Self.contents(of: file)
        while Interrupts.count == interruptions {
            usleep(100_000)
            let now = Self.contents(of: file)
            guard now != seen, now != nil else { continue }
            seen = now
            state.runNotebook(file, cache: cache, report: folder)
        }
        print("preview stopped")
    }

    static func contents(of path: String) -> Data? {
        FileManager.default.contents(atPath: path)
    }
}

/// What the preview serves: the report folder, and the generation of the report (one more each
/// time the notebook ran), which the page asks for to know when to reload.
final class PreviewState: @unchecked Sendable {
    private let lock = NSLock()
    private var generation = 0
    private var lastError: String?
    let folder: String
    let page: String

    init(folder: String, page: String) {
        self.folder = folder
        self.page = page
    }

    /// Runs the notebook and writes its report; the page reloads once it is written.
    func runNotebook(_ file: String, cache: CacheOptions, report: String) {
        let clock = ContinuousClock()
        let start = clock.now
        var message: String?
        do {
            let result = try NotebookCommands.run(file, cache: cache, report: report, echo: false)
            let cached = result.cells.flatMap(\.statements).count - result.executed.count
            let seconds = Double((clock.now - start).components.attoseconds) * 1e-18 + Double((clock.now - start).components.seconds)
            print(String(format: "ran %@ in %.2f s: %d statements ran, %d from the cache", file, seconds, result.executed.count, cached))
        } catch {
            message = describe(error)
            printError(message!)
        }
        medsynth_flush_stdout()
        lock.lock()
        generation += 1
        lastError = message
        lock.unlock()
    }

    func respond(to request: LocalHTTPServer.Request) -> LocalHTTPServer.Response {
        lock.lock()
        let (generation, lastError) = (self.generation, self.lastError)
        lock.unlock()
        if request.path == "/__medsynth/generation" { return .text(200, "\(generation)") }
        if request.path == "/" || request.path == "/" + page {
            if let lastError {
                let html = "<!DOCTYPE html><meta charset=\"utf-8\"><title>medsynth preview</title><pre>"
                    + NotebookReport.escapeHTML(lastError) + "</pre>" + Self.reloadScript(generation)
                return LocalHTTPServer.Response(status: 200, contentType: "text/html; charset=utf-8", body: Array(html.utf8))
            }
            guard let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(page)) else {
                return .text(404, "no report yet\n")
            }
            var html = String(decoding: data, as: UTF8.self)
            let script = Self.reloadScript(generation)
            if let close = html.range(of: "</body>", options: .backwards) {
                html.insert(contentsOf: script, at: close.lowerBound)
            } else {
                html += script
            }
            return LocalHTTPServer.Response(status: 200, contentType: "text/html; charset=utf-8", body: Array(html.utf8))
        }
        return file(request.path)
    }

    /// A file of the report folder (figures, KaTeX); nothing outside it, and no hidden files.
    private func file(_ path: String) -> LocalHTTPServer.Response {
        let components = path.split(separator: "/")
        guard !components.isEmpty, !components.contains(where: { $0 == ".." || $0.hasPrefix(".") }) else {
            return .text(403, "forbidden\n")
        }
        let full = (folder as NSString).appendingPathComponent(components.joined(separator: "/"))
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path + "/"
        guard URL(fileURLWithPath: full).resolvingSymlinksInPath().path.hasPrefix(root),
              let data = FileManager.default.contents(atPath: full) else {
            return .text(404, "not found\n")
        }
        let types = ["html": "text/html; charset=utf-8", "svg": "image/svg+xml", "png": "image/png", "css": "text/css",
                     "js": "text/javascript", "json": "application/json", "woff2": "font/woff2"]
        let type = types[(full as NSString).pathExtension.lowercased()] ?? "application/octet-stream"
        return LocalHTTPServer.Response(status: 200, contentType: type, body: Array(data))
    }

    /// Asks for the generation three times a second and reloads the page when it changes.
    static func reloadScript(_ generation: Int) -> String {
        """
        <script>
        (function () {
          var shown = \(generation);
          setInterval(function () {
            fetch("/__medsynth/generation", { cache: "no-store" })
              .then(function (response) { return response.text(); })
              .then(function (text) { if (Number(text) !== shown) location.reload(); })
              .catch(function () {});
          }, 300);
        })();
        </script>

        """
    }
}
