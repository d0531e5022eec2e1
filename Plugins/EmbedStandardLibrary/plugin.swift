import Foundation
import PackagePlugin

/// Embeds stdlib/*.medsynth (at the package's top level) in the Language module, so that a
/// medsynth binary carries its standard library wherever it is installed.
///
/// SwiftPM asks this plugin again only when the package's structure changes, so the command's
/// inputs are the folder (whose modification time changes when a file is added, removed or
/// replaced) and the files found now; medsynth-embed lists the folder itself when it runs.
@main
struct EmbedStandardLibrary: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.package.directoryURL.appendingPathComponent("stdlib")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".medsynth") && !$0.hasPrefix(".") }.sorted()
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("StandardLibrary+Embedded.swift")
        return [.buildCommand(
            displayName: "Embedding the standard library",
            executable: try context.tool(named: "medsynth-embed").url,
            arguments: ["stdlib", output.path, folder.path],
            inputFiles: [folder] + names.map { folder.appendingPathComponent($0) }, outputFiles: [output])]
    }
}
