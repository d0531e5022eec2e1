import Foundation
import PackagePlugin

/// Gives the medsynth executable the commit it is built from (`medsynth --version`), read from
/// the checkout's .git without running git; "unknown" when the sources are not a checkout.
@main
struct EmbedBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let commit = Self.commit(in: context.package.directoryURL) ?? "unknown"
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("BuildInfo.swift")
        // The commit is an argument, so the command runs again whenever it changes.
        return [.buildCommand(
            displayName: "Recording the commit \(commit.prefix(12))",
            executable: try context.tool(named: "medsynth-embed").url,
            arguments: ["build-info", output.path, commit],
            inputFiles: [], outputFiles: [output])]
    }

    /// HEAD's commit: HEAD itself when detached, otherwise its branch, loose or packed.
    static func commit(in package: URL) -> String? {
        var git = package.appendingPathComponent(".git")
        // A worktree's or submodule's .git is a file naming the real directory.
        if let pointer = read(git), pointer.hasPrefix("gitdir: ") {
            let path = String(pointer.dropFirst("gitdir: ".count))
            git = path.hasPrefix("/") ? URL(fileURLWithPath: path) : package.appendingPathComponent(path)
        }
        guard let head = read(git.appendingPathComponent("HEAD")) else { return nil }
        guard head.hasPrefix("ref: ") else { return isCommit(head) ? head : nil }
        let reference = String(head.dropFirst("ref: ".count))
        // A worktree keeps its HEAD but shares the branches of the main checkout (commondir).
        var common = git
        if let relative = read(git.appendingPathComponent("commondir")) {
            common = relative.hasPrefix("/") ? URL(fileURLWithPath: relative) : git.appendingPathComponent(relative)
        }
        for directory in [git, common] {
            if let loose = read(directory.appendingPathComponent(reference)), isCommit(loose) { return loose }
        }
        for directory in [git, common] {
            for line in (read(directory.appendingPathComponent("packed-refs")) ?? "").split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, parts[1] == reference, isCommit(String(parts[0])) { return String(parts[0]) }
            }
        }
        return nil
    }

    static func read(_ url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func isCommit(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy(\.isHexDigit)
    }
}
