import Foundation
import PackagePlugin

/// Gives the medsynth executable the commit it is built from (`medsynth --version`).
/// medsynth-embed reads the commit from .git when the command runs (without running git);
/// "unknown" when the sources are not a checkout.
///
/// SwiftPM plans a build again (and asks this plugin again) only when the package's structure
/// changes, so the commit cannot be decided here: a commit or a checkout would keep the old one.
/// Instead the command's inputs are the files a commit or a checkout rewrites, and the command
/// runs again whenever one of them changes.
@main
struct EmbedBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("BuildInfo.swift")
        let git = Self.gitDirectory(in: package)
        // HEAD, its log (rewritten by every commit, checkout and reset) and the packed refs;
        // only files that exist, since a missing input stops the build.
        let inputs = git.map { git in
            [git.appendingPathComponent("HEAD"), git.appendingPathComponent("logs/HEAD"), Self.commonDirectory(of: git).appendingPathComponent("packed-refs")]
                + Self.branchFile(of: git).map { [$0] }.orEmpty
        }.orEmpty.filter { FileManager.default.fileExists(atPath: $0.path) }
        return [.buildCommand(
            displayName: "Recording the commit",
            executable: try context.tool(named: "medsynth-embed").url,
            arguments: ["build-info", output.path, git?.path ?? ""],
            inputFiles: inputs, outputFiles: [output])]
    }

    /// The git directory: .git, or where a worktree's or submodule's .git file points.
    static func gitDirectory(in package: URL) -> URL? {
        let dotGit = package.appendingPathComponent(".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return dotGit }
        guard let pointer = read(dotGit), pointer.hasPrefix("gitdir: ") else { return nil }
        let path = String(pointer.dropFirst("gitdir: ".count))
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : package.appendingPathComponent(path)
    }

    /// Where the branches live: a worktree's commondir, or the git directory itself.
    static func commonDirectory(of git: URL) -> URL {
        guard let relative = read(git.appendingPathComponent("commondir")) else { return git }
        return relative.hasPrefix("/") ? URL(fileURLWithPath: relative) : git.appendingPathComponent(relative)
    }

    /// The loose file of the branch HEAD names, when there is one.
    static func branchFile(of git: URL) -> URL? {
        guard let head = read(git.appendingPathComponent("HEAD")), head.hasPrefix("ref: ") else { return nil }
        return commonDirectory(of: git).appendingPathComponent(String(head.dropFirst("ref: ".count)))
    }

    static func read(_ url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Optional where Wrapped: RangeReplaceableCollection {
    var orEmpty: Wrapped { self ?? Wrapped() }
}
