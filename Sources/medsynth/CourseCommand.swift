import ArgumentParser
import Foundation

/// Where an installed medsynth keeps what is not in the binary: the course's notebooks and the
/// models they load. `scripts/install.sh` puts them in PREFIX/share/medsynth/course beside
/// PREFIX/bin/medsynth; a binary built in a checkout uses the checkout's notebooks/.
enum Installation {
    /// Why the course cannot be found or copied: printed as "error: …" without a usage line.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The environment variable that names a course folder to use instead.
    static let courseVariable = "MEDSYNTH_COURSE"

    /// The course folder (the notebooks, README.md, models/, train/) and how it was found.
    static func course(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (path: String, how: String) {
        if let folder = environment[courseVariable], !folder.isEmpty {
            guard isCourse(folder) else {
                throw Failure("\(courseVariable)=\(folder) is not a course folder (it has no 00-quickstart.medsynth)")
            }
            return (folder, courseVariable)
        }
        let executable = runningExecutable()
        let installed = executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/medsynth/course").path
        if isCourse(installed) { return (installed, "installed beside \(executable.path)") }
        // A build inside a checkout: .build/release/medsynth, or a --scratch-path elsewhere, has no
        // share/; the checkout is found above the executable (its Package.swift names medsynth).
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            let notebooks = directory.appendingPathComponent("notebooks").path
            if isCourse(notebooks), let manifest = try? String(contentsOf: directory.appendingPathComponent("Package.swift"), encoding: .utf8),
               manifest.contains("name: \"medsynth\"") {
                return (notebooks, "the checkout \(directory.path)")
            }
            directory.deleteLastPathComponent()
        }
        throw Failure("""
            medsynth's course is not installed beside \(executable.path): \
            install medsynth with scripts/install.sh, or set \(courseVariable) to a course folder
            """)
    }

    /// This process's binary: /proc/self/exe, which names it however it was started (a shell
    /// that found `medsynth` on PATH passes just "medsynth" as argv[0]); argv[0] elsewhere.
    static func runningExecutable() -> URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    }

    /// Why a file operation failed: the system's words when there are any.
    static func reason(_ error: Error) -> String {
        posixReason(error) ?? error.localizedDescription
    }

    /// `text` as one word for a POSIX shell: as it is when it is plain, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-+=:,@".unicodeScalars.contains($0) }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func isCourse(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("00-quickstart.medsynth"))
    }

    /// The files of a course, relative to its folder: README.md, the notebooks, models/*.h5 and
    /// train/*.medsynth. Reports and caches the course wrote while it ran are left behind.
    static func courseFiles(in folder: String) throws -> [String] {
        let manager = FileManager.default
        func listed(_ relative: String, _ suffixes: [String]) throws -> [String] {
            let path = relative.isEmpty ? folder : (folder as NSString).appendingPathComponent(relative)
            guard manager.fileExists(atPath: path) else { return [] }
            return try manager.contentsOfDirectory(atPath: path).filter { name in suffixes.contains { name.hasSuffix($0) } }
                .sorted().map { relative.isEmpty ? $0 : "\(relative)/\($0)" }
        }
        return try listed("", [".medsynth", "README.md"]) + listed("models", [".h5"]) + listed("train", [".medsynth"])
    }
}

/// `medsynth course DIR`: a copy of the course a student can run and edit.
struct CourseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "course",
        abstract: "Copy the course (notebooks, their models and the training notebooks) into a new folder.",
        discussion: """
            The copy is the student's own: run a notebook with `medsynth run DIR/00-quickstart.medsynth`, \
            edit it, and check it with `medsynth check DIR`. The course comes from the installation \
            (PREFIX/share/medsynth/course), from the checkout a development build lives in, or from \
            MEDSYNTH_COURSE. DIR must not exist yet, or be empty: nothing is ever overwritten.
            """
    )

    @Argument(help: "The folder to create, or an empty one to fill.", completion: .directory)
    var directory: String

    func run() throws {
        do {
            try copyCourse()
        } catch let failure as Installation.Failure {
            printError("error: \(failure)")
            throw ExitCode(1)
        } catch is CancellationError {
            printError("stopped (Ctrl-C): \(directory) is as it was")
            throw ExitCode(130)
        }
    }

    private func copyCourse() throws {
        typealias Failure = Installation.Failure
        let manager = FileManager.default
        guard !directory.isEmpty else { throw Failure("give the folder to copy the course into") }
        let (source, how) = try Installation.course()
        let files: [String]
        do {
            files = try Installation.courseFiles(in: source)
        } catch {
            throw Failure("cannot read the course in \(source): \(Installation.reason(error))")
        }
        let notEmpty = Failure("\(directory) is not empty: copy the course into a new folder (nothing is overwritten)")
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        var isDirectory: ObjCBool = false
        let exists = manager.fileExists(atPath: target.path, isDirectory: &isDirectory)
        if exists {
            guard isDirectory.boolValue else { throw Failure("\(directory) is a file, not a folder") }
            let existing: [String]
            do {
                existing = try manager.contentsOfDirectory(atPath: target.path)
            } catch {
                throw Failure("cannot read the folder \(directory): \(Installation.reason(error))")
            }
            guard existing.isEmpty else { throw notEmpty }
        }
        // The course is staged first, so that a failed or stopped copy leaves DIR as it was: a new
        // DIR is staged beside it and renamed into place; an empty DIR (a mount point, a folder
        // handed out, the current folder) is staged inside and filled by renames, so it stays the
        // same folder, with its own permissions.
        let cancellation = Interrupts.installForCommand()
        let stagingName = ".medsynth-course.partial-\(getpid())"
        let staging = exists ? target.appendingPathComponent(stagingName)
            : target.deletingLastPathComponent().appendingPathComponent(stagingName)
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
            for file in files {
                if cancellation.isCancelled { throw CancellationError() }
                // The content of each file, whatever links the installation uses, as a file the
                // student owns and may edit.
                let from = URL(fileURLWithPath: (source as NSString).appendingPathComponent(file)).resolvingSymlinksInPath()
                guard (try? from.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
                let destination = staging.appendingPathComponent(file)
                try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                try manager.copyItem(at: from, to: destination)
                try manager.setAttributes([.posixPermissions: 0o644], ofItemAtPath: destination.path)
            }
            if cancellation.isCancelled { throw CancellationError() }
            if exists {
                for entry in try manager.contentsOfDirectory(atPath: staging.path).sorted() {
                    let destination = target.appendingPathComponent(entry)
                    if (try? manager.attributesOfItem(atPath: destination.path)) != nil { throw notEmpty }
                    try manager.moveItem(at: staging.appendingPathComponent(entry), to: destination)
                }
                try manager.removeItem(at: staging)
            } else if rename(staging.path, target.path) != 0 {
                // Someone made DIR meanwhile: rename(2) replaces it only if it is empty.
                let reason = errno
                if reason == ENOTEMPTY || reason == EEXIST { throw notEmpty }
                throw Failure("cannot create \(directory): \(String(cString: strerror(reason)))")
            }
        } catch {
            try? manager.removeItem(at: staging)
            if error is Failure || error is CancellationError { throw error }
            throw Failure("cannot copy the course into \(directory): \(Installation.reason(error))")
        }
        let notebooks = files.filter { !$0.contains("/") && $0.hasSuffix(".medsynth") }.count
        print("copied the course (\(notebooks) notebooks, \(files.count) files) from \(how) into \(directory)")
        print("next: medsynth run \(Installation.shellQuoted((directory as NSString).appendingPathComponent("00-quickstart.medsynth")))")
    }
}
