import Foundation
import PackagePlugin

/// Embeds stdlib/*.medsynth (at the package's top level) in the Language module, so that a
/// medsynth binary carries its standard library wherever it is installed.
@main
struct EmbedStandardLibrary: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.package.directoryURL.appendingPathComponent("stdlib")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".medsynth") }.sorted()
        let files = names.map { folder.appendingPathComponent($0) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("StandardLibrary+Embedded.swift")
        return [.buildCommand(
            displayName: "Embedding the standard library (\(names.joined(separator: ", ")))",
            executable: try context.tool(named: "medsynth-embed").url,
            arguments: ["stdlib", output.path] + files.map(\.path),
            inputFiles: files, outputFiles: [output])]
    }
}
